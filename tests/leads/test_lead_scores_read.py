"""A lead's current score, read through ``Lead.objects`` (a join on the score table): none for a
lead never scored, reloaded by ``refresh_from_db``, and ``scored()`` for the scored ones only."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from leads.models import SCORE_FIELDS, Activity, Lead, LeadScore
from tests.scores import set_score

pytestmark = pytest.mark.django_db

AT = datetime(2026, 11, 1, 12, 0, 7, 123457, tzinfo=UTC)


def test_a_lead_never_scored_reads_no_score_and_an_empty_queue_reason() -> None:
    Lead.objects.create(external_id="L1")

    lead = Lead.objects.get(external_id="L1")

    assert {name: getattr(lead, name) for name in SCORE_FIELDS} == {
        **dict.fromkeys(SCORE_FIELDS),
        "queue_reason": "",
    }


def test_a_lead_just_created_reads_no_score_before_any_query() -> None:
    lead = Lead.objects.create(external_id="L1")

    assert (lead.score, lead.queue_reason, lead.explanation) == (None, "", None)


def test_a_scored_lead_reads_every_score_column() -> None:
    lead = Lead.objects.create(external_id="L1")
    set_score(lead, score=0.4, priority=0.9, queue_reason="high score", model_version=2, scored_at=AT)

    read = Lead.objects.get(pk=lead.pk)

    assert (read.score, read.priority, read.queue_reason, read.model_version, read.scored_at) == (
        0.4,
        0.9,
        "high score",
        2,
        AT,
    )


def test_refresh_from_db_reloads_the_score() -> None:
    lead = Lead.objects.create(external_id="L1", company="Acme")
    set_score(lead, score=0.3, queue_reason="exploration", model_version=1)
    assert lead.score is None, "the object in hand still has what it was read with"

    lead.refresh_from_db()
    assert (lead.score, lead.queue_reason, lead.model_version) == (0.3, "exploration", 1)

    set_score(lead, score=0.8)
    lead.refresh_from_db()
    assert lead.score == 0.8


def test_refresh_from_db_forgets_a_score_that_is_gone() -> None:
    lead = set_score(Lead.objects.create(external_id="L1"), score=0.3, queue_reason="high score")
    LeadScore.objects.filter(lead=lead).delete()

    lead.refresh_from_db()

    assert (lead.score, lead.queue_reason) == (None, "")


def test_refresh_from_db_of_named_fields_reloads_only_those_fields() -> None:
    lead = set_score(Lead.objects.create(external_id="L1", company="Acme"), score=0.3)
    Lead.rows.filter(pk=lead.pk).update(company="Acme Ltd")
    set_score(lead, score=0.9)

    lead.refresh_from_db(fields=["company"])

    assert (lead.company, lead.score) == ("Acme Ltd", 0.3)


def test_scored_leaves_out_the_leads_without_a_score() -> None:
    scored = set_score(Lead.objects.create(external_id="L1", industry="retail"), score=0.3)
    Lead.objects.create(external_id="L2", industry="retail")

    assert list(Lead.objects.scored()) == [scored]
    assert list(Lead.objects.filter(industry="retail").scored()) == [scored]
    assert Lead.objects.filter(industry="retail").count() == 2


def test_a_lead_reached_through_a_relation_carries_its_score() -> None:
    lead = set_score(Lead.objects.create(external_id="L1"), score=0.55)
    Activity.objects.create(lead=lead, type="email_open", occurred_at=AT)

    assert Activity.objects.get().lead.score == 0.55
