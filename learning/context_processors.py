"""What every page shows admins about the loop."""

from __future__ import annotations

from django.http import HttpRequest

from config.roles import ADMINS, has_role
from learning.selectors import loop_alert


def loop_banner(request: HttpRequest) -> dict[str, object]:
    """Admins see, on every page, why the loop is not learning from everything (a few small reads)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not has_role(user, ADMINS):
        return {}
    return {"loop_alert": loop_alert()}
