"""The loop settings refuse values that make no sense (a queue of no leads, a rescore every eleven
years) with an error that names the setting as the page labels it; nothing is saved."""

from __future__ import annotations

import html
from typing import Any

import pytest

from config.models import AuditLog
from learning.models import LoopSettings
from tests.learning.test_settings_page import settings_body


def refused(response: Any) -> str:
    """The page's line of problems."""
    assert response.status_code == 400
    page = html.unescape(response.content.decode())
    return page.split('id="settings-problems">')[1].split("</p>")[0]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"lease_minutes": 0}, "Queue lease: must be between 1 and 1440 minutes"),
        (
            {"cold_start_hot_points": -1},
            "Starting rules: hot at points of at least: must be between 0 and 10,000 points",
        ),
        ({"cost_per_lead": 1e12}, "Cost of working a lead: must be at most 1,000,000,000"),
        (
            {"expected_value_threshold": -1e12},
            "Worth acting when expected value is at least: must be at least -1,000,000,000",
        ),
        ({"retrain_every_labels": 0}, "Retrain after this many new labels: must be between 1 and 1,000 labels"),
        (
            {"rescore_every_hours": 100000},
            "Rescore every open lead every: must be 0 (only after labels and imports) or between 1 and 720 hours "
            "(30 days)",
        ),
        (
            {"min_labels_per_outcome": 100_000_000},
            "Labels of each outcome before the model takes over: must be between 2 and 1,000 labels",
        ),
        (
            {"retrain_every_minutes": 9_223_372_036_854_775_807},
            "…or when a label has waited: must be 0 (never) or between 1 and 43,200 minutes (30 days)",
        ),
        ({"lease_minutes": "abc"}, "Queue lease: Enter a whole number"),  # Django's full stop is not doubled
    ],
)
def test_a_silly_value_is_refused_by_its_label_and_nothing_is_saved(
    change: dict[str, int], problem: str, admin: Any, page_for: Any
) -> None:
    response = page_for(admin).post("/settings/", settings_body(**change))

    assert refused(response) == f"Not saved: {problem}."
    saved = LoopSettings.objects.get()
    assert (saved.lease_minutes, saved.retrain_every_labels, saved.rescore_every_hours) == (15, 1, 24)
    assert not AuditLog.objects.exists()


@pytest.mark.django_db
def test_each_bad_setting_is_named_in_the_one_line(admin: Any, page_for: Any) -> None:
    response = page_for(admin).post("/settings/", settings_body(retrain_every_labels=0, hot_threshold=150))

    assert refused(response) == (
        "Not saved: Hot lead at a chance to convert of at least: enter a percentage from 1 to 99; "
        "Retrain after this many new labels: must be between 1 and 1,000 labels."
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "change",
    [
        {"retrain_every_labels": 1},
        {"retrain_every_labels": 1000},
        {"rescore_every_hours": 0},  # no rescore by the clock
        {"rescore_every_hours": 1},
        {"rescore_every_hours": 720},
    ],
)
def test_the_bounds_themselves_are_saved(change: dict[str, int], admin: Any, page_for: Any) -> None:
    response = page_for(admin).post("/settings/", settings_body(**change))

    assert response.status_code == 302
    saved = LoopSettings.objects.get()
    assert {name: getattr(saved, name) for name in change} == change


@pytest.mark.django_db
def test_a_valid_page_shows_no_line_of_problems(admin: Any, page_for: Any) -> None:
    assert 'id="settings-problems"' not in page_for(admin).get("/settings/").content.decode()


@pytest.mark.django_db
def test_a_refused_preview_says_there_is_no_preview(admin: Any, page_for: Any) -> None:
    response = page_for(admin).post("/settings/", settings_body(lease_minutes=0, preview="1"))

    assert refused(response) == "No preview: Queue lease: must be between 1 and 1440 minutes."


@pytest.mark.django_db
def test_while_an_outcome_has_too_few_labels_the_loop_status_says_training_waits(rep: Any, make_leads: Any) -> None:
    from feedback.services import label_submit
    from leads.models import Lead
    from learning.selectors import loop_status

    make_leads(12)
    LoopSettings.objects.update(min_labels_per_outcome=3)
    leads = list(Lead.objects.order_by("id")[:4])
    for lead, outcome, reason in zip(
        leads,
        ["converted", "converted", "converted", "not_converted"],
        ["champion", "champion", "champion", "no_budget"],
        strict=True,
    ):
        label_submit(user=rep, lead=lead, outcome=outcome, reason_code=reason)

    assert "the model trains once each outcome has 3 labels (now 3 converted, 1 not converted)" in loop_status()
    leads = list(Lead.objects.filter(status="open").order_by("id")[:2])
    for lead in leads:
        label_submit(user=rep, lead=lead, outcome="not_converted", reason_code="no_budget")
    assert "trains once" not in loop_status()
