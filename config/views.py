from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template import loader
from django.views.decorators.csrf import requires_csrf_token
from django.views.decorators.http import require_http_methods

from config.forms import UserAddForm, UserChangeForm
from config.roles import ADMINS, Role, role_of, role_required, signed_in_user
from config.users import UserError, user_change, user_rows, user_save


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Each role lands on its own page."""
    role = role_of(request.user)
    if role == Role.MANAGER:
        return redirect("dashboards")
    if role == Role.ADMIN:
        return redirect("lead_list")
    return redirect("queue")


def login_locked_out(
    request: HttpRequest, response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    """What django-axes answers a login locked out after too many failures for that username from that address."""
    cool_off: timedelta = settings.AXES_COOLOFF_TIME
    minutes = int(cool_off.total_seconds()) // 60
    locked = HttpResponse(
        f"Too many failed logins. Try again in {minutes} minutes.", status=429, content_type="text/plain"
    )
    locked["Retry-After"] = str(int(cool_off.total_seconds()))
    return locked


@requires_csrf_token
def server_error(request: HttpRequest) -> HttpResponse:
    """The 500 page with the site's menu; without it when the menu itself cannot be built
    (the database is what failed, say)."""
    template = loader.get_template("500.html")
    try:
        body = template.render({}, request)
    except Exception:  # the page must answer whatever broke
        body = template.render({})
    return HttpResponse(body, status=500)


def saved_words(changed: list[str], *, role: str, active: bool) -> str:
    """What a save on the user page did, in words: "role now manager, may no longer sign in…"."""
    words = {
        "role": f"role now {role}",
        "active": "may sign in again" if active else "may no longer sign in; their leased leads are back in the queue",
        "password": "password changed",
    }
    return ", ".join(words[name] for name in changed) or "nothing changed"


@require_http_methods(["GET", "POST"])
@role_required(ADMINS)
def users_page(request: HttpRequest) -> HttpResponse:
    """Every user with their role, and a form to add one."""
    form = UserAddForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            user, _ = user_save(
                name=data["username"], role=Role(data["role"]), password=data["password"], by=signed_in_user(request)
            )
            messages.success(request, f"Added {user.username} ({data['role']}).")
            return redirect("users")
        status = 400
    return render(request, "config/users.html", {"form": form, "rows": user_rows()}, status=status)


@require_http_methods(["GET", "POST"])
@role_required(ADMINS)
def user_edit(request: HttpRequest, user_id: int) -> HttpResponse:
    """One user's role, whether they may sign in, and a new password."""
    user = get_object_or_404(User, pk=user_id)
    row = next(row for row in user_rows() if row.user.pk == user.pk)
    initial = {"role": row.role.value if row.role else Role.REP.value, "active": user.is_active}
    form = UserChangeForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                changed = user_change(
                    user=user,
                    role=Role(data["role"]),
                    active=data["active"],
                    password=data["password"] or None,
                    by=signed_in_user(request),
                )
            except UserError as exc:
                form.add_error(exc.field, exc.message)
            else:
                done = saved_words(changed, role=data["role"], active=data["active"])
                messages.success(request, f"{user.username}: {done}.")
                return redirect("users")
        status = 400
    return render(request, "config/user_edit.html", {"form": form, "row": row}, status=status)
