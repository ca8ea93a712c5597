"""The audit log: one call for any code that changes how the loop behaves."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib.auth.models import AnonymousUser, User

from config.models import AuditLog


def audit_record(
    *, user: User | AnonymousUser | None, action: str, target: str, changes: Mapping[str, Any]
) -> AuditLog:
    """Record a change; ``changes`` maps a field to ``[from, to]`` (or any JSON detail)."""
    who = user if user is not None and user.is_authenticated else None
    return AuditLog.objects.create(user=who, action=action, target=target[:200], changes=dict(changes))


def changed_fields(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """``{field: [from, to]}`` for the fields whose value differs."""
    return {key: [before.get(key), value] for key, value in after.items() if before.get(key) != value}


def recent_changes(*, limit: int = 50) -> list[AuditLog]:
    return list(AuditLog.objects.select_related("user")[:limit])
