"""A lead's history of labels and scores: written on labels and undos, and on big score moves in bulk."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import numpy as np
import pytest
from django.db.models import Count
from django.utils import timezone

from feedback.services import label_submit, label_undo
from leads.models import SCORE_HISTORY_KEEP, Lead, LeadScore, ScoreEvent
from leads.scorestore import ScoreRows, scores_replace
from tests.scores import set_score


def write_scores(scores: dict[int, float], *, at: Any = None, version: int | None = 3) -> None:
    ids = list(scores)
    n = len(ids)
    rows = ScoreRows(
        lead_ids=np.array(ids, dtype=np.int64),
        score=np.array([scores[i] for i in ids], dtype=float),
        fit_score=np.full(n, 50.0),
        behavior_score=np.full(n, 50.0),
        expected_value=np.full(n, np.nan),
        uncertainty=np.full(n, 0.5),
        priority=np.full(n, 0.5),
        queue_reason=np.array(["model unsure"] * n, dtype=object),
    )
    scores_replace(rows=rows, model_version=version, scored_at=at or timezone.now())


@pytest.mark.django_db
def test_a_rescore_records_only_the_leads_whose_score_moved_more_than_five_points(make_leads: Any) -> None:
    make_leads(3)
    a, b, c = Lead.objects.order_by("id").values_list("id", flat=True)
    write_scores({a: 0.40, b: 0.40, c: 0.40}, version=None)
    ScoreEvent.objects.all().delete()

    write_scores({a: 0.52, b: 0.43, c: 0.30})

    moves = {e.lead_id: (e.previous_score, e.score, e.model_version) for e in ScoreEvent.objects.all()}
    assert moves == {a: (pytest.approx(0.40), pytest.approx(0.52), 3), c: (pytest.approx(0.40), pytest.approx(0.30), 3)}
    assert Lead.objects.get(id=b).score == pytest.approx(0.43)


@pytest.mark.django_db
def test_a_first_score_is_not_a_move(make_leads: Any) -> None:
    make_leads(2)
    LeadScore.objects.all().delete()

    write_scores(dict.fromkeys(Lead.objects.values_list("id", flat=True), 0.9))

    assert not ScoreEvent.objects.filter(cause="rescore").exists()


@pytest.mark.django_db
def test_only_the_last_moves_of_a_lead_are_kept(make_leads: Any) -> None:
    make_leads(1)
    lead_id = Lead.objects.get().id
    start = timezone.now()
    for i in range(SCORE_HISTORY_KEEP + 5):
        write_scores({lead_id: 0.2 if i % 2 else 0.8}, at=start + timedelta(seconds=i))

    kept = list(ScoreEvent.objects.filter(lead_id=lead_id, cause="rescore").order_by("recorded_at"))
    assert len(kept) == SCORE_HISTORY_KEEP
    assert kept[-1].recorded_at == start + timedelta(seconds=SCORE_HISTORY_KEEP + 4)


@pytest.mark.django_db
def test_a_label_and_its_undo_are_recorded_with_the_score_the_rep_saw(rep: Any, make_leads: Any) -> None:
    make_leads(2)
    lead = Lead.objects.order_by("id").first()
    lead = set_score(lead, score=0.61, model_version=4)

    label_submit(user=rep, lead=lead, outcome="converted", reason_code="champion")
    label_undo(user=rep, lease_minutes=15)

    events = list(ScoreEvent.objects.filter(lead=lead).order_by("id"))
    assert [(e.cause, e.outcome, e.user, e.score, e.model_version) for e in events] == [
        ("label", "converted", rep, 0.61, 4),
        ("undo", "converted", rep, 0.61, 4),
    ]
    assert events[0].reason


@pytest.mark.django_db
def test_the_lead_page_shows_its_history(rep: Any, page_for: Any, make_leads: Any) -> None:
    make_leads(2)
    lead = Lead.objects.order_by("id").first()
    set_score(lead, score=0.4)
    lead = Lead.objects.get(pk=lead.pk)
    label_submit(user=rep, lead=lead, outcome="not_converted", reason_code="no_budget")

    html = page_for(rep).get(f"/leads/{lead.external_id}/").content.decode()

    assert "History of labels and scores" in html
    assert "Labeled: not converted" in html
    assert "rep1" in html
    # A closed lead is no longer scored: its score is the last one it had while open.
    assert "its last score while open" in html and "likely to convert" not in html and "Model is" not in html
    assert "<dt>Expected value</dt>" not in html


@pytest.mark.django_db
def test_the_lead_page_says_how_many_activities_it_lists(
    rep: Any, page_for: Any, make_leads: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_leads(5)
    lead = Lead.objects.annotate(n=Count("activities")).filter(n__gte=3).order_by("id").first()
    assert lead is not None

    html = page_for(rep).get(f"/leads/{lead.external_id}/").content.decode()
    assert f"{lead.n}, newest first" in html

    monkeypatch.setattr("leads.views.ACTIVITIES_SHOWN", 2)
    html = page_for(rep).get(f"/leads/{lead.external_id}/").content.decode()
    assert "the latest 2, newest first" in html
    assert html.count("<li><time>") == 2

    monkeypatch.setattr("leads.views.ACTIVITIES_SHOWN", lead.n)  # all of them fit: no "latest"
    html = page_for(rep).get(f"/leads/{lead.external_id}/").content.decode()
    assert f"{lead.n}, newest first" in html and "the latest" not in html


@pytest.mark.django_db
def test_the_lead_page_says_whose_queue_a_leased_lead_is_in_and_offers_a_rep_no_form(
    rep: Any, rep2: Any, admin: Any, page_for: Any, make_leads: Any
) -> None:
    from feedback.services import lease_next_leads

    make_leads(3)
    leased = lease_next_leads(user=rep2, limit=1, lease_minutes=30)[0]
    url = f"/leads/{leased.external_id}/"

    for_rep = page_for(rep).get(url).content.decode()
    for_admin = page_for(admin).get(url).content.decode()
    for_holder = page_for(rep2).get(url).content.decode()

    assert f"In {rep2.get_username()}'s queue until" in for_rep and 'name="outcome"' not in for_rep
    assert "your label takes it over" in for_admin and 'name="outcome"' in for_admin
    assert "queue until" not in for_holder and 'name="outcome"' in for_holder


@pytest.mark.django_db
def test_an_imported_labels_page_dates_its_outcome_and_says_where_the_label_came_from(
    rep: Any, page_for: Any, make_leads: Any
) -> None:
    from feedback.models import Label

    make_leads(4, labeled=1.0)
    label = Label.objects.select_related("lead").filter(source="import").first()
    assert label is not None
    Label.objects.filter(pk=label.pk).update(outcome_at=label.created_at - timedelta(days=15))
    outcome_day = (label.created_at - timedelta(days=15)).strftime("%-d %b %Y")

    html = page_for(rep).get(f"/leads/{label.lead.external_id}/").content.decode()

    assert f"outcome {outcome_day}, imported" in html
    assert "The label came with the import (above)" in html and "No label yet" not in html


@pytest.mark.django_db
def test_a_lead_closed_before_it_was_scored_says_so(rep: Any, page_for: Any, make_leads: Any) -> None:
    make_leads(3, labeled=1.0)
    lead = Lead.objects.exclude(status="open").filter(current__isnull=True).first()
    assert lead is not None

    html = page_for(rep).get(f"/leads/{lead.external_id}/").content.decode()

    assert "never scored while open" in html and "It closed before it was scored." in html
    assert "its last score while open" not in html and "once it is scored" not in html
