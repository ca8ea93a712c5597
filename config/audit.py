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


IMPORTS = "import."  # the actions imports record (import.leads, import.activities)


def recent_changes(*, limit: int = 50, imports: bool = False) -> list[AuditLog]:
    """The latest entries: changes to settings, rules, reasons, actions, models, tokens and users;
    or, with ``imports``, the imports (a CRM posting every minute would otherwise bury the rest)."""
    entries = AuditLog.objects.select_related("user")
    entries = entries.filter(action__startswith=IMPORTS) if imports else entries.exclude(action__startswith=IMPORTS)
    return list(entries[:limit])


def value_words(value: Any) -> str:
    """An audited value as people read it: a list as its items ("seniority, industry"), a rule
    ({"field", "op", "value"}) as "score >= 0.5", a flag as yes/no, nothing as "—"."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(value_words(item) for item in value) if value else "none"
    if isinstance(value, dict):
        return " ".join(value_words(item) for item in value.values())
    return str(value)


def change_words(change: Any) -> str:
    """One audited change in words: ``[from, to]`` as "from → to", any other detail as it reads."""
    if isinstance(change, list) and len(change) == 2:
        return f"{value_words(change[0])} → {value_words(change[1])}"
    return value_words(change)
