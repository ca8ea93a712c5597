from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template import loader
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import requires_csrf_token
from django.views.decorators.http import require_http_methods, require_POST

from config.forms import OwnPasswordForm, TokenForm, UserAddForm, UserChangeForm
from config.roles import ADMINS, Role, role_of, role_required, signed_in_user
from config.tokens import (
    TokenNameTaken,
    TokenUserInactive,
    free_token_name,
    live_tokens,
    token_create,
    token_of,
    token_revoke,
)
from config.users import UserError, UserRow, own_password_change, user_change, user_fingerprint, user_rows, user_save


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
        "tokens": "their API tokens revoked (make new ones on their page)",
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
            user = user_save(
                name=data["username"], role=Role(data["role"]), password=data["password"], by=signed_in_user(request)
            ).user
            messages.success(request, f"Added {user.username} ({data['role']}).")
            return redirect("users")
        status = 400
    return render(request, "config/users.html", {"form": form, "rows": user_rows()}, status=status)


def _user_row(user_id: int) -> UserRow:
    row = next(iter(user_rows(pk=user_id)), None)
    if row is None:
        raise Http404("No such user.")
    return row


def _change_form(request: HttpRequest, row: UserRow, data: Any = None) -> UserChangeForm:
    """The form that changes ``row``'s user, as the page opens it (``data``: as posted)."""
    user = row.user
    initial = {"role": row.role.value if row.role else "", "active": user.is_active, "seen": user_fingerprint(user)}
    return UserChangeForm(data, initial=initial, editor=signed_in_user(request), user=user, request=request)


def _user_page(
    request: HttpRequest,
    row: UserRow,
    *,
    form: UserChangeForm | None = None,
    token_form: TokenForm | None = None,
    new_token: tuple[str, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    """One user's page: the change form, their live API tokens and the form for a new one
    (``new_token``: the name and key just made, shown this once)."""
    user = row.user
    context = {
        "form": form or _change_form(request, row),
        "row": row,
        "tokens": live_tokens(user=user),
        "token_form": token_form or TokenForm(initial={"name": free_token_name(user=user)}),
        "new_token": new_token,
    }
    return render(request, "config/user_edit.html", context, status=status)


@require_http_methods(["GET", "POST"])
@role_required(ADMINS)
def user_edit(request: HttpRequest, user_id: int) -> HttpResponse:
    """One user's role, whether they may sign in, and a new password (your own: with your current one)."""
    row = _user_row(user_id)
    user, editor = row.user, signed_in_user(request)
    if request.method != "POST":
        return _user_page(request, row)
    form = _change_form(request, row, request.POST)
    if form.is_valid():
        wanted = form.changes()
        try:
            changed = user_change(user=user, by=editor, seen=form.cleaned_data["seen"], **wanted)
        except UserError as exc:
            if exc.field == "seen":  # a stale page: show the user as they are now, to change again
                messages.error(request, f"{exc.message}, in another tab or by another admin: here it is as it is now.")
                return redirect("user_edit", user_id=user.pk)
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            if user.pk == editor.pk and "password" in changed:
                user.refresh_from_db()
                update_session_auth_hash(request, user)  # a new password of your own keeps you signed in
            role = wanted["role"] or row.role
            done = saved_words(changed, role=role.value if role else "none", active=bool(wanted["active"]))
            messages.success(request, f"{user.username}: {done}.")
            return redirect("users")
    return _user_page(request, row, form=form, status=400)


@never_cache  # the page shows the new key: no cache keeps it
@require_POST
@role_required(ADMINS)
def user_token_create(request: HttpRequest, user_id: int) -> HttpResponse:
    """A new API token for the user, its key shown on the page this once (only its hash is kept)."""
    row = _user_row(user_id)
    user = row.user
    form = TokenForm(request.POST)
    if form.is_valid():
        try:
            key = token_create(user=user, name=form.cleaned_data["name"], by=signed_in_user(request))
        except User.DoesNotExist:
            raise Http404("No such user.") from None
        except TokenUserInactive as exc:
            form.add_error("name", f"{exc}: tick May sign in first")
        except TokenNameTaken as exc:
            form.add_error("name", str(exc))
        else:  # the page reads the tokens anew
            return _user_page(request, row, new_token=(form.cleaned_data["name"], key))
    return _user_page(request, row, token_form=form, status=400)


@require_POST
@role_required(ADMINS)
def user_token_revoke(request: HttpRequest, user_id: int, token_id: int) -> HttpResponse:
    """Revoke one of the user's API tokens: calls with it are answered 401 from now on."""
    row = _user_row(user_id)
    token = token_of(user=row.user, pk=token_id)
    if token is None:
        raise Http404("No such token.")
    what = f"{row.user.username}'s token {token.name!r} ({token.prefix}…)"
    if token_revoke(user=row.user, pk=token.pk, by=signed_in_user(request)):
        messages.success(request, f"Revoked {what}: calls made with it are refused from now on.")
    else:
        messages.info(request, f"{what} was already revoked.")
    return redirect(reverse("user_edit", args=[row.user.pk]) + "#tokens")


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form refused for its CSRF token, on the site's own page (Django's has an inline style the
    Content-Security-Policy blocks, and no way back)."""
    return render(request, "403_csrf.html", status=403)


@require_http_methods(["GET", "POST"])
@login_required
def own_password(request: HttpRequest) -> HttpResponse:
    """Every user changes their own password here (admins change others' on the users page)."""
    user = signed_in_user(request)
    form = OwnPasswordForm(user, request.POST or None, request=request)
    if request.method == "POST" and form.is_valid():
        revoked = own_password_change(user=user, password=form.cleaned_data["new_password1"])
        update_session_auth_hash(request, user)  # this session stays; the others end
        tokens = f"; your {revoked} API token{'s were' if revoked != 1 else ' was'} revoked" if revoked else ""
        messages.success(request, f"Password changed: your other sessions are signed out{tokens}.")
        return redirect("home")
    return render(request, "registration/own_password.html", {"form": form}, status=400 if form.errors else 200)
