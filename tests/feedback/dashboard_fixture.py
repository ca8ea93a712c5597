"""A small labeled team whose dashboard figures are worked out by hand in the tests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from feedback.models import Label, Reason, Skip
from leads.models import Lead

# lead, industry, source, country, outcome, reason, rep, score seen, labeled on, seconds, note
ROWS = [
    ("L1", "software", "referral", "DE", "converted", "champion", "rep1", 0.90, (2026, 10, 5), 2.0, ""),
    ("L2", "software", "outbound", "DE", "converted", "budget_approved", "rep1", 0.70, (2026, 10, 6), 4.0, ""),
    (
        "L3",
        "retail",
        "referral",
        "FR",
        "not_converted",
        "no_budget",
        "rep2",
        0.85,
        (2026, 10, 13),
        6.0,
        "CFO froze spend",
    ),
    ("L4", "retail", "outbound", "FR", "not_converted", "no_budget", "rep2", 0.30, (2026, 11, 2), 8.0, ""),
    ("L5", "logistics", "referral", "DE", "converted", "champion", "rep2", 0.10, (2026, 11, 3), 10.0, "Surprise win"),
    ("L6", "logistics", "outbound", "US", "not_converted", "poor_fit", None, None, (2026, 11, 4), None, ""),
]


def build_team(users: dict[str, Any]) -> None:
    for ext, industry, source, country, outcome, reason, rep, seen, day, seconds, note in ROWS:
        lead = Lead.objects.create(
            external_id=ext, company=f"Company {ext}", industry=industry, source=source, country=country, status=outcome
        )
        label = Label.objects.create(
            lead=lead,
            outcome=outcome,
            reason=Reason.objects.get(code=reason),
            user=users.get(rep) if rep else None,
            source="rep" if rep else "import",
            score_seen=seen,
            seconds_to_label=seconds,
            note=note,
        )
        when = datetime(*day, 12, 0, tzinfo=UTC)
        Label.objects.filter(pk=label.pk).update(created_at=when, outcome_at=when)
    # Two skips by rep1 on 2 Nov, one by rep2 on 3 Nov.
    for rep, day in (("rep1", 2), ("rep1", 2), ("rep2", 3)):
        skip = Skip.objects.create(lead=Lead.objects.get(external_id="L4"), user=users[rep])
        Skip.objects.filter(pk=skip.pk).update(created_at=datetime(2026, 11, day, 9, 0, tzinfo=UTC))
