"""A rep gives the why of an outcome an import recorded without one (a CRM's lost deal): the same
outcome completes that label, which becomes the rep's; another outcome is refused; undo never
reopens it; an import never overwrites it again."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from feedback.models import Label, LabelSource
from feedback.selectors import undoable_action
from feedback.services import LabelError, label_submit
from feedback.services.undo import last_action_undo
from leads.models import Lead
from tests.leads.test_import_leads import run_import, write_csv

pytestmark = pytest.mark.django_db


@pytest.fixture
def lost(defaults: None, tmp_path: Path) -> Lead:
    path = write_csv(
        tmp_path, [["CRM-1", "Acme", "lost", "2026-10-02"]], header=["external_id", "company", "Stage", "Closed"]
    )
    run_import(path, "--outcome-column", "Stage", "--positive", "won", "--outcome-date-column", "Closed")
    return Lead.objects.get(external_id="CRM-1")


def test_the_same_outcome_with_a_reason_completes_the_imported_label(lost: Lead, rep: Any) -> None:
    result = label_submit(
        user=rep,
        lead=lost,
        outcome="not_converted",
        reason_code="no_budget",
        note="frozen",
        fields=["deal_value"],
        known_fields=["deal_value"],
    )

    label = Label.objects.get()
    assert result.created and label.pk == result.label.pk
    assert (label.reason.code, label.note, label.fields, label.user, label.source) == (
        "no_budget",
        "frozen",
        ["deal_value"],
        rep,
        LabelSource.REP,
    )
    assert label.completes_import and label.outcome_at.date().isoformat() == "2026-10-02"  # the import's date


def test_another_outcome_is_refused_and_the_import_stands(lost: Lead, rep: Any) -> None:
    with pytest.raises(LabelError, match="was imported as not converted: give the why of that outcome") as refused:
        label_submit(user=rep, lead=lost, outcome="converted", reason_code="champion")

    assert refused.value.status == 409
    assert Label.objects.get().source == LabelSource.IMPORT and Label.objects.get().reason is None


def test_undo_leaves_it_and_a_reimport_never_overwrites_it(lost: Lead, rep: Any, tmp_path: Path) -> None:
    label_submit(user=rep, lead=lost, outcome="not_converted", reason_code="no_budget")

    assert last_action_undo(user=rep, lease_minutes=30) is None
    path = write_csv(tmp_path, [["CRM-1", "Acme", "won"]], header=["external_id", "company", "Stage"])
    _, err = run_import(path, "--outcome-column", "Stage", "--positive", "won")

    label = Label.objects.get()
    assert (label.outcome, label.reason.code) == ("not_converted", "no_budget")
    assert "a rep labeled that lead otherwise" in err


def test_the_lead_page_offers_the_why_of_the_imported_outcome(lost: Lead, rep: Any, page_for: Any) -> None:
    client = page_for(rep)
    page = client.get("/leads/CRM-1/").content.decode()
    assert "Add the why" in page and 'value="not_converted" required checked' in page
    assert 'value="converted"' not in page, "the form offers only the outcome the import recorded"

    client.post("/leads/CRM-1/label/", {"lead": "CRM-1", "outcome": "not_converted", "reason": "competitor"})

    after = client.get("/leads/CRM-1/").content.decode()
    assert Label.objects.get().reason.code == "competitor"
    assert "Add the why" not in after and "outcome 2 Oct 2026 (imported), why given" in after


def test_the_api_completes_it_too(lost: Lead, rep: Any, api_for: Any) -> None:
    body = {"lead": "CRM-1", "outcome": "not_converted", "reason": "no_budget"}

    assert api_for(rep).post("/api/labels", body).status_code == 201
    assert api_for(rep).post("/api/labels", {**body, "reason": "competitor"}).status_code == 409  # now the rep's


def test_the_queues_undo_never_names_a_completed_import(lost: Lead, rep: Any) -> None:
    label_submit(user=rep, lead=lost, outcome="not_converted", reason_code="no_budget")

    assert undoable_action(user=rep, window=timedelta(minutes=30)) is None


def test_without_javascript_the_form_shows_only_the_imported_outcomes_reasons(
    lost: Lead, rep: Any, page_for: Any
) -> None:
    page = page_for(rep).get("/leads/CRM-1/").content.decode()
    form = page[page.index("Add the why") :]

    assert 'data-outcome="not_converted"' in form and 'data-outcome="converted"' not in form
    assert "Pick the outcome first" not in form
