from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template import loader
from django.views.decorators.csrf import requires_csrf_token

from config.roles import Role, role_of


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
