"""Explanations past the queue's head: computed for a whole page of leads in one go, under the
model that scored them, and only shown (a read stores nothing; the rescore writes explanations)."""

from __future__ import annotations

from typing import Any

import pytest

from leads.models import Lead, LeadScore, LeadStatus
from learning import quarantine, rescoring, scoring, selectors
from learning.services import training
from tests.scores import set_score


@pytest.fixture
def unexplained(make_leads: Any, monkeypatch: pytest.MonkeyPatch) -> list[Lead]:
    """Eight open leads rescored under the point rules, none of them explained yet."""
    make_leads(8)
    with monkeypatch.context() as patch:
        patch.setattr(rescoring, "EXPLAIN_HEAD", 0)
        rescoring.rescore_open_leads()
    leads = list(Lead.objects.order_by("id"))
    assert all(lead.scored_at is not None and lead.explanation is None for lead in leads)
    return leads


@pytest.fixture
def feature_reads(monkeypatch: pytest.MonkeyPatch) -> list[list[int]]:
    """The lead ids of every feature read for explanations."""
    reads: list[list[int]] = []
    real = selectors.feature_frame

    def counting(**kwargs: Any) -> Any:
        reads.append(sorted(int(i) for i in kwargs["lead_ids"]))
        return real(**kwargs)

    monkeypatch.setattr(quarantine, "feature_frame", counting)  # the bulk read readable_features makes
    return reads


def stored(leads: list[Lead]) -> dict[int, Any]:
    return dict(Lead.objects.filter(pk__in=[lead.pk for lead in leads]).values_list("pk", "explanation"))


@pytest.mark.django_db
def test_the_missing_explanations_of_many_leads_are_computed_in_one_read_and_not_stored(
    unexplained: list[Lead], feature_reads: list[list[int]]
) -> None:
    page = unexplained[:5]

    scoring.explain_leads(leads=page)

    assert feature_reads == [[lead.pk for lead in page]]
    assert all(lead.explanation and "points" in lead.explanation[0] for lead in page)
    assert set(stored(unexplained).values()) == {None}, "a read writes nothing"


@pytest.mark.django_db
def test_the_queue_head_the_rescore_explained_is_read_without_computing(
    make_leads: Any, feature_reads: list[list[int]]
) -> None:
    make_leads(4)
    rescoring.rescore_open_leads()
    page = list(Lead.objects.order_by("id"))
    feature_reads.clear()  # the rescore's own reads

    scoring.explain_leads(leads=page)

    assert feature_reads == []
    assert all(lead.explanation and "points" in lead.explanation[0] for lead in page)


@pytest.mark.django_db
def test_only_the_leads_scored_by_the_active_model_and_unexplained_are_computed(
    unexplained: list[Lead], feature_reads: list[list[int]]
) -> None:
    current, old_model, explained, never_scored = unexplained[0], unexplained[1], unexplained[2], unexplained[3]
    set_score(old_model, model_version=9)  # scored by a version no longer active
    set_score(explained, explanation=["+5 points: already said"])
    LeadScore.objects.filter(lead=never_scored).delete()
    page = list(Lead.objects.filter(pk__in=[lead.pk for lead in unexplained[:4]]).order_by("id"))

    scoring.explain_leads(leads=page)

    assert feature_reads == [[current.pk]]
    by_pk = {lead.pk: lead.explanation for lead in page}
    assert by_pk[current.pk] and by_pk[old_model.pk] == [] and by_pk[never_scored.pk] is None
    assert by_pk[explained.pk] == ["+5 points: already said"]
    assert stored(page)[old_model.pk] is None


@pytest.mark.django_db
def test_a_page_with_nothing_missing_reads_no_features(unexplained: list[Lead], feature_reads: list[list[int]]) -> None:
    scoring.explain_leads(leads=[])
    scoring.explain_leads(leads=[Lead.objects.create(external_id="NEW")])

    assert feature_reads == []


@pytest.mark.django_db
def test_under_a_trained_model_the_explanations_are_the_models(
    make_leads: Any, monkeypatch: pytest.MonkeyPatch, feature_reads: list[list[int]]
) -> None:
    make_leads(90, seed=5, labeled=0.5)
    version = training.train_model_version(labels_revision=1)
    monkeypatch.setattr(rescoring, "EXPLAIN_HEAD", 0)
    rescoring.rescore_open_leads()
    page = list(Lead.objects.filter(status=LeadStatus.OPEN).order_by("id")[:4])
    feature_reads.clear()

    scoring.explain_leads(leads=page)

    assert feature_reads == [[lead.pk for lead in page]]
    assert all(lead.model_version == version.version for lead in page)
    assert all(lead.explanation and all(line[0] in "▲▼" for line in lead.explanation) for lead in page)
    assert set(stored(page).values()) == {None}
