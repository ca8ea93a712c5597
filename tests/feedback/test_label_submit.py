from __future__ import annotations

from typing import Any

import pytest

from feedback.models import Label, Lease
from feedback.services import LabelError, label_submit, label_undo, labels_import, lead_skip, lease_next_leads
from leads.models import Lead, LeadStatus
from learning.models import LoopState
from tests.scores import set_score


def test_a_label_closes_the_lead_records_what_the_rep_saw_and_counts_as_pending_learning(
    make_leads: Any, rep: Any
) -> None:
    make_leads(5)
    lead = Lead.objects.first()
    lead = set_score(lead, score=0.42, model_version=3)
    revision = LoopState.objects.get().labels_revision
    result = label_submit(user=rep, lead=lead, outcome="converted", reason_code="champion", note="  met the CFO ")
    assert result.created
    label = result.label
    assert (label.score_seen, label.model_version_seen, label.note) == (0.42, 3, "met the CFO")
    lead.refresh_from_db()
    assert lead.status == LeadStatus.CONVERTED
    assert LoopState.objects.get().labels_revision == revision + 1


def test_the_same_label_submitted_twice_is_stored_once(make_leads: Any, rep: Any) -> None:
    make_leads(3)
    lead = Lead.objects.first()
    first = label_submit(user=rep, lead=lead, outcome="not_converted", reason_code="no_budget")
    again = label_submit(user=rep, lead=lead, outcome="not_converted", reason_code="no_budget")
    assert not again.created and again.label.pk == first.label.pk
    assert Label.objects.count() == 1


def test_a_conflicting_second_label_is_refused_with_409(make_leads: Any, rep: Any, rep2: Any) -> None:
    make_leads(3)
    lead = Lead.objects.first()
    label_submit(user=rep, lead=lead, outcome="converted", reason_code="champion")
    with pytest.raises(LabelError) as error:
        label_submit(user=rep2, lead=lead, outcome="not_converted", reason_code="no_budget")
    assert error.value.status == 409 and error.value.field == "lead"


@pytest.mark.parametrize(
    ("outcome", "reason", "field"),
    [
        ("maybe", "champion", "outcome"),
        ("converted", "", "reason"),
        ("converted", "nope", "reason"),
        ("converted", "no_budget", "reason"),
    ],
)
def test_bad_labels_name_the_field_and_save_nothing(
    make_leads: Any, rep: Any, outcome: str, reason: str, field: str
) -> None:
    make_leads(2)
    with pytest.raises(LabelError) as error:
        label_submit(user=rep, lead=Lead.objects.first(), outcome=outcome, reason_code=reason)
    assert error.value.field == field
    assert not Label.objects.exists()


@pytest.mark.parametrize(
    ("outcome", "reason"), [("converted", "other_converted"), ("not_converted", "other_not_converted")]
)
@pytest.mark.parametrize("note", ["", "   \n "])
def test_an_other_reason_without_a_note_is_refused_naming_the_note_and_the_lead_stays_leased(
    make_leads: Any, rep: Any, outcome: str, reason: str, note: str
) -> None:
    make_leads(2)
    [lead] = lease_next_leads(user=rep, limit=1, lease_minutes=15)
    with pytest.raises(LabelError) as error:
        label_submit(user=rep, lead=lead, outcome=outcome, reason_code=reason, note=note, other_needs_note=True)
    assert (error.value.field, error.value.status) == ("note", 400)
    assert str(error.value) == "note: say why — this reason needs a note"
    assert not Label.objects.exists()
    lead.refresh_from_db()
    assert lead.status == LeadStatus.OPEN
    assert Lease.objects.filter(lead=lead, user=rep).exists()


def test_an_other_reason_with_a_note_is_stored(make_leads: Any, rep: Any) -> None:
    make_leads(2)
    lead = Lead.objects.first()
    result = label_submit(
        user=rep, lead=lead, outcome="not_converted", reason_code="other_not_converted", note=" legal blocked it "
    )
    assert result.created
    assert (result.label.reason.code, result.label.note) == ("other_not_converted", "legal blocked it")


def test_imported_history_needs_no_reason_nor_note(make_leads: Any) -> None:
    make_leads(2)
    lead = Lead.objects.first()
    assert labels_import(outcomes={lead.pk: "converted"}).recorded == 1
    label = Label.objects.get()
    assert (label.outcome, label.reason, label.note, label.source) == ("converted", None, "", "import")


def test_undo_reopens_the_last_label_and_leases_the_lead_back_to_the_rep(make_leads: Any, rep: Any) -> None:
    make_leads(4)
    lead = lease_next_leads(user=rep, limit=1, lease_minutes=15)[0]
    label_submit(user=rep, lead=lead, outcome="converted", reason_code="champion")
    assert label_undo(user=rep, lease_minutes=15) == lead
    lead.refresh_from_db()
    assert lead.status == LeadStatus.OPEN and not Label.objects.exists()
    assert lease_next_leads(user=rep, limit=1, lease_minutes=15)[0] == lead
    assert label_undo(user=rep, lease_minutes=15) is None


def test_imported_history_never_overwrites_a_reps_label(make_leads: Any, rep: Any) -> None:
    make_leads(3)
    lead = Lead.objects.first()
    label_submit(user=rep, lead=lead, outcome="converted", reason_code="champion")
    assert labels_import(outcomes={lead.pk: "not_converted"}).recorded == 0
    assert Label.objects.get().outcome == "converted"


def test_two_reps_get_different_leads_and_a_rep_keeps_their_own(make_leads: Any, rep: Any, rep2: Any) -> None:
    make_leads(10)
    mine = lease_next_leads(user=rep, limit=3, lease_minutes=15)
    theirs = lease_next_leads(user=rep2, limit=3, lease_minutes=15)
    assert len(mine) == len(theirs) == 3
    assert not {lead.pk for lead in mine} & {lead.pk for lead in theirs}
    assert {lead.pk for lead in lease_next_leads(user=rep, limit=3, lease_minutes=15)} == {lead.pk for lead in mine}


def test_the_queue_comes_in_priority_order(make_leads: Any, rep: Any) -> None:
    make_leads(6)
    for rank, lead in enumerate(Lead.objects.order_by("id")):
        set_score(lead, priority=rank / 10)
    leads = lease_next_leads(user=rep, limit=6, lease_minutes=15)
    assert [lead.priority for lead in leads] == sorted((lead.priority for lead in leads), reverse=True)


def test_an_expired_lease_returns_the_lead_to_the_pool(make_leads: Any, rep: Any, rep2: Any) -> None:
    make_leads(1)
    [lead] = lease_next_leads(user=rep, limit=1, lease_minutes=15)
    assert lease_next_leads(user=rep2, limit=1, lease_minutes=15) == []
    from datetime import timedelta

    from django.utils import timezone

    Lease.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert lease_next_leads(user=rep2, limit=1, lease_minutes=15) == [lead]


def test_a_skipped_lead_goes_to_other_reps_but_not_back_to_the_one_who_skipped(
    make_leads: Any, rep: Any, rep2: Any
) -> None:
    make_leads(1)
    [lead] = lease_next_leads(user=rep, limit=1, lease_minutes=15)
    lead_skip(user=rep, lead=lead)
    assert lease_next_leads(user=rep, limit=1, lease_minutes=15) == []
    assert lease_next_leads(user=rep2, limit=1, lease_minutes=15) == [lead]
