"""Reads of labels, reasons and queues."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth.models import User
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from feedback.models import SKIP_COOLDOWN, Label, LabelSource, Lease, Outcome, Reason, Skip
from feedback.taxonomy import OTHER_CODES
from leads.models import Lead, LeadStatus


def training_labels() -> list[tuple[int, int, str]]:
    """(label id, lead id, outcome) for every label the model learns from, oldest first."""
    return list(Label.objects.filter(outcome__in=Outcome.values).order_by("id").values_list("id", "lead_id", "outcome"))


def label_outcome_counts() -> dict[str, int]:
    """How many labels of each outcome the model learns from (every outcome, 0 when it has none)."""
    counts = dict(Label.objects.filter(outcome__in=Outcome.values).values_list("outcome").annotate(n=Count("id")))
    return {outcome: int(counts.get(outcome, 0)) for outcome in Outcome.values}


def label_whys(*, label_ids: Sequence[int]) -> dict[int, tuple[str | None, list[str], list[str]]]:
    """Per label: its reason's code and the fields that reason speaks to, and the fields the rep marked."""
    rows = Label.objects.filter(id__in=list(label_ids)).values_list("id", "reason__code", "reason__fields", "fields")
    return {
        label_id: (code, list(reason_fields or []), list(marked or []))
        for label_id, code, reason_fields, marked in rows
    }


def reasons(*, active_only: bool = True) -> QuerySet[Reason]:
    rows = Reason.objects.all()
    return rows.filter(active=True) if active_only else rows


def reasons_by_outcome() -> dict[str, list[Reason]]:
    grouped: dict[str, list[Reason]] = {outcome: [] for outcome in Outcome.values}
    for reason in reasons():
        grouped[reason.outcome].append(reason)
    return grouped


def reason_keys(outcome: str, *, ordered: Sequence[Reason] | None = None) -> dict[str, str]:
    """The number key a rep presses for each active reason of ``outcome``, by reason code: 1-9, then
    0 for the tenth (the label forms' order); a reason past the tenth has none. ``ordered``: the
    outcome's reasons, already read (``reasons_by_outcome``)."""
    ordered = reasons_by_outcome().get(outcome, []) if ordered is None else ordered
    return {reason.code: str((i + 1) % 10) for i, reason in enumerate(ordered[:10])}


def labels_today(*, user: User) -> int:
    """Labels the user gave since midnight in the site's time zone (undone ones are gone)."""
    start = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    return Label.objects.filter(user=user, created_at__gte=start).count()


QUEUE_COUNT_CAP = 1000  # the queue bar says "1,000+" beyond this: counting a million leads per page costs too much


def queue_remaining(*, user: User | None = None, cap: int | None = None) -> int:
    """Open leads left for this user: the ones leased to them (the lead on screen included) and
    the free ones they have not skipped lately. Without a user: open leads nobody holds. With
    ``cap``, counting stops at ``cap + 1`` (a short scan however many leads there are)."""
    now = timezone.now()
    leased_to_others = Lease.objects.filter(lead=OuterRef("pk"), expires_at__gt=now)
    open_leads = Lead.rows.filter(status=LeadStatus.OPEN)  # no score join: a count needs none
    if user is None:
        left = open_leads.filter(~Exists(leased_to_others))
    else:
        leased_to_others = leased_to_others.exclude(user=user)
        skipped = Skip.objects.filter(lead=OuterRef("pk"), user=user, created_at__gt=now - SKIP_COOLDOWN)
        left = open_leads.filter(~Exists(leased_to_others), ~Exists(skipped))
    if cap is not None:
        left = left.order_by()[: cap + 1]
    return left.count()


@dataclass(frozen=True)
class UndoableAction:
    kind: str  # "label" or "skip"
    lead_name: str


def labels_undoable(*, user: User, since: datetime) -> QuerySet[Label]:
    """The user's labels since ``since`` that ``u`` may take back: the ones they gave (queue, page or
    API), but not an imported outcome they gave the why of (undo never reopens one)."""
    return Label.objects.filter(
        user=user, source__in=[LabelSource.REP, LabelSource.API], completes_import=False, created_at__gte=since
    )


def undoable_action(*, user: User, window: timedelta) -> UndoableAction | None:
    """The user's last label or skip of the last ``window``, the one ``u`` would take back."""
    since = timezone.now() - window
    label = labels_undoable(user=user, since=since).select_related("lead").order_by("-created_at", "-id").first()
    skips = Skip.objects.filter(user=user, created_at__gte=since).select_related("lead")
    skip = skips.order_by("-created_at", "-id").first()
    if skip is not None and (label is None or skip.created_at > label.created_at):
        return UndoableAction(kind="skip", lead_name=skip.lead.company or skip.lead.external_id)
    if label is not None:
        return UndoableAction(kind="label", lead_name=label.lead.company or label.lead.external_id)
    return None


def lead_label(*, lead: Lead) -> Label | None:
    return Label.objects.filter(lead=lead).select_related("reason", "user").first()


def unexplained_labels() -> QuerySet[Label]:
    """Labels whose note no reason fits: given with an "other" reason or none. What candidate
    reasons are grouped from, and what adding one may file under it."""
    return Label.objects.exclude(note="").filter(Q(reason__isnull=True) | Q(reason__code__in=OTHER_CODES))


def unexplained_notes(*, limit: int) -> list[tuple[int, str, str]]:
    """(label id, note, outcome) of the newest ``limit`` unexplained labels."""
    return list(unexplained_labels().order_by("-id").values_list("id", "note", "outcome")[:limit])


def queue_picks(*, after_id: int = 0) -> dict[int, tuple[float, float | None]]:
    """Per label id after ``after_id``: (propensity, score the rep saw), for the labels that came from
    the queue (a propensity on the label); labels given outside the queue and imported history are left out."""
    rows = Label.objects.filter(id__gt=after_id, propensity__isnull=False).values_list("id", "propensity", "score_seen")
    return {label_id: (propensity, score) for label_id, propensity, score in rows if propensity is not None}


def lead_lease_held(*, lead: Lead, by_other_than: User) -> Lease | None:
    """The live lease another user holds on ``lead`` (the lead is in their queue), if any."""
    return (
        Lease.objects.filter(lead=lead, expires_at__gt=timezone.now())
        .exclude(user=by_other_than)
        .select_related("user")
        .first()
    )
