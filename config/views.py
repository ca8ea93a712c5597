from typing import Any

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template import loader
from django.views.decorators.csrf import requires_csrf_token

from config.roles import Role, role_of
from config.throttle import login_blocked, login_failed, login_succeeded


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Each role lands on its own page."""
    role = role_of(request.user)
    if role == Role.MANAGER:
        return redirect("dashboards")
    if role == Role.ADMIN:
        return redirect("lead_list")
    return redirect("queue")


class LoginView(auth_views.LoginView):
    """Django's login, refusing with 429 after too many failures for a username from an address."""

    def _who(self) -> dict[str, str]:
        return {
            "username": str(self.request.POST.get("username", ""))[:150],
            "address": self.request.META.get("REMOTE_ADDR", ""),
        }

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if login_blocked(**self._who()):
            minutes = settings.LOGIN_FAILURE_WINDOW_SECONDS // 60
            response = HttpResponse(
                f"Too many failed logins. Try again in {minutes} minutes.", status=429, content_type="text/plain"
            )
            response["Retry-After"] = str(settings.LOGIN_FAILURE_WINDOW_SECONDS)
            return response
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form: Any) -> HttpResponse:
        login_failed(**self._who())
        return super().form_invalid(form)

    def form_valid(self, form: Any) -> HttpResponse:
        login_succeeded(**self._who())
        return super().form_valid(form)


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
