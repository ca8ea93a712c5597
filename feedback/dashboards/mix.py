"""An outcome's reason mix per time bucket or per segment, and the outcome x reason totals."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import F
from django.db.models.expressions import Combinable
from django.utils import timezone

from config.rates import Rate
from feedback.dashboards.filters import (
    GRAINS,
    NO_REASON,
    NO_VALUE,
    SCORE_BANDS,
    SEGMENTS,
    LabelFilters,
    Tally,
    band_words,
    grouped_tallies,
    labels_filtered,
    rate_of,
)
from feedback.models import Outcome, Reason


@dataclass
class MixCell:
    reason: str  # code, or NO_VALUE
    reason_label: str
    n: int
    share: Rate  # of the bucket's labels of the outcome (weighted)
    query: str


@dataclass
class MixBucket:
    key: str
    label: str
    total: int  # labels of both outcomes
    outcome_rate: Rate  # the bucket's share of the outcome (weighted)
    cells: list[MixCell] = field(default_factory=list)
    query: str = ""

    @property
    def count(self) -> int:
        return self.outcome_rate.hits


def _bucket_end(start: date, grain: str) -> date:
    if grain == "day":
        return start + timedelta(days=1)
    if grain == "week":
        return start + timedelta(days=7)
    return date(start.year + start.month // 12, start.month % 12 + 1, 1)


def _bucket_label(start: date, grain: str, shown: tuple[date, date] | None = None) -> str:
    """A day, week or month bucket's name; ``shown`` (its first and last day in the period), when
    the period cuts it: "7-8 Nov" (an en dash), not "week of 2 Nov" for a week the period holds two days of."""
    if shown is not None and grain != "day":
        first, last = shown
        if first == last:
            return f"{first.day} {first:%b}"
        return f"{first.day}–{last.day} {last:%b}" if first.month == last.month else f"{first:%-d %b}–{last:%-d %b}"
    if grain == "month":
        return f"{start:%b %Y}"
    return f"{'week of ' if grain == 'week' else ''}{start.day} {start:%b}"


def reason_mix(*, filters: LabelFilters, outcome: str, by: str, limit: int = 12) -> list[MixBucket]:
    """The outcome's labels split by reason in each bucket: per day, week or month, or per segment.

    Time buckets come oldest first (clipped to the filters' dates); segments with the most labels
    of the outcome first, at most ``limit`` of them; score bands lowest first.
    """
    base = replace(filters, outcome="", reason="")
    labels = labels_filtered(filters=base)
    bucket_expr: Combinable
    if by in GRAINS:
        bucket_expr = GRAINS[by]("outcome_at", tzinfo=timezone.get_current_timezone())
    elif by in SEGMENTS:
        bucket_expr = F(SEGMENTS[by])
    else:
        raise ValueError(f"unknown grouping {by!r}")
    grouped, scale = grouped_tallies(labels, {"bucket": bucket_expr, "o": F("outcome"), "r": F("reason__code")})
    names = dict(Reason.objects.values_list("code", "label"))
    order = {code: i for i, code in enumerate(Reason.objects.values_list("code", flat=True))}
    every: dict[str, Tally] = {}
    cells: dict[str, dict[str, Tally]] = {}
    keys: dict[str, tuple[str, LabelFilters]] = {}
    for values, tally in grouped:
        raw = values["bucket"]
        if by in GRAINS:
            start = raw.date() if isinstance(raw, datetime) else raw
            end = _bucket_end(start, by)
            first, stop = max(start, base.start or start), min(end, base.end or end)
            bucket_filters = replace(base, start=first, end=stop)
            shown = (first, stop - timedelta(days=1)) if (first, stop) != (start, end) else None
            key, label = start.isoformat(), _bucket_label(start, by, shown)
        else:
            key = raw or NO_VALUE
            label = band_words(key) if by == "band" else ("(none)" if key == NO_VALUE else key)
            segment: dict[str, Any] = {by: key}  # a text field of LabelFilters (a SEGMENTS key)
            bucket_filters = replace(base, **segment)
        keys[key] = (label, bucket_filters)
        every.setdefault(key, Tally()).add(tally)
        if values["o"] == outcome:
            cells.setdefault(key, {}).setdefault(values["r"] or NO_VALUE, Tally()).add(tally)
    buckets: dict[str, MixBucket] = {}
    for key, (label, bucket_filters) in keys.items():
        outcome_tally = Tally()
        for tally in cells.get(key, {}).values():
            outcome_tally.add(tally)
        bucket = MixBucket(
            key=key,
            label=label,
            total=every[key].n,
            outcome_rate=rate_of(outcome_tally, every[key], scale),
            query=replace(bucket_filters, outcome=outcome).query(),
        )
        for code, tally in cells.get(key, {}).items():
            bucket.cells.append(
                MixCell(
                    reason=code,
                    reason_label=names.get(code, NO_REASON) if code != NO_VALUE else NO_REASON,
                    n=tally.n,
                    share=rate_of(tally, outcome_tally, scale),
                    query=replace(bucket_filters, outcome=outcome, reason=code).query(),
                )
            )
        bucket.cells.sort(key=lambda c: (order.get(c.reason, 10_000), c.reason))
        buckets[key] = bucket
    if by in GRAINS:
        return [buckets[k] for k in sorted(buckets)]
    if by == "band":
        codes = [code for code, _, _ in SCORE_BANDS] + [NO_VALUE]
        return [buckets[c] for c in codes if c in buckets]
    return sorted(buckets.values(), key=lambda b: (-b.count, -b.total, b.label))[:limit]


@dataclass
class ReasonTotal:
    outcome: str
    reason: str  # code, or NO_VALUE
    reason_label: str
    n: int
    share: Rate  # of the outcome's labels (weighted)
    query: str


def reason_counts(*, filters: LabelFilters) -> list[ReasonTotal]:
    """Labels by outcome and reason, with each reason's weighted share within its outcome."""
    base = replace(filters, outcome="", reason="")
    grouped, scale = grouped_tallies(labels_filtered(filters=base), {"o": F("outcome"), "r": F("reason__code")})
    names = dict(Reason.objects.values_list("code", "label"))
    per_outcome: dict[str, Tally] = {}
    for values, tally in grouped:
        per_outcome.setdefault(values["o"], Tally()).add(tally)
    rows = [
        ReasonTotal(
            outcome=values["o"],
            reason=values["r"] or NO_VALUE,
            reason_label=names.get(values["r"], NO_REASON) if values["r"] else NO_REASON,
            n=tally.n,
            share=rate_of(tally, per_outcome[values["o"]], scale),
            query=replace(base, outcome=values["o"], reason=values["r"] or NO_VALUE).query(),
        )
        for values, tally in grouped
    ]
    first: dict[str, int] = {Outcome.CONVERTED: 0, Outcome.NOT_CONVERTED: 1}
    return sorted(rows, key=lambda r: (first.get(r.outcome, 2), -r.n, r.reason))
