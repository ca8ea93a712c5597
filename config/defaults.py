"""The rows a new database starts with (defaults live in code; the initial data migration calls this)."""

from __future__ import annotations

from typing import Any

ROLE_GROUPS = ("rep", "manager", "admin")


def roles_create(group_model: Any) -> None:
    """One auth group per role. ``group_model`` is Group (a migration passes its historical one)."""
    for name in ROLE_GROUPS:
        group_model.objects.get_or_create(name=name)
