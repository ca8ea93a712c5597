"""Reads of labels, reasons and queues."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any, TypeVar
from urllib.parse import urlencode

from django.contrib.auth.models import User
from django.db.models import Case, CharField, Count, Exists, F, OuterRef, Q, QuerySet, Value, When
from django.db.models.functions import TruncDate, TruncMonth, TruncWeek
from django.utils import timezone

from feedback.models import SKIP_COOLDOWN, Label, Lease, Outcome, Reason, Skip
from feedback.taxonomy import OTHER_CODES
from leads.models import Lead, LeadStatus


def training_labels() -> list[tuple[int, int, str]]:
    """(label id, lead id, outcome) for every label the model learns from, oldest first."""
    return list(Label.objects.filter(outcome__in=Outcome.values).order_by("id").values_list("id", "lead_id", "outcome"))


def reasons(*, active_only: bool = True) -> QuerySet[Reason]:
    rows = Reason.objects.all()
    return rows.filter(active=True) if active_only else rows


def reasons_by_outcome() -> dict[str, list[Reason]]:
    grouped: dict[str, list[Reason]] = {outcome: [] for outcome in Outcome.values}
    for reason in reasons():
        grouped[reason.outcome].append(reason)
    return grouped


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


def undoable_label(*, user: User, window: timedelta) -> Label | None:
    return (
        Label.objects.filter(user=user, created_at__gte=timezone.now() - window)
        .exclude(source="import")
        .select_related("lead")
        .order_by("-created_at", "-id")
        .first()
    )


def reason_counts() -> list[dict[str, object]]:
    """Outcome by reason counts with shares within each outcome."""
    rows = list(
        Label.objects.values("outcome", "reason__code", "reason__label")
        .annotate(n=Count("id"))
        .order_by("outcome", "-n")
    )
    totals: dict[str, int] = {}
    for row in rows:
        totals[row["outcome"]] = totals.get(row["outcome"], 0) + row["n"]
    return [{**row, "share": row["n"] / totals[row["outcome"]] if totals[row["outcome"]] else 0.0} for row in rows]


def lead_label(*, lead: Lead) -> Label | None:
    return Label.objects.filter(lead=lead).select_related("reason", "user").first()


# --- Dashboards -------------------------------------------------------------------------------

NO_VALUE = "-"  # in a drill-down query: the reason (or rep, or field) is empty
SCORE_BANDS = [("0-20", 0.0, 0.2), ("20-40", 0.2, 0.4), ("40-60", 0.4, 0.6), ("60-80", 0.6, 0.8), ("80-100", 0.8, 1.01)]
SEGMENTS = {
    "industry": "lead__industry",
    "source": "lead__source",
    "country": "lead__country",
    "rep": "user__username",
    "band": "band",
}
PERIODS = {"week": TruncWeek, "month": TruncMonth}


@dataclass(frozen=True)
class LabelFilters:
    """What a dashboard bar stands for; the drill-down lists the labels behind it."""

    outcome: str = ""
    reason: str = ""
    industry: str = ""
    source: str = ""
    country: str = ""
    rep: str = ""
    band: str = ""
    start: date | None = None
    end: date | None = None  # exclusive

    def query(self) -> str:
        params = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in asdict(self).items() if v}
        return urlencode(params)


def _band_case() -> Case:
    return Case(
        *[When(score_seen__gte=lo, score_seen__lt=hi, then=Value(code)) for code, lo, hi in SCORE_BANDS],
        default=Value(NO_VALUE),
        output_field=CharField(),
    )


_Labels = TypeVar("_Labels", bound=QuerySet[Any])  # labels, annotated or not


def _exact_or_empty(labels: _Labels, lookup: str, value: str) -> _Labels:
    if value == NO_VALUE:
        return labels.filter(Q(**{f"{lookup}__isnull": True}) | Q(**{lookup: ""}))
    return labels.filter(**{lookup: value})


def labels_filtered(*, filters: LabelFilters) -> QuerySet[Label]:
    labels = Label.objects.annotate(band=_band_case())
    if filters.outcome:
        labels = labels.filter(outcome=filters.outcome)
    if filters.reason:
        none = filters.reason == NO_VALUE
        labels = labels.filter(reason__isnull=True) if none else labels.filter(reason__code=filters.reason)
    for name in ("industry", "source", "country"):
        value = getattr(filters, name)
        if value:
            labels = _exact_or_empty(labels, f"lead__{name}", value)
    if filters.rep:
        none = filters.rep == NO_VALUE
        labels = labels.filter(user__isnull=True) if none else labels.filter(user__username=filters.rep)
    if filters.band:
        labels = labels.filter(band=filters.band)
    tz = timezone.get_current_timezone()
    if filters.start:
        labels = labels.filter(created_at__gte=datetime.combine(filters.start, time.min, tzinfo=tz))
    if filters.end:
        labels = labels.filter(created_at__lt=datetime.combine(filters.end, time.min, tzinfo=tz))
    return labels


def labels_drilldown(*, filters: LabelFilters, limit: int = 500) -> list[Label]:
    return list(
        labels_filtered(filters=filters).select_related("lead", "reason", "user").order_by("-created_at", "-id")[:limit]
    )


@dataclass
class MixCell:
    outcome: str
    reason: str  # code, or NO_VALUE
    reason_label: str
    n: int
    share: float  # of the bucket's labels
    query: str


@dataclass
class MixBucket:
    key: str
    label: str
    total: int
    converted: int
    cells: list[MixCell] = field(default_factory=list)
    query: str = ""

    @property
    def win_rate(self) -> float:
        return self.converted / self.total if self.total else 0.0


def _period_end(start: date, period: str) -> date:
    if period == "week":
        return start + timedelta(days=7)
    return date(start.year + start.month // 12, start.month % 12 + 1, 1)


def reason_mix(*, by: str, limit: int = 12) -> list[MixBucket]:
    """Outcome x reason counts and shares per bucket: per week or month, or per segment value.

    Time buckets come oldest first; segments biggest first, at most ``limit`` of them.
    """
    labels = Label.objects.annotate(band=_band_case())
    if by in PERIODS:
        key_expr = PERIODS[by]("created_at")
        labels = labels.annotate(bucket=key_expr)
    elif by in SEGMENTS:
        labels = labels.annotate(bucket=F(SEGMENTS[by]))
    else:
        raise ValueError(f"unknown grouping {by!r}")
    rows = labels.values("bucket", "outcome", "reason__code", "reason__label").annotate(n=Count("id")).order_by()
    buckets: dict[str, MixBucket] = {}
    for row in rows:
        raw = row["bucket"]
        if by in PERIODS:
            start = raw.date() if isinstance(raw, datetime) else raw
            key = start.isoformat()
            label = f"{start:%d %b %Y}" if by == "week" else f"{start:%b %Y}"
            base = LabelFilters(start=start, end=_period_end(start, by))
        else:
            key = raw or NO_VALUE
            label = raw or "(none)"
            if by == "band":
                label = f"{raw}%" if raw != NO_VALUE else "no score seen"
            segment: dict[str, Any] = {by: key}  # a text field of LabelFilters (a SEGMENTS key)
            base = LabelFilters(**segment)
        bucket = buckets.setdefault(key, MixBucket(key=key, label=label, total=0, converted=0, query=base.query()))
        bucket.total += row["n"]
        if row["outcome"] == Outcome.CONVERTED:
            bucket.converted += row["n"]
        reason = row["reason__code"] or NO_VALUE
        cell_filters = replace(base, outcome=row["outcome"], reason=reason)
        bucket.cells.append(
            MixCell(row["outcome"], reason, row["reason__label"] or "(no reason)", row["n"], 0.0, cell_filters.query())
        )
    order = {code: i for i, code in enumerate(Reason.objects.values_list("code", flat=True))}
    for bucket in buckets.values():
        for cell in bucket.cells:
            cell.share = cell.n / bucket.total
        bucket.cells.sort(key=lambda c: (c.outcome != Outcome.CONVERTED, order.get(c.reason, 10_000), c.reason))
    if by in PERIODS:
        return [buckets[k] for k in sorted(buckets)]
    if by == "band":
        codes = [code for code, _, _ in SCORE_BANDS] + [NO_VALUE]
        return [buckets[c] for c in codes if c in buckets]
    return sorted(buckets.values(), key=lambda b: (-b.total, b.label))[:limit]


def unexplained_notes(*, limit: int) -> list[tuple[int, str, str]]:
    """(label id, note, outcome) of the newest ``limit`` labels whose note no reason fits: given with
    an "other" reason or none. What candidate reasons are grouped from."""
    rows = (
        Label.objects.exclude(note="")
        .filter(Q(reason__isnull=True) | Q(reason__code__in=OTHER_CODES))
        .order_by("-id")
        .values_list("id", "note", "outcome")
    )
    return list(rows[:limit])


def labeled_scores() -> tuple[list[int], list[float]]:
    """(outcome as 0/1, score the rep saw) for every label made with a score on screen."""
    rows = Label.objects.filter(outcome__in=Outcome.values, score_seen__isnull=False).values_list(
        "outcome", "score_seen"
    )
    return [1 if outcome == Outcome.CONVERTED else 0 for outcome, _ in rows], [score or 0.0 for _, score in rows]


def disagreements(*, low: float = 0.2, high: float = 0.8, limit: int = 50) -> dict[str, Any]:
    """Where reps and model disagree: converted though scored under ``low``, lost though over ``high``."""
    base = Label.objects.select_related("lead", "reason", "user").order_by("-created_at", "-id")
    surprised = base.filter(outcome=Outcome.CONVERTED, score_seen__lt=low)
    missed = base.filter(outcome=Outcome.NOT_CONVERTED, score_seen__gt=high)

    def by_reason(rows: QuerySet[Label]) -> list[dict[str, Any]]:
        counted = rows.values("reason__code", "reason__label").annotate(n=Count("id")).order_by("-n", "reason__code")
        return [dict(row) for row in counted]

    return {
        "low": low,
        "high": high,
        "won_low": list(surprised[:limit]),
        "won_low_count": surprised.count(),
        "won_low_reasons": by_reason(surprised),
        "lost_high": list(missed[:limit]),
        "lost_high_count": missed.count(),
        "lost_high_reasons": by_reason(missed),
    }


def _median(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def team_activity(*, since: date, until: date) -> dict[str, Any]:
    """Labels per rep per day, median seconds per label, skip rate, from ``since`` to ``until`` (inclusive)."""
    tz = timezone.get_current_timezone()
    start = datetime.combine(since, time.min, tzinfo=tz)
    end = datetime.combine(until + timedelta(days=1), time.min, tzinfo=tz)
    labels = Label.objects.filter(user__isnull=False, created_at__gte=start, created_at__lt=end)
    per_day = (
        labels.annotate(day=TruncDate("created_at", tzinfo=tz))
        .values("day", "user__username")
        .annotate(n=Count("id"))
        .order_by("day", "user__username")
    )
    days = [since + timedelta(days=i) for i in range((until - since).days + 1)]
    reps = sorted({row["user__username"] for row in per_day})
    grid = {rep: [0] * len(days) for rep in reps}
    for row in per_day:
        grid[row["user__username"]][(row["day"] - since).days] = row["n"]
    seconds: dict[str, list[float]] = {}
    for rep, value in labels.filter(seconds_to_label__isnull=False).values_list("user__username", "seconds_to_label"):
        seconds.setdefault(rep, []).append(value or 0.0)
    label_counts = dict(labels.values("user__username").annotate(n=Count("id")).values_list("user__username", "n"))
    skip_counts = dict(
        Skip.objects.filter(created_at__gte=start, created_at__lt=end)
        .values("user__username")
        .annotate(n=Count("id"))
        .values_list("user__username", "n")
    )
    everyone = sorted(set(label_counts) | set(skip_counts))
    per_rep = []
    for rep in everyone:
        n_labels, n_skips = label_counts.get(rep, 0), skip_counts.get(rep, 0)
        per_rep.append(
            {
                "rep": rep,
                "labels": n_labels,
                "skips": n_skips,
                "skip_rate": n_skips / (n_labels + n_skips) if n_labels + n_skips else 0.0,
                "median_seconds": _median(seconds.get(rep, [])),
                "per_day": n_labels / len(days),
            }
        )
    now = timezone.now()
    return {
        "days": days,
        "grid": grid,
        "per_rep": per_rep,
        "queue_free": queue_remaining(),
        "leased": Lease.objects.filter(expires_at__gt=now).count(),
    }


def queue_picks(*, after_id: int = 0) -> dict[int, tuple[float, float | None]]:
    """Per label id after ``after_id``: (propensity, score the rep saw), for the labels that came from
    the queue (a propensity on the label); labels given outside the queue and imported history are left out."""
    rows = Label.objects.filter(id__gt=after_id, propensity__isnull=False).values_list("id", "propensity", "score_seen")
    return {label_id: (propensity, score) for label_id, propensity, score in rows if propensity is not None}
