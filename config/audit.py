"""The audit log: one call for any code that changes how the loop behaves."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from django.contrib.auth.models import AnonymousUser, User
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet

from config.models import IMPORT_ACTIONS, AuditLog

AuditKind = Literal["changes", "imports"]
AUDIT_KINDS: tuple[AuditKind, ...] = ("changes", "imports")
AUDIT_PAGE_SIZE = 50


def audit_record(
    *, user: User | AnonymousUser | None, action: str, target: str, changes: Mapping[str, Any]
) -> AuditLog:
    """Record a change; ``changes`` maps a field to ``[from, to]`` (or any JSON detail)."""
    who = user if user is not None and user.is_authenticated else None
    return AuditLog.objects.create(user=who, action=action, target=target[:200], changes=dict(changes))


def changed_fields(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """``{field: [from, to]}`` for the fields whose value differs."""
    return {key: [before.get(key), value] for key, value in after.items() if before.get(key) != value}


def audit_entries(*, imports: bool = False) -> QuerySet[AuditLog]:
    """The log newest first: changes to settings, rules, reasons, actions, models, tokens and users;
    or, with ``imports``, the imports (a CRM posting every minute would otherwise bury the rest).
    Each of the two filters is the condition of one of AuditLog's partial indexes, which keep them fast."""
    entries = AuditLog.objects.select_related("user")
    if imports:
        return entries.filter(action__startswith=IMPORT_ACTIONS)
    return entries.exclude(action__startswith=IMPORT_ACTIONS)


def recent_changes(*, limit: int = 50, imports: bool = False) -> list[AuditLog]:
    """The latest ``limit`` entries of ``audit_entries``."""
    return list(audit_entries(imports=imports)[:limit])


def audit_kind(asked: str | None) -> AuditKind:
    """The list a link asks for; anything else (none, a typo) is the changes, the log's first list."""
    return next((kind for kind in AUDIT_KINDS if kind == asked), AUDIT_KINDS[0])


def audit_page(*, kind: AuditKind, number: str | None, size: int = AUDIT_PAGE_SIZE) -> Page[AuditLog]:
    """One page of the changes or of the imports, newest first. A page number that is not a whole
    number, or below 1, gives the first page; one past the end gives the last (a hand-edited or an
    old link still shows entries, never an error)."""
    try:
        wanted = max(int(number or 1), 1)
    except ValueError:
        wanted = 1
    return Paginator(audit_entries(imports=kind == "imports"), size).get_page(wanted)


def value_words(value: Any) -> str:
    """An audited value as people read it: a list as its items ("seniority, industry"), a rule
    ({"field", "op", "value"}) as "employees >= 50" (a score's in percent, as pages show it: "score >=
    50%"), a flag as yes/no, a whole number with thousands separators, nothing as "—"."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"  # a count as the rest of the app writes it: 14,276
    if isinstance(value, list | tuple):
        if value and all(_is_rule(item) for item in value):  # an action's rules, as the settings page reads them
            return " and ".join(_rule_words(item) for item in value)
        return ", ".join(value_words(item) for item in value) if value else "none"
    if isinstance(value, dict):
        if _is_rule(value):
            return _rule_words(value)
        return " ".join(value_words(item) for item in value.values())
    return str(value)


def _is_rule(value: Any) -> bool:
    """A next best action's rule as stored: ``{"field", "op", "value"}``."""
    return isinstance(value, dict) and set(value) == {"field", "op", "value"}


def _rule_words(rule: dict[str, Any]) -> str:
    """A next best action's rule as the settings page writes it: ``employees >= 51`` (not 51.0), a
    score in percent (``score >= 30%``), a list as its items."""
    value = rule["value"]
    if rule["field"] == "score" and rule["op"] in (">=", ">", "<=", "<"):
        words = _percent_words(value)
    elif isinstance(value, float) and value.is_integer():
        words = f"{int(value)}"
    else:
        words = value_words(value)
    return f"{rule['field']} {rule['op']} {words}"


def _percent_words(value: Any) -> str:
    return f"{value * 100:g}%" if isinstance(value, int | float) and not isinstance(value, bool) else value_words(value)


# Each audited action as the log's "What" column says it; the code stays in the database, the API and
# exports, and a code not listed here reads as itself.
ACTION_WORDS = {
    "action.delete": "next best action deleted",
    "action.save": "next best action saved",
    "import.leads": "leads imported",
    "import.activities": "activities imported",
    "label.lease_override": "label over another rep's lease",
    "label.undo": "label undone",
    "model.pin": "model version pinned",
    "model.promote": "model version promoted",
    "model.resume": "automatic promotion resumed",
    "model.rollback": "model version rolled back to",
    "reason.add": "reason added",
    "reason.fields": "reason's fields changed",
    "reason.file_labels": "labels filed under a reason",
    "reason.rename": "reason renamed",
    "reason.restore": "reason restored",
    "reason.retire": "reason retired",
    "rule.delete": "cold-start rule deleted",
    "rule.save": "cold-start rule saved",
    "settings.update": "settings changed",
    "token.create": "API token created",
    "token.revoke": "API token revoked",
    "user.create": "user added",
    "user.update": "user changed",
    "webhook.update": "webhook changed",
}


def action_words(action: str) -> str:
    """``user.update`` → "user changed": an audited action as the log reads it."""
    return ACTION_WORDS.get(action, action)


# Settings stored as shares and typed and shown as percentages everywhere else.
SHARE_KEYS = frozenset({"hot_threshold", "exploration"})


def change_words(change: Any, key: str = "") -> str:
    """One audited change in words: ``[from, to]`` as "from → to", any other detail as it reads; a
    share (``key`` in ``SHARE_KEYS``) as the percentage the settings page shows (0.5 → "50%")."""
    words = _percent_words if key in SHARE_KEYS else value_words
    if isinstance(change, list) and len(change) == 2:
        return f"{words(change[0])} → {words(change[1])}"
    return words(change)
