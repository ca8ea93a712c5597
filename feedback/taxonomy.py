"""The default reason taxonomy's fields: what each shipped reason speaks to (defaults live in code).

Field names follow the lead-field vocabulary (see ``learning.core.fields``): profile fields and
custom attributes by name, ``activity:<type>`` for one kind of activity, ``recency``,
``engagement`` and ``lead_age`` for the behaviour groups. A field the data does not have (a
``revenue`` attribute on a team that imports none) costs nothing: training finds no column for it.
"""

from __future__ import annotations

from typing import Any

SIZE = ["deal_value", "employees", "revenue", "annual_revenue"]
FIT = ["industry", "employees", "department"]
AUTHORITY = ["seniority", "title"]
BUYING_ACTIVITY = ["activity:pricing_visit", "activity:demo_request"]

DEFAULT_REASON_FIELDS: dict[str, list[str]] = {
    "budget_approved": SIZE,
    "urgent_pain": [*BUYING_ACTIVITY, "recency"],
    "champion": [*AUTHORITY, "activity:meeting"],
    "strong_fit": FIT,
    "price_value": ["deal_value", "activity:pricing_visit"],
    "no_budget": SIZE,
    "bad_timing": ["recency", "lead_age"],
    "no_authority": AUTHORITY,
    "competitor": [*BUYING_ACTIVITY, "activity:meeting"],
    "poor_fit": FIT,
    "unresponsive": ["recency", "engagement"],
}

# "None of these": the reasons whose notes say what the taxonomy is missing (candidate reasons).
OTHER_REASONS = [
    ("other_converted", "Other (say why in the note)", "converted"),
    ("other_not_converted", "Other (say why in the note)", "not_converted"),
]
OTHER_CODES = frozenset(code for code, _, _ in OTHER_REASONS)
OTHER_POSITION = 90  # after every shipped and added reason of its outcome


# The shipped taxonomy: (code, label, outcome), in the order the label form lists them.
DEFAULT_REASONS = [
    ("budget_approved", "Budget approved", "converted"),
    ("urgent_pain", "Urgent pain", "converted"),
    ("champion", "Strong internal champion", "converted"),
    ("strong_fit", "Strong product fit", "converted"),
    ("price_value", "Clear value for the price", "converted"),
    ("no_budget", "No budget", "not_converted"),
    ("bad_timing", "Bad timing", "not_converted"),
    ("no_authority", "No decision authority", "not_converted"),
    ("competitor", "Chose a competitor", "not_converted"),
    ("poor_fit", "Poor fit", "not_converted"),
    ("unresponsive", "Went silent", "not_converted"),
]


def default_reasons_create(reason_model: Any) -> None:
    """The shipped reasons, where missing, then their fields and the "other" reasons."""
    for position, (code, label, outcome) in enumerate(DEFAULT_REASONS):
        reason_model.objects.get_or_create(
            code=code, defaults={"label": label, "outcome": outcome, "position": position}
        )
    default_reasons_apply(reason_model)


def default_reasons_apply(reason_model: Any) -> None:
    """Give the shipped reasons their default fields where an admin has set none, and add the
    "other" reasons. ``reason_model`` is the Reason class (a migration passes its historical one)."""
    for code, fields in DEFAULT_REASON_FIELDS.items():
        reason_model.objects.filter(code=code, fields=[]).update(fields=fields)
    for code, label, outcome in OTHER_REASONS:
        reason_model.objects.get_or_create(
            code=code, defaults={"label": label, "outcome": outcome, "position": OTHER_POSITION}
        )
