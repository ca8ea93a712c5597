"""Writes of labels given in the past: a team's earlier labels with their own dates (the demo, a
move from another tool). The labels a rep gives today go through ``feedback.services.label_submit``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import User
from django.db import transaction

from feedback.models import Label, LabelSource, Lease, Outcome, Reason
from feedback.signals import labels_changed
from leads.models import Lead
from leads.scorestore import leads_leave_queue


@dataclass(frozen=True)
class PastLabel:
    lead_id: int
    outcome: str
    reason_code: str | None
    user: User | None
    labeled_at: datetime
    note: str = ""
    score_seen: float | None = None
    model_version_seen: int | None = None
    propensity: float | None = None
    seconds_to_label: float | None = None


def labels_record_past(*, labels: Sequence[PastLabel]) -> int:
    """Record labels given in the past, dated when they were given. A lead already labeled keeps
    its label. Returns how many labels were written; the apps above hear of them (labels_changed)."""
    reasons = {r.code: r for r in Reason.objects.all()}
    for label in labels:
        if label.outcome not in Outcome.values:
            raise ValueError(f"lead {label.lead_id}: outcome {label.outcome!r} is not one of {Outcome.values}")
        if label.reason_code and label.reason_code not in reasons:
            raise ValueError(f"lead {label.lead_id}: no reason {label.reason_code!r}")
    taken = set(Label.objects.filter(lead_id__in=[x.lead_id for x in labels]).values_list("lead_id", flat=True))
    rows = [
        Label(
            lead_id=x.lead_id,
            outcome=x.outcome,
            reason=reasons[x.reason_code] if x.reason_code else None,
            note=x.note,
            user=x.user,
            source=LabelSource.REP,
            outcome_at=x.labeled_at,
            score_seen=x.score_seen,
            model_version_seen=x.model_version_seen,
            propensity=x.propensity,
            seconds_to_label=x.seconds_to_label,
        )
        for x in labels
        if x.lead_id not in taken
    ]
    with transaction.atomic():
        created = Label.objects.bulk_create(rows, batch_size=1000)
        when = {x.lead_id: x.labeled_at for x in labels}
        for row in created:  # created_at is set on insert; give each label its own day
            row.created_at = when[row.lead_id]
        Label.objects.bulk_update(created, ["created_at"], batch_size=1000)
        _close(lead_ids_by_outcome={o: [r.lead_id for r in rows if r.outcome == o] for o in Outcome.values})
        if rows:
            labels_changed.send(sender=Label)
    return len(rows)


def labels_date_outcomes(*, outcome_dates: Mapping[int, datetime]) -> int:
    """Date imported history by when each outcome happened (lead id -> date)."""
    labels = list(Label.objects.filter(lead_id__in=list(outcome_dates), source=LabelSource.IMPORT))
    for label in labels:
        label.outcome_at = outcome_dates[label.lead_id]
    Label.objects.bulk_update(labels, ["outcome_at"], batch_size=1000)
    return len(labels)


def _close(*, lead_ids_by_outcome: Mapping[str, list[int]]) -> None:
    for outcome, ids in lead_ids_by_outcome.items():
        Lead.rows.filter(id__in=ids).update(status=outcome)
        leads_leave_queue(lead_ids=ids)
        Lease.objects.filter(lead_id__in=ids).delete()
