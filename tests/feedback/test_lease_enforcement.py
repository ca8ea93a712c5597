"""Leases are enforced on the server (issue 16, finding 2): a rep cannot label a lead leased to
someone else (409 naming who holds it until when), an admin may, audited, and an undo never moves
a lease to someone else."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from config.models import AuditLog
from feedback.models import Label, Lease
from feedback.services import label_undo, lease_next_leads
from leads.models import Lead, LeadStatus

FETCH = {"X-Requested-With": "fetch"}


def leased_to(user: Any) -> Lead:
    lead = lease_next_leads(user=user, limit=1, lease_minutes=15)[0]
    return Lead.objects.get(pk=lead.pk)


def body(lead: Lead) -> dict[str, str]:
    return {"lead": lead.external_id, "outcome": "converted", "reason": "champion"}


@pytest.mark.django_db
def test_a_rep_labeling_a_lead_leased_to_another_rep_gets_409_naming_the_holder_and_expiry(
    make_leads: Any, rep: Any, rep2: Any, api_for: Any
) -> None:
    make_leads(4)
    lead = leased_to(rep)
    expires = Lease.objects.get(lead=lead).expires_at

    response = api_for(rep2).post("/api/labels", body(lead))

    assert response.status_code == 409
    detail = response.json()
    assert detail["field"] == "lead"
    assert "rep1" in detail["detail"] and expires.strftime("%H:%M") in detail["detail"]
    assert detail["leased_to"] == "rep1"
    assert detail["leased_until"].startswith(expires.isoformat()[:19])
    assert not Label.objects.exists()
    assert Lead.objects.get(pk=lead.pk).status == LeadStatus.OPEN
    assert Lease.objects.get(lead=lead).user == rep


@pytest.mark.django_db
def test_the_holder_can_still_label_their_lead_after_another_rep_was_refused(
    make_leads: Any, rep: Any, rep2: Any, api_for: Any
) -> None:
    make_leads(4)
    lead = leased_to(rep)
    api_for(rep2).post("/api/labels", body(lead))

    response = api_for(rep).post("/api/labels", body(lead))

    assert response.status_code == 201
    assert Label.objects.get().user == rep


@pytest.mark.django_db
def test_the_queue_label_form_refuses_a_lead_leased_to_another_rep(
    make_leads: Any, rep: Any, rep2: Any, page_for: Any
) -> None:
    make_leads(4)
    lead = leased_to(rep)

    response = page_for(rep2).post("/queue/label/", body(lead), headers=FETCH)

    assert response.status_code == 409
    assert "leased to rep1 until" in response.content.decode()
    assert not Label.objects.exists()


@pytest.mark.django_db
def test_a_lead_whose_lease_expired_can_be_labeled_by_anyone(
    make_leads: Any, rep: Any, rep2: Any, api_for: Any
) -> None:
    make_leads(4)
    lead = leased_to(rep)
    Lease.objects.filter(lead=lead).update(expires_at=timezone.now() - timedelta(seconds=1))

    assert api_for(rep2).post("/api/labels", body(lead)).status_code == 201


@pytest.mark.django_db
def test_an_admin_may_override_a_lease_and_the_override_is_audited(
    make_leads: Any, rep: Any, admin: Any, api_for: Any
) -> None:
    make_leads(4)
    lead = leased_to(rep)

    response = api_for(admin).post("/api/labels", body(lead))

    assert response.status_code == 201
    entry = AuditLog.objects.get(action="label.lease_override")
    assert entry.user == admin and lead.external_id in entry.target
    assert entry.changes["lease"][0].startswith("rep1 until ")


@pytest.mark.django_db
def test_an_undo_never_moves_a_lease_to_someone_else(make_leads: Any, rep: Any, admin: Any, api_for: Any) -> None:
    make_leads(4)
    lead = leased_to(rep)
    api_for(admin).post("/api/labels", body(lead))

    assert label_undo(user=admin, lease_minutes=15) is not None

    assert Lead.objects.get(pk=lead.pk).status == LeadStatus.OPEN
    assert Lease.objects.get(lead=lead).user == rep
    assert lead.pk in [queued.pk for queued in lease_next_leads(user=rep, limit=10, lease_minutes=15)]
    assert lead.pk not in [queued.pk for queued in lease_next_leads(user=admin, limit=10, lease_minutes=15)]


@pytest.mark.django_db
def test_an_undo_gives_the_lead_back_to_the_rep_who_labeled_it(make_leads: Any, rep: Any, api_for: Any) -> None:
    make_leads(4)
    lead = leased_to(rep)
    api_for(rep).post("/api/labels", body(lead))

    label_undo(user=rep, lease_minutes=15)

    assert Lease.objects.get(lead=lead).user == rep
