"""The lead fields a reason or a rep can point at, and the feature columns each covers (no Django here).

A *field* is what a person names; a *column* is what the model sees. A field is one of:

- a profile field or a custom attribute: its own column (``industry``, ``deal_value``, ``crm_stage``);
- ``activity:<type>``: the behaviour columns about one activity type (``count__<type>``, ``recent30__<type>``);
- ``recency``: how recently the lead was active (days since the last activity, the last 7 and 30
  days' counts, the time-decayed count);
- ``engagement``: how much and for how long (total activities, active days, engagement span);
- ``lead_age``: how long ago the lead was created.

Reasons carry fields (``Reason.fields``), reps mark fields (``Label.fields``), and training maps
them to columns with :func:`columns_of`; explanation lines name their field with :func:`field_of`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

ACTIVITY_PREFIX = "activity:"
RECENCY = "recency"
ENGAGEMENT = "engagement"
LEAD_AGE = "lead_age"

_GROUPS = {
    "act_days_since_last": RECENCY,
    "act_last_7d": RECENCY,
    "act_last_30d": RECENCY,
    "act_decayed": RECENCY,
    "act_total": ENGAGEMENT,
    "act_active_days": ENGAGEMENT,
    "act_span_days": ENGAGEMENT,
    "lead_age_days": LEAD_AGE,
}
_TYPE_PREFIXES = ("count__", "recent30__")
_GROUP_WORDS = {
    RECENCY: "recent activity",
    ENGAGEMENT: "overall engagement",
    LEAD_AGE: "lead age",
}


def field_of(column: str) -> str:
    """The field a feature column belongs to: ``count__demo`` → ``activity:demo``, ``industry`` → itself."""
    if column in _GROUPS:
        return _GROUPS[column]
    for prefix in _TYPE_PREFIXES:
        if column.startswith(prefix):
            return ACTIVITY_PREFIX + column.removeprefix(prefix)
    return column


def columns_of(field: str, columns: Sequence[str]) -> list[str]:
    """The columns among ``columns`` that ``field`` covers (empty when the model knows none of them)."""
    return [column for column in columns if field_of(column) == field]


def known_fields(columns: Iterable[str]) -> list[str]:
    """Every field the given feature columns speak to, in their first column's order, each once."""
    seen: dict[str, None] = {}
    for column in columns:
        if not column.startswith("_"):
            seen.setdefault(field_of(column), None)
    return list(seen)


def field_words(field: str) -> str:
    """A field in plain words: ``activity:pricing_visit`` → ``pricing visit activity``."""
    if field.startswith(ACTIVITY_PREFIX):
        return f"{_humanise(field.removeprefix(ACTIVITY_PREFIX))} activity"
    return _GROUP_WORDS.get(field, _humanise(field))


def _humanise(name: str) -> str:
    return name.replace("_", " ").replace("-", " ").strip()
