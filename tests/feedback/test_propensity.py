"""The queue's pick probability travels from the rescore to the lease, onto the label, and back on undo."""

from __future__ import annotations

from typing import Any

import pytest

from feedback.models import Label, Lease
from feedback.services import label_submit, label_undo, labels_import, lease_next_leads
from leads.models import Lead
from learning import rescoring
from learning.services import training
from tests.scores import set_score


def test_a_leased_lead_carries_its_pick_probability_onto_the_lease_and_the_label(make_leads: Any, rep: Any) -> None:
    make_leads(4)
    first, *others = Lead.objects.order_by("id")
    set_score(first, score=0.3, priority=0.9, propensity=0.125)
    for lead in others:
        set_score(lead, score=0.1, priority=0.1, propensity=0.01)
    leased = lease_next_leads(user=rep, limit=1, lease_minutes=15)
    assert [lead.pk for lead in leased] == [first.pk]
    assert Lease.objects.get(lead=first).propensity == 0.125
    label = label_submit(user=rep, lead=leased[0], outcome="converted", reason_code="champion").label
    assert Label.objects.get(pk=label.pk).propensity == 0.125
    assert not Lease.objects.filter(lead=first).exists()


def test_undo_puts_the_propensity_back_on_the_lease_and_a_relabel_keeps_it(make_leads: Any, rep: Any) -> None:
    make_leads(2)
    lead = Lead.objects.order_by("id").first()
    set_score(lead, score=0.3, priority=0.9, propensity=0.25)
    lease_next_leads(user=rep, limit=1, lease_minutes=15)
    label_submit(user=rep, lead=lead, outcome="converted", reason_code="champion")
    assert label_undo(user=rep, lease_minutes=15) is not None
    assert Lease.objects.get(lead=lead).propensity == 0.25
    assert not Label.objects.filter(lead=lead).exists()
    relabel = label_submit(
        user=rep, lead=Lead.objects.get(pk=lead.pk), outcome="not_converted", reason_code="no_budget"
    )
    assert relabel.label.propensity == 0.25


def test_labels_outside_the_queue_and_imported_history_keep_no_propensity(make_leads: Any, rep: Any) -> None:
    make_leads(2)
    first, second = Lead.objects.order_by("id")
    for lead in (first, second):
        set_score(lead, score=0.3, priority=0.5, propensity=0.3)
    direct = label_submit(user=rep, lead=first, outcome="converted", reason_code="champion").label
    assert direct.propensity is None, "labeled from the lead page: never leased"
    labels_import(outcomes={second.pk: "converted"})
    assert Label.objects.get(lead=second).propensity is None


@pytest.mark.django_db
def test_a_rescore_stores_every_open_leads_pick_probability(make_leads: Any) -> None:
    make_leads(60, seed=5, labeled=0.5)
    training.train_model_version(labels_revision=1)
    rescoring.rescore_open_leads()
    values = list(Lead.objects.filter(status="open").values_list("propensity", flat=True))
    assert values and all(p is not None and p > 0 for p in values)
    assert sum(values) == pytest.approx(1.0)
    assert min(values) >= 0.2 / len(values) - 1e-12, "the floor of random picks"
