"""Label writes: submit (with the lease rule) and historical outcomes from imports."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from config.audit import audit_record
from config.roles import ADMINS, has_role
from feedback.models import Label, LabelSource, Lease, Outcome, Reason
from feedback.signals import labels_changed
from leads.models import Lead, LeadStatus
from leads.parsing import storable_text_problem
from leads.scorestore import leads_leave_queue
from leads.services import score_event_record
from leads.signals import OutcomesTaken

MAX_NOTE = 2000
MAX_FIELDS = 20


class LabelError(Exception):
    """A label cannot be saved as asked; ``field`` names what is wrong."""

    def __init__(self, field: str, message: str, *, status: int = 400, detail: Mapping[str, Any] | None = None) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
        self.status = status
        self.detail = dict(detail or {})  # more for an API client (e.g. who holds a lease until when)


@dataclass(frozen=True)
class LabelResult:
    label: Label
    created: bool


def _reason_for(outcome: str, code: str | None, *, required: bool) -> Reason | None:
    if not code:
        if required:
            raise LabelError("reason", "is required")
        return None
    if storable_text_problem(code):
        raise LabelError("reason", f"unknown reason {code[:50]!r}")
    reason = Reason.objects.filter(code=code).first()
    if reason is None:
        raise LabelError("reason", f"unknown reason {code[:50]!r}")
    if not reason.active:
        raise LabelError("reason", f"{code!r} is retired: give one of the reasons in use")
    if reason.outcome != outcome:
        raise LabelError("reason", f"{code!r} is a reason for {reason.outcome}, not {outcome}")
    return reason


def checked_fields(fields: Sequence[object], *, known: Collection[str], kept: Collection[str] = ()) -> list[str]:
    """Lead field names as given, each once in their order; ``fields`` names every one that is not a
    string, or that is neither among ``known`` (the fields the model knows) nor in ``kept``."""
    checked: list[str] = []
    unknown: list[str] = []
    for name in fields:
        if not isinstance(name, str) or storable_text_problem(name) or (name not in known and name not in kept):
            unknown.append(repr(str(name)[:60]))
        elif name not in checked:
            checked.append(name)
    if unknown:
        raise LabelError("fields", f"unknown field{'s' if len(unknown) > 1 else ''} {', '.join(unknown[:5])}")
    if len(checked) > MAX_FIELDS:
        raise LabelError("fields", f"at most {MAX_FIELDS} fields, not {len(checked)}")
    return checked


def label_submit(
    *,
    user: User,
    lead: Lead,
    outcome: str,
    reason_code: str | None,
    note: str = "",
    source: str = LabelSource.REP,
    seconds_to_label: float | None = None,
    fields: Sequence[object] = (),
    known_fields: Collection[str] = (),
    other_needs_note: bool = False,
) -> LabelResult:
    """Record what happened to a lead and why; committed here, learning follows after commit.

    ``fields`` are the lead fields the rep marked as the real reason, each among ``known_fields``
    (the caller passes the fields the model knows). Submitting the same label twice (a retried
    request, two tabs) returns the first one; a different answer for a labeled lead (even only its
    note) is refused, never dropped. ``other_needs_note``: an "Other" reason with a blank note is
    refused naming the note (the label forms ask a rep to say why; the API keeps the note optional).
    """
    if outcome not in Outcome.values:
        raise LabelError("outcome", f"must be one of {', '.join(Outcome.values)}, not {str(outcome)[:40]!r}")
    reason = _reason_for(outcome, reason_code, required=True)
    note = (note or "").strip()
    if problem := storable_text_problem(note):
        raise LabelError("note", problem)
    if len(note) > MAX_NOTE:
        raise LabelError("note", f"longer than {MAX_NOTE} characters")
    if other_needs_note and reason is not None and reason.needs_note and not note:
        raise LabelError("note", "say why — this reason needs a note")
    marked = checked_fields(fields, known=known_fields)
    with transaction.atomic():
        now = timezone.now()
        # Close the lead if it is open: one conditional UPDATE checks, locks and writes (a second
        # submit of the same lead waits here, then finds it closed).
        closed = Lead.rows.filter(pk=lead.pk, status=LeadStatus.OPEN).update(status=outcome, updated_at=now)
        if not closed:
            if not Lead.rows.select_for_update().filter(pk=lead.pk).exists():
                raise LabelError("lead", f"no lead with external_id {lead.external_id!r}", status=404)
            existing = Label.objects.filter(lead_id=lead.pk).select_related("reason").first()
            if existing is not None and existing.awaits_why:
                return _import_complete(
                    existing,
                    lead=lead,
                    user=user,
                    outcome=outcome,
                    why=(reason, note, marked),
                    source=source,
                    seconds_to_label=seconds_to_label,
                )
            if existing is not None:
                # The marked fields are a set: the same ones in another order are the same label.
                same = (existing.outcome, existing.reason_id, existing.note, set(existing.fields or []))
                if same == (outcome, reason.pk if reason else None, note, set(marked)):
                    return LabelResult(existing, created=False)
                what = (
                    existing.outcome
                    if existing.outcome != outcome
                    else f"{existing.outcome} with another reason, note or fields"
                )
                raise LabelError(
                    "lead", f"{lead.external_id} is already labeled {what}; the first answer stands", status=409
                )
            Lead.rows.filter(pk=lead.pk).update(status=outcome, updated_at=now)  # closed without a label
        # The lead row is locked now: no lease can be taken or changed on it until this transaction ends.
        lease = Lease.objects.filter(lead_id=lead.pk).select_related("user").first()
        others = lease if lease is not None and lease.user_id != user.pk and lease.expires_at > now else None
        if closed and others is not None:
            _lease_override(user=user, lead=lead, lease=others)
        # A lead the queue leased to this rep carries its pick probability onto the label.
        propensity = lease.propensity if lease is not None and lease.user_id == user.pk else None
        label = Label.objects.create(
            lead_id=lead.pk,
            propensity=propensity,
            outcome=outcome,
            reason=reason,
            note=note,
            user=user,
            source=source,
            score_seen=lead.score,
            model_version_seen=lead.model_version,
            seconds_to_label=seconds_to_label,
            fields=marked,
        )
        leads_leave_queue(lead_ids=[lead.pk])
        score_event_record(lead=lead, cause="label", user=user, outcome=outcome, reason=reason.label if reason else "")
        # The labeler's lease (or an expired one) ends here; another rep's live lease, which an
        # admin overrode, runs out on its own, so an undo hands the lead back to that rep.
        if lease is not None and others is None:
            Lease.objects.filter(lead_id=lead.pk).delete()  # the lead row is locked: still that lease
        labels_changed.send(sender=Label)
    return LabelResult(label, created=True)


def _import_complete(
    label: Label,
    *,
    lead: Lead,
    user: User,
    outcome: str,
    why: tuple[Reason | None, str, list[str]],
    source: str,
    seconds_to_label: float | None,
) -> LabelResult:
    """A rep gives the why of an outcome an import recorded without one (a CRM's lost deal): the
    same outcome completes that label, which becomes the rep's (an import never overwrites it again;
    its outcome date stays the import's). Another outcome is refused: the CRM's record stands."""
    if outcome != label.outcome:
        raise LabelError(
            "outcome",
            f"{lead.external_id} was imported as {label.get_outcome_display().lower()}: give the why of that outcome "
            "(change the outcome in the CRM, and import it again)",
            status=409,
        )
    label.reason, label.note, label.fields = why
    label.user, label.source, label.created_at, label.seconds_to_label = user, source, timezone.now(), seconds_to_label
    label.score_seen, label.model_version_seen, label.completes_import = lead.score, lead.model_version, True
    label.save(
        update_fields=[
            *("reason", "note", "fields", "user", "source", "created_at", "seconds_to_label"),
            *("score_seen", "model_version_seen", "completes_import"),
        ]
    )
    reason = label.reason
    score_event_record(lead=lead, cause="label", user=user, outcome=outcome, reason=reason.label if reason else "")
    labels_changed.send(sender=Label)
    return LabelResult(label, created=True)


def _lease_override(*, user: User, lead: Lead, lease: Lease) -> None:
    """A lead leased to someone else: 409 for a rep, naming who holds it until when; an admin may
    label it anyway, and the override is audited."""
    holder = lease.user.get_username()
    until = lease.expires_at.astimezone(UTC)
    if not has_role(user, ADMINS):
        raise LabelError(
            "lead",
            f"{lead.external_id} is leased to {holder} until {until:%Y-%m-%d %H:%M} UTC",
            status=409,
            detail={"leased_to": holder, "leased_until": until.isoformat()},
        )
    audit_record(
        user=user,
        action="label.lease_override",
        target=f"lead {lead.external_id}",
        changes={"lease": [f"{holder} until {until.isoformat()}", None]},
    )


def labels_import(*, outcomes: Mapping[int, str], outcome_dates: Mapping[int, datetime] | None = None) -> OutcomesTaken:
    """Historical outcomes from an import, dated by ``outcome_dates`` where given (else at import;
    importing again without a date keeps the label's date). A label a rep gave is never overwritten:
    returns how many were recorded, and how many a rep's label on the same lead contradicts (the
    rep's label stands), from the one read of those labels."""
    dates = outcome_dates or {}
    kept = dict(
        Label.objects.filter(lead_id__in=list(outcomes))
        .exclude(source=LabelSource.IMPORT)
        .values_list("lead_id", "outcome")
    )
    overruled = sum(1 for lead_id, outcome in kept.items() if outcomes[lead_id] != outcome)
    now = timezone.now()
    rows = [
        Label(lead_id=lead_id, outcome=outcome, source=LabelSource.IMPORT, outcome_at=dates.get(lead_id, now))
        for lead_id, outcome in outcomes.items()
        if lead_id not in kept
    ]
    if not rows:
        return OutcomesTaken(recorded=0, overruled=overruled)
    with transaction.atomic():
        dated = [row for row in rows if row.lead_id in dates]
        undated = [row for row in rows if row.lead_id not in dates]
        for part, fields in ((dated, ["outcome", "outcome_at"]), (undated, ["outcome"])):
            if part:
                Label.objects.bulk_create(
                    part, batch_size=2000, update_conflicts=True, unique_fields=["lead"], update_fields=fields
                )
        for outcome in Outcome.values:
            ids = [row.lead_id for row in rows if row.outcome == outcome]
            Lead.rows.filter(id__in=ids).update(status=outcome)
            leads_leave_queue(lead_ids=ids)
        Lease.objects.filter(lead_id__in=[row.lead_id for row in rows]).delete()
        labels_changed.send(sender=Label)
    return OutcomesTaken(recorded=len(rows), overruled=overruled)


def labels_import_withdraw(*, lead_ids: Collection[int]) -> int:
    """Outcomes an import gave these leads, withdrawn because a later import says they are still open:
    the labels go and their leads are open again (the next rescore ranks them in the queue). A rep's
    label is never withdrawn so; returns how many were."""
    with transaction.atomic():
        imported = Label.objects.filter(lead_id__in=list(lead_ids), source=LabelSource.IMPORT)
        reopened = list(imported.values_list("lead_id", flat=True))
        if not reopened:
            return 0
        imported.delete()
        Lead.rows.filter(id__in=reopened).update(status=LeadStatus.OPEN, updated_at=timezone.now())
        labels_changed.send(sender=Label)
    return len(reopened)
