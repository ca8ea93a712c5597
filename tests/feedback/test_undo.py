"""``u`` undoes the rep's last action, whichever it was: a label (its answer returned for editing)
or a skip (the lead comes back, unless another rep has it now)."""

from __future__ import annotations

from typing import Any

import pytest

from feedback.models import Label, Lease, Skip
from feedback.services import label_submit, last_action_undo, lead_skip, lease_next_leads
from leads.models import Lead


@pytest.mark.django_db
def test_undo_of_a_label_returns_its_answer_and_its_pick_probability(make_leads: Any, rep: Any) -> None:
    make_leads(3)
    lead = lease_next_leads(user=rep, limit=1, lease_minutes=15)[0]
    result = label_submit(user=rep, lead=lead, outcome="not_converted", reason_code="no_budget", note="froze spend")
    Label.objects.filter(pk=result.label.pk).update(propensity=0.25)

    undone = last_action_undo(user=rep, lease_minutes=15)

    assert undone is not None
    assert (undone.kind, undone.outcome, undone.reason, undone.note) == (
        "label",
        "not_converted",
        "no_budget",
        "froze spend",
    )
    assert not Label.objects.exists()
    assert Lease.objects.get(lead=lead).propensity == 0.25


@pytest.mark.django_db
def test_undo_after_a_skip_brings_the_skipped_lead_back_not_the_label_before(make_leads: Any, rep: Any) -> None:
    make_leads(4)
    first = lease_next_leads(user=rep, limit=1, lease_minutes=15)[0]
    label_submit(user=rep, lead=first, outcome="converted", reason_code="champion")
    second = lease_next_leads(user=rep, limit=1, lease_minutes=15)[0]
    lead_skip(user=rep, lead=second)

    undone = last_action_undo(user=rep, lease_minutes=15)

    assert undone is not None and (undone.kind, undone.lead, undone.back_in_queue) == ("skip", second, True)
    assert not Skip.objects.exists()
    assert Label.objects.filter(lead=first).exists()
    assert lease_next_leads(user=rep, limit=1, lease_minutes=15)[0] == second

    assert last_action_undo(user=rep, lease_minutes=15).kind == "label"  # then the label
    assert last_action_undo(user=rep, lease_minutes=15) is None


@pytest.mark.django_db
def test_a_skipped_lead_another_rep_took_meanwhile_stays_with_them(make_leads: Any, rep: Any, rep2: Any) -> None:
    make_leads(1)
    lead = lease_next_leads(user=rep, limit=1, lease_minutes=15)[0]
    lead_skip(user=rep, lead=lead)
    assert lease_next_leads(user=rep2, limit=1, lease_minutes=15) == [lead]

    undone = last_action_undo(user=rep, lease_minutes=15)

    assert undone is not None and (undone.kind, undone.back_in_queue) == ("skip", False)
    assert Lease.objects.get(lead=lead).user == rep2
    assert Lead.objects.get(pk=lead.pk).status == "open"
