"""Which labels a dashboard figure stands for, and their weighted tallies.

Labels are dated by ``Label.outcome_at`` (when the outcome happened: the labeling time for a rep,
the outcome date for imported history). Imported history is left out unless asked for. Shares
and rates are weighted by inverse propensity (see ``config.rates``), with their label counts.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from django.db.models import Case, CharField, Count, F, FloatField, Q, QuerySet, Sum, Value, When
from django.db.models.functions import TruncDate, TruncMonth, TruncWeek
from django.utils import timezone

from config.rates import Rate, rate_from_sums
from feedback.models import Label, LabelSource, Outcome, Reason

NO_VALUE = "-"  # in a drill-down query: the reason (or rep, or field) is empty
NO_REASON = "No reason given"  # the one name of the bucket of labels without a reason
SCORE_BANDS = [("0-20", 0.0, 0.2), ("20-40", 0.2, 0.4), ("40-60", 0.4, 0.6), ("60-80", 0.6, 0.8), ("80-100", 0.8, 1.01)]
SEGMENTS = {
    "industry": "lead__industry",
    "source": "lead__source",
    "country": "lead__country",
    "rep": "user__username",
    "band": "band",
}


def labels_have(segment: str, value: str) -> bool:
    """Whether any label (its lead, or its rep for ``rep``) has this value of a segment: a drill-down
    on a value none has is a mistyped link, not an empty figure."""
    return Label.objects.filter(**{SEGMENTS[segment]: value}).exists()


SEGMENT_NAMES = {"industry": "Industry", "source": "Source", "country": "Country", "rep": "Rep", "band": "Score band"}
GRAINS = {"day": TruncDate, "week": TruncWeek, "month": TruncMonth}
OUTCOME_WORDS: dict[str, str] = {Outcome.CONVERTED: "won", Outcome.NOT_CONVERTED: "lost"}


def band_words(code: str) -> str:
    return "no score seen" if code == NO_VALUE else f"score {code.replace('-', '–')}%"


@dataclass(frozen=True)
class LabelFilters:
    """What a dashboard figure stands for; the drill-down lists the labels behind it."""

    outcome: str = ""
    reason: str = ""
    industry: str = ""
    source: str = ""
    country: str = ""
    rep: str = ""
    band: str = ""
    start: date | None = None
    end: date | None = None  # exclusive
    history: bool = False  # imported history too

    def query(self) -> str:
        params = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in asdict(self).items() if v}
        if self.history:
            params["history"] = "1"
        return urlencode(params)

    def words(self, reason_names: dict[str, str]) -> list[tuple[str, str]]:
        """The filters as chips in plain words: [('Outcome', 'lost'), ('Reason', 'No budget'), ...]."""
        chips: list[tuple[str, str]] = []
        if self.outcome:
            chips.append(("Outcome", dict(Outcome.choices).get(self.outcome, self.outcome)))
        if self.reason:
            name = NO_REASON if self.reason == NO_VALUE else reason_names.get(self.reason, self.reason)
            chips.append(("Reason", name))
        for name in ("industry", "source", "country"):
            value = getattr(self, name)
            if value:
                chips.append((SEGMENT_NAMES[name], "(none)" if value == NO_VALUE else value))
        if self.rep:
            chips.append(("Rep", "imported (no rep)" if self.rep == NO_VALUE else self.rep))
        if self.band:
            chips.append(("Score band", band_words(self.band)))
        if self.start or self.end:
            first = f"{self.start:%-d %b %Y}" if self.start else "the first label"
            today = timezone.localdate()
            last_day = self.end - timedelta(days=1) if self.end else None
            running = last_day is None or (last_day > today and (self.start is None or self.start <= today))
            last = f"{today:%-d %b %Y} so far" if running else f"{last_day:%-d %b %Y}"
            chips.append(("Dated", f"{first} – {last}"))
        chips.append(("Imported history", "included" if self.history else "left out"))
        return chips


def _band_case() -> Case:
    return Case(
        *[When(score_seen__gte=lo, score_seen__lt=hi, then=Value(code)) for code, lo, hi in SCORE_BANDS],
        default=Value(NO_VALUE),
        output_field=CharField(),
    )


def _exact_or_empty(labels: QuerySet[Any], lookup: str, value: str) -> QuerySet[Any]:
    if value == NO_VALUE:
        return labels.filter(Q(**{f"{lookup}__isnull": True}) | Q(**{lookup: ""}))
    return labels.filter(**{lookup: value})


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


def labels_filtered(*, filters: LabelFilters) -> QuerySet[Label]:
    labels: QuerySet[Any] = Label.objects.annotate(band=_band_case())
    if not filters.history:
        labels = labels.exclude(source=LabelSource.IMPORT)
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
    if filters.start:
        labels = labels.filter(outcome_at__gte=_day_start(filters.start))
    if filters.end:
        labels = labels.filter(outcome_at__lt=_day_start(filters.end))
    return labels


def labels_drilldown(*, filters: LabelFilters, limit: int = 500) -> list[Label]:
    return list(
        labels_filtered(filters=filters).select_related("lead", "reason", "user").order_by("-outcome_at", "-id")[:limit]
    )


def reason_names() -> dict[str, str]:
    """Each reason's label as shown (a retired one says so)."""
    return {r.code: r.shown_label for r in Reason.objects.only("code", "label", "active")}


# --- Weighted counts ---------------------------------------------------------------------------


def _inverse(power: int) -> Case:
    """1 / propensity (or its square) for a queue label; null outside the queue (weight 1)."""
    value = Value(1.0) / F("propensity") if power == 1 else Value(1.0) / (F("propensity") * F("propensity"))
    return Case(When(propensity__gt=0, then=value), default=None, output_field=FloatField())


@dataclass
class Tally:
    """Labels counted and weighted: ``n`` labels, ``plain`` of them outside the queue (weight 1),
    ``inverse`` and ``inverse2`` the sums of 1/p and 1/p² over the queue's labels."""

    n: int = 0
    plain: int = 0
    inverse: float = 0.0
    inverse2: float = 0.0

    def add(self, other: Tally) -> None:
        self.n += other.n
        self.plain += other.plain
        self.inverse += other.inverse
        self.inverse2 += other.inverse2

    def weight(self, scale: float) -> float:
        return self.plain + scale * self.inverse

    def weight2(self, scale: float) -> float:
        return self.plain + scale * scale * self.inverse2


def grouped_tallies(labels: QuerySet[Label], keys: dict[str, Any]) -> tuple[list[tuple[dict[str, Any], Tally]], float]:
    """Tallies per combination of ``keys``, and the scale that brings the queue's weights to a mean of 1."""
    rows = (
        labels.annotate(**keys)
        .values(*keys)
        .annotate(
            n=Count("id"), picked=Count("id", filter=Q(propensity__gt=0)), inv=Sum(_inverse(1)), inv2=Sum(_inverse(2))
        )
        .order_by()
    )
    grouped, picked, inverse = [], 0, 0.0
    for row in rows:
        tally = Tally(row["n"], row["n"] - row["picked"], row["inv"] or 0.0, row["inv2"] or 0.0)
        picked += row["picked"]
        inverse += tally.inverse
        grouped.append(({k: row[k] for k in keys}, tally))
    return grouped, (picked / inverse if inverse else 1.0)


def rate_of(part: Tally, whole: Tally, scale: float) -> Rate:
    return rate_from_sums(
        n=whole.n,
        hits=part.n,
        hit_weight=part.weight(scale),
        weight=whole.weight(scale),
        weight2=whole.weight2(scale),
    )
