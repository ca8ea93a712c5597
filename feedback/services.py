"""Writes of the feedback loop: labels (submit, undo, import), leases and skips."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from config.audit import audit_record
from config.roles import ADMINS, has_role
from feedback.models import SKIP_COOLDOWN, Label, LabelSource, Lease, Outcome, Reason, Skip
from feedback.signals import labels_changed
from leads.models import Lead, LeadStatus
from leads.parsing import storable_text_problem
from leads.scorestore import leads_leave_queue
from leads.services import score_event_record

UNDO_WINDOW = timedelta(minutes=10)
CLAIM_ATTEMPTS = 3
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
    reason = Reason.objects.filter(code=code, active=True).first()
    if reason is None:
        raise LabelError("reason", f"unknown reason {code[:50]!r}")
    if reason.outcome != outcome:
        raise LabelError("reason", f"{code!r} is a reason for {reason.outcome}, not {outcome}")
    return reason


def checked_fields(fields: Sequence[object], *, known: Collection[str], kept: Collection[str] = ()) -> list[str]:
    """Lead field names as given, each once in their order; ``fields`` names the first one that is
    not a string, or that is neither among ``known`` (the fields the model knows) nor in ``kept``."""
    checked: list[str] = []
    for name in fields:
        if not isinstance(name, str) or storable_text_problem(name) or (name not in known and name not in kept):
            raise LabelError("fields", f"unknown field {str(name)[:60]!r}")
        if name not in checked:
            checked.append(name)
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
) -> LabelResult:
    """Record what happened to a lead and why; committed here, learning follows after commit.

    ``fields`` are the lead fields the rep marked as the real reason, each among ``known_fields``
    (the caller passes the fields the model knows). Submitting the same label twice (a retried
    request, two tabs) returns the first one.
    """
    if outcome not in Outcome.values:
        raise LabelError("outcome", f"must be one of {', '.join(Outcome.values)}, not {str(outcome)[:40]!r}")
    reason = _reason_for(outcome, reason_code, required=True)
    note = (note or "").strip()
    if problem := storable_text_problem(note):
        raise LabelError("note", problem)
    if len(note) > MAX_NOTE:
        raise LabelError("note", f"longer than {MAX_NOTE} characters")
    marked = checked_fields(fields, known=known_fields)
    with transaction.atomic():
        now = timezone.now()
        # Close the lead if it is open: one conditional UPDATE checks, locks and writes (a second
        # submit of the same lead waits here, then finds it closed).
        closed = Lead.rows.filter(pk=lead.pk, status=LeadStatus.OPEN).update(status=outcome, updated_at=now)
        if closed:
            # The lead row is locked now: no lease can be taken on it until this transaction ends.
            _check_lease(user=user, lead=lead, now=now)
        else:
            if not Lead.rows.select_for_update().filter(pk=lead.pk).exists():
                raise LabelError("lead", f"no lead with external_id {lead.external_id!r}", status=404)
            existing = Label.objects.filter(lead_id=lead.pk).select_related("reason").first()
            if existing is not None:
                if existing.outcome == outcome and existing.reason_id == (reason.pk if reason else None):
                    return LabelResult(existing, created=False)
                raise LabelError("lead", f"{lead.external_id} is already labeled {existing.outcome}", status=409)
            Lead.rows.filter(pk=lead.pk).update(status=outcome, updated_at=now)  # closed without a label
        # A lead the queue leased to this rep carries its pick probability onto the label.
        propensity = Lease.objects.filter(lead_id=lead.pk, user=user).values_list("propensity", flat=True).first()
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
        Lease.objects.filter(lead_id=lead.pk).filter(Q(user=user) | Q(expires_at__lte=now)).delete()
        labels_changed.send(sender=Label)
    return LabelResult(label, created=True)


def _check_lease(*, user: User, lead: Lead, now: datetime) -> None:
    """A lead leased to someone else: 409 for a rep, naming who holds it until when; an admin may
    label it anyway, and the override is audited."""
    lease = Lease.objects.filter(lead_id=lead.pk, expires_at__gt=now).exclude(user=user).select_related("user").first()
    if lease is None:
        return
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
        Label.objects.filter(user=user, source__in=[LabelSource.REP, LabelSource.API], created_at__gte=since)
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
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
            Label.objects.select_for_update()
            .filter(user=user, source__in=[LabelSource.REP, LabelSource.API], created_at__gte=now - UNDO_WINDOW)
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
            changes={
                "outcome": [label.outcome, None],
                "reason": [reason_code or None, None],
                "note": [label.note, None],
                "fields": [label.fields, None],
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


def labels_import(*, outcomes: Mapping[int, str], outcome_dates: Mapping[int, datetime] | None = None) -> int:
    """Historical outcomes from an import, dated by ``outcome_dates`` where given (else at import;
    importing again without a date keeps the label's date). A label a rep gave is never overwritten."""
    dates = outcome_dates or {}
    kept = set(
        Label.objects.filter(lead_id__in=list(outcomes))
        .exclude(source=LabelSource.IMPORT)
        .values_list("lead_id", flat=True)
    )
    now = timezone.now()
    rows = [
        Label(lead_id=lead_id, outcome=outcome, source=LabelSource.IMPORT, outcome_at=dates.get(lead_id, now))
        for lead_id, outcome in outcomes.items()
        if lead_id not in kept
    ]
    if not rows:
        return 0
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
    return len(rows)


def lease_next_leads(*, user: User, limit: int, lease_minutes: int) -> list[Lead]:
    """The user's queue: leads already leased to them, then the highest-priority free leads,
    claimed for ``lease_minutes`` (the loop settings'), so that two reps asking at the same instant
    never get the same lead."""
    now = timezone.now()
    minutes = lease_minutes
    with transaction.atomic():
        own = list(
            # Most recently leased first, so an undone lead is shown again at once.
            Lead.objects.filter(status=LeadStatus.OPEN, lease__user=user, lease__expires_at__gt=now).order_by(  # type: ignore[misc]  # priority: LeadManager's annotation
                "-lease__leased_at", "-priority", "id"
            )[:limit]
        )
        wanted = limit - len(own)
        claimed: list[Lead] = []
        if wanted > 0:
            leased = Lease.objects.filter(lead=OuterRef("pk"), expires_at__gt=now)
            skipped = Skip.objects.filter(lead=OuterRef("pk"), user=user, created_at__gt=now - SKIP_COOLDOWN)
            free = Lead.objects.filter(status=LeadStatus.OPEN).filter(~Exists(leased), ~Exists(skipped))
            seen: set[int] = set()
            for _ in range(CLAIM_ATTEMPTS):
                candidates = _lockable_candidates(free.exclude(pk__in=seen), count=wanted * 2)
                if not candidates:
                    break
                seen.update(lead.pk for lead in candidates)
                # Re-read leases after locking: a rep who committed a lease since our snapshot wins
                # (all our candidates may be theirs: then look further down the queue).
                taken = set(
                    Lease.objects.filter(lead_id__in=[lead.pk for lead in candidates], expires_at__gt=now).values_list(
                        "lead_id", flat=True
                    )
                )
                claimed += [lead for lead in candidates if lead.pk not in taken][: wanted - len(claimed)]
                if len(claimed) >= wanted:
                    break
            if claimed:
                Lease.objects.bulk_create(
                    [
                        Lease(
                            lead=lead,
                            user=user,
                            leased_at=now,
                            expires_at=now + timedelta(minutes=minutes),
                            propensity=lead.propensity,  # the pick probability of the rescore that ranked it
                        )
                        for lead in claimed
                    ],
                    update_conflicts=True,
                    unique_fields=["lead"],
                    update_fields=["user", "leased_at", "expires_at", "propensity"],
                )
    return own + claimed


def _lockable_candidates(free: QuerySet[Lead], *, count: int) -> list[Lead]:
    """Up to ``count`` free leads, best first, locked (rows other reps hold locked are skipped)."""
    # Scored leads by priority: a walk down the score table's priority index.
    candidates = list(
        free.filter(priority__isnull=False)  # type: ignore[misc]  # LeadManager's annotation, unseen by the plugin
        .order_by("-priority", "id")
        .select_for_update(skip_locked=True, of=("self",))[:count]
    )
    if len(candidates) < count:  # the scored pool ran dry (or nothing is scored yet)
        candidates += list(
            free.filter(current__isnull=True)
            .order_by("id")
            .select_for_update(skip_locked=True, of=("self",))[: count - len(candidates)]
        )
    return candidates


def lead_skip(*, user: User, lead: Lead) -> None:
    """Pass on a lead: release the user's lease; it goes back to the pool for the others."""
    with transaction.atomic():
        Lease.objects.filter(lead=lead, user=user).delete()
        Skip.objects.create(lead=lead, user=user)


def reason_create(*, code: str, label: str, outcome: str) -> Reason:
    if outcome not in Outcome.values:
        raise LabelError("outcome", f"must be one of {', '.join(Outcome.values)}")
    position = Reason.objects.filter(outcome=outcome).count()
    return Reason.objects.create(code=code, label=label, outcome=outcome, position=position)


def reason_add(*, user: User, code: str, label: str, outcome: str) -> Reason:
    if Reason.objects.filter(code=code).exists():
        raise LabelError("code", f"{code!r} is taken; rename or restore that reason instead")
    with transaction.atomic():
        reason = reason_create(code=code, label=label, outcome=outcome)
        audit_record(
            user=user,
            action="reason.add",
            target=f"reason {code}",
            changes={"label": [None, label], "outcome": [None, outcome]},
        )
    return reason


def reason_rename(*, user: User, reason: Reason, label: str) -> Reason:
    """A new wording; the labels keep pointing at the same reason, so history follows the rename."""
    label = label.strip()
    if not label:
        raise LabelError("label", "is required")
    if label != reason.label:
        with transaction.atomic():
            audit_record(
                user=user,
                action="reason.rename",
                target=f"reason {reason.code}",
                changes={"label": [reason.label, label]},
            )
            reason.label = label
            reason.save(update_fields=["label"])
    return reason


def reason_set_active(*, user: User, reason: Reason, active: bool) -> Reason:
    """Retire (or restore) a reason: a retired one leaves the label form, its labels stay."""
    if reason.active != active:
        with transaction.atomic():
            audit_record(
                user=user,
                action="reason.restore" if active else "reason.retire",
                target=f"reason {reason.code}",
                changes={"active": [reason.active, active]},
            )
            reason.active = active
            reason.save(update_fields=["active"])
    return reason


def reason_set_fields(*, user: User, reason: Reason, fields: Sequence[object], known: Collection[str]) -> Reason:
    """The lead fields a reason speaks to (audited). Each is one the model knows (``known``), or
    one the reason already had: a field the data lost can be kept or dropped, never added."""
    chosen = checked_fields(fields, known=known, kept=reason.fields)
    if chosen != reason.fields:
        with transaction.atomic():
            audit_record(
                user=user,
                action="reason.fields",
                target=f"reason {reason.code}",
                changes={"fields": [reason.fields, chosen]},
            )
            reason.fields = chosen
            reason.save(update_fields=["fields"])
    return reason
