from __future__ import annotations

from django.http import HttpRequest

from config.roles import ADMINS, LABELERS, MANAGERS, role_of


def roles(request: HttpRequest) -> dict[str, object]:
    role = role_of(request.user)
    return {
        "role": role,
        "can_label": role in LABELERS,
        "can_manage": role in MANAGERS,
        "can_admin": role in ADMINS,
    }
