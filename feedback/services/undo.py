"""Undo: take back the last label or skip, with the answer, for editing."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from config.audit import audit_record
from feedback.models import Label, Lease, Skip
from feedback.selectors import labels_undoable
from feedback.signals import labels_changed
from leads.models import Lead, LeadStatus
from leads.services import score_event_record

UNDO_WINDOW = timedelta(minutes=10)


@dataclass(frozen=True)
class Undone:
    """What an undo took back: a label (with the answer, so the rep can edit it) or a skip."""

    kind: str  # "label" or "skip"
    lead: Lead
    outcome: str = ""
    reason: str = ""
    note: str = ""
    fields: tuple[str, ...] = ()  # the lines the rep marked as the real reason
    back_in_queue: bool = True  # False: the lead went to another rep or was closed meanwhile


def label_undo(*, user: User, lease_minutes: int) -> Lead | None:
    """Take back the user's last label of the last few minutes (audited: a label edit); the lead
    returns to their queue, leased to them for ``lease_minutes`` (the loop settings')."""
    undone = _label_take_back(user=user, lease_minutes=lease_minutes)
    return undone.lead if undone else None


def last_action_undo(*, user: User, lease_minutes: int) -> Undone | None:
    """Undo the user's last action of the last few minutes, whichever it was: a label (taken back,
    its answer returned for editing) or a skip (the lead comes back to their queue)."""
    since = timezone.now() - UNDO_WINDOW
    label_at = (
        labels_undoable(user=user, since=since).order_by("-created_at").values_list("created_at", flat=True).first()
    )
    skip = Skip.objects.filter(user=user, created_at__gte=since).order_by("-created_at", "-id").first()
    if skip is not None and (label_at is None or skip.created_at > label_at):
        return _skip_take_back(user=user, skip=skip, lease_minutes=lease_minutes)
    return _label_take_back(user=user, lease_minutes=lease_minutes)


def _skip_take_back(*, user: User, skip: Skip, lease_minutes: int) -> Undone:
    """Forget the skip and lease the lead to the user again, unless another rep holds it or it closed."""
    now = timezone.now()
    with transaction.atomic():
        Skip.objects.filter(pk=skip.pk).delete()
        lead = Lead.objects.get(pk=skip.lead_id)
        held = Lease.objects.filter(lead_id=lead.pk, expires_at__gt=now).exclude(user=user).exists()
        back = lead.status == LeadStatus.OPEN and not held
        if back:
            Lease.objects.update_or_create(
                lead=lead,
                defaults={"user": user, "leased_at": now, "expires_at": now + timedelta(minutes=lease_minutes)},
            )
    return Undone(kind="skip", lead=lead, back_in_queue=back)


def _label_take_back(*, user: User, lease_minutes: int) -> Undone | None:
    now = timezone.now()
    with transaction.atomic():
        label = (
            labels_undoable(user=user, since=now - UNDO_WINDOW)
            .select_for_update()
            .order_by("-created_at", "-id")
            .select_related("lead")
            .first()
        )
        if label is None:
            return None
        lead = Lead.objects.get(pk=label.lead_id)  # with its score, for the history row
        reason_code = label.reason.code if label.reason_id else ""  # type: ignore[union-attr]
        audit_record(
            user=user,
            action="label.undo",
            target=f"label of lead {lead.external_id}",
            changes={  # what the label held; an empty note or no marked fields is left out, not shown as "— → —"
                "outcome": [label.outcome, None],
                **({"reason": [reason_code, None]} if reason_code else {}),
                **({"note": [label.note, None]} if label.note else {}),
                **({"fields": [label.fields, None]} if label.fields else {}),
            },
        )
        score_event_record(
            lead=lead,
            cause="undo",
            user=user,
            outcome=label.outcome,
            reason=label.reason.label if label.reason_id else "",  # type: ignore[union-attr]
        )
        answer = Undone(
            kind="label",
            lead=lead,
            outcome=label.outcome,
            reason=reason_code,
            note=label.note,
            fields=tuple(label.fields or ()),
        )
        propensity = label.propensity  # the lead goes back to the queue it was picked from
        label.delete()
        Lead.objects.filter(pk=lead.pk).update(status=LeadStatus.OPEN, updated_at=now)
        # Back to the undoer's queue, unless another rep's lease still runs (an admin labeled over
        # it): an undo never moves a lease to someone else. The lease keeps the label's pick probability.
        held = Lease.objects.filter(lead=lead, expires_at__gt=now).exclude(user=user).exists()
        if not held:
            Lease.objects.update_or_create(
                lead=lead,
                defaults={
                    "user": user,
                    "leased_at": now,
                    "expires_at": now + timedelta(minutes=lease_minutes),
                    "propensity": propensity,
                },
            )
        labels_changed.send(sender=Label)
    lead.status = LeadStatus.OPEN
    return replace(answer, back_in_queue=not held)
