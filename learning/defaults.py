"""The rows a new database starts with: the loop's singleton rows, cold-start point rules and next
best actions (defaults live in code; the initial data migration and the test fixtures call this)."""

from __future__ import annotations

from typing import Any

ACTIVITY_POINTS = {
    "email_open": 1,
    "email_click": 3,
    "page_visit": 2,
    "pricing_visit": 10,
    "download": 5,
    "webinar": 8,
    "demo_request": 25,
    "meeting": 15,
    "call": 5,
}
PROFILE_POINTS = [
    ("seniority", "c-level", 15),
    ("seniority", "vp", 12),
    ("seniority", "director", 8),
    ("seniority", "individual contributor", -5),
    ("source", "referral", 10),
    ("source", "event", 5),
]
DEFAULT_ACTIONS = [
    ("call_now", "Call now", 800.0, [{"field": "score", "op": ">=", "value": 0.5}]),
    (
        "book_demo",
        "Offer a demo",
        600.0,
        [{"field": "score", "op": ">=", "value": 0.25}, {"field": "employees", "op": ">=", "value": 51.0}],
    ),
    (
        "partner_handoff",
        "Hand to a partner agency",
        250.0,
        [{"field": "employees", "op": "<=", "value": 50.0}],
    ),
    ("nurture_email", "Nurture email", 60.0, [{"field": "score", "op": "<", "value": 0.5}]),
    ("disqualify", "Disqualify", 10.0, [{"field": "score", "op": "<", "value": 0.05}]),
]


def learning_defaults_create(apps: Any) -> None:
    """Create what is missing; an admin's edits are kept. ``apps`` is a migration's app registry
    (or django.apps.apps)."""
    for singleton in ("LoopSettings", "LoopState", "LoopLock"):
        apps.get_model("learning", singleton).objects.get_or_create(pk=1)
    point_rule = apps.get_model("learning", "PointRule")
    for kind, points in ACTIVITY_POINTS.items():
        point_rule.objects.get_or_create(kind="activity", field="", value=kind, defaults={"points": points})
    for field, value, points in PROFILE_POINTS:
        point_rule.objects.get_or_create(kind="profile", field=field, value=value, defaults={"points": points})
    next_action = apps.get_model("learning", "NextAction")
    for position, (code, label, worth, rules) in enumerate(DEFAULT_ACTIONS):
        next_action.objects.get_or_create(
            code=code, defaults={"label": label, "value": worth, "rules": rules, "position": position}
        )
