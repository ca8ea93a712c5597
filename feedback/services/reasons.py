"""The reason taxonomy: add, rename, retire and point reasons at lead fields (audited)."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Max

from config.audit import audit_record
from feedback.models import Label, Outcome, Reason
from feedback.selectors import unexplained_labels
from feedback.services.labels import LabelError, checked_fields
from feedback.signals import labels_changed
from feedback.taxonomy import OTHER_POSITION


def _label_clash(*, label: str, outcome: str, exclude: Reason | None = None) -> Reason | None:
    """Another active reason of ``outcome`` that already reads ``label`` (trimmed, any case): two
    reasons of one outcome with one label would show twice on the label form, filters and dashboards."""
    wanted = label.strip().casefold()
    others = Reason.objects.filter(outcome=outcome, active=True)
    if exclude is not None:
        others = others.exclude(pk=exclude.pk)
    return next((r for r in others.order_by("position", "code") if r.label.strip().casefold() == wanted), None)


MAX_LABEL = 60  # a reason is read at a glance on the queue card, in a chart's legend and a table's header
MAX_WORD = 30


def _refuse_unreadable(label: str) -> None:
    if len(label) > MAX_LABEL:
        raise LabelError("label", f"at most {MAX_LABEL} characters (a rep reads it at a glance), not {len(label)}")
    if any(len(word) > MAX_WORD for word in label.split()):
        raise LabelError("label", f"words of at most {MAX_WORD} characters: a longer one cannot wrap on a phone")


def _refuse_clash(
    *, label: str, outcome: str, exclude: Reason | None = None, then: str = "pick another wording"
) -> None:
    clash = _label_clash(label=label, outcome=outcome, exclude=exclude)
    if clash is not None:
        outcome_words = clash.get_outcome_display().lower()
        raise LabelError(
            "label", f"{label.strip()!r} is already the label of reason {clash.code} ({outcome_words}); {then}"
        )


def reason_create(*, code: str, label: str, outcome: str) -> Reason:
    if outcome not in Outcome.values:
        raise LabelError("outcome", f"must be one of {', '.join(Outcome.values)}")
    # After the outcome's last reason and before its "Other": the reps' number keys for the others stay.
    below_other = Reason.objects.filter(outcome=outcome, position__lt=OTHER_POSITION)
    last = below_other.aggregate(last=Max("position"))["last"]
    position = min(OTHER_POSITION - 1, 0 if last is None else last + 1)
    return Reason.objects.create(code=code, label=label, outcome=outcome, position=position)


def reason_add(*, user: User, code: str, label: str, outcome: str) -> Reason:
    """A new reason, after the outcome's others and before its "Other"."""
    if Reason.objects.filter(code=code).exists():
        raise LabelError("code", f"{code!r} is taken; rename or restore that reason instead")
    label = label.strip()
    if not label:
        raise LabelError("label", "is required")
    _refuse_unreadable(label)
    _refuse_clash(label=label, outcome=outcome)
    with transaction.atomic():
        reason = reason_create(code=code, label=label, outcome=outcome)
        audit_record(
            user=user,
            action="reason.add",
            target=f"reason {code}",
            changes={"label": [None, label], "outcome": [None, outcome]},
        )
    return reason


def reason_add_from_notes(
    *, user: User, code: str, label: str, outcome: str, label_ids: Sequence[int]
) -> tuple[Reason, int]:
    """A candidate reason added, and ``label_ids`` (the labels whose notes asked for it) filed under
    it (``reason_file_labels``), in one transaction. Returns the reason and how many were filed."""
    with transaction.atomic():
        reason = reason_add(user=user, code=code, label=label, outcome=outcome)
        filed = reason_file_labels(user=user, reason=reason, label_ids=label_ids) if label_ids else 0
    return reason, filed


def reason_file_labels(*, user: User, reason: Reason, label_ids: Sequence[int]) -> int:
    """Files ``label_ids`` (the labels whose notes asked for the reason) under ``reason``: those of
    its outcome with a note that still give "Other" or no reason (the labels candidate reasons are
    grouped from); the others keep theirs, whatever ids are sent. Audited; the loop
    retrains, and once the reason speaks to fields the labels teach the model its why. Returns how
    many were filed."""
    with transaction.atomic():
        filed = unexplained_labels().filter(pk__in=list(label_ids), outcome=reason.outcome).update(reason=reason)
        if filed:
            audit_record(
                user=user,
                action="reason.file_labels",
                target=f"reason {reason.code}",
                changes={"labels": [None, filed]},
            )
            labels_changed.send(sender=Label)
    return filed


def reason_rename(*, user: User, reason: Reason, label: str) -> Reason:
    """A new wording; the labels keep pointing at the same reason, so history follows the rename."""
    label = label.strip()
    if not label:
        raise LabelError("label", "is required")
    _refuse_unreadable(label)
    _refuse_clash(label=label, outcome=reason.outcome, exclude=reason)
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
    """Retire (or restore) a reason: a retired one leaves the label form, its labels stay. A reason
    whose label an active one of its outcome took meanwhile is not restored: rename one of them first."""
    if active and not reason.active:
        _refuse_clash(label=reason.label, outcome=reason.outcome, exclude=reason, then="rename one of them first")
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
