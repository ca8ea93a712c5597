from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

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
