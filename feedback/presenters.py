"""Turn the dashboards' numbers into charts (server-side SVG) with the links behind every bar."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from django.urls import reverse
from django.utils.safestring import SafeString

from config.charts import (
    NEUTRAL,
    SERIES,
    Bar,
    Segment,
    Series,
    StackRow,
    bar_chart,
    column_chart,
    legend,
    line_chart,
    stacked_rows,
)
from config.rates import MIN_LABELS, Rate
from feedback.dashboards.filters import NO_REASON, NO_VALUE
from feedback.dashboards.mix import MixBucket, ReasonTotal
from feedback.models import Outcome, Reason


def reason_colors() -> dict[str, str]:
    """One colour per reason code: each outcome's reasons in use take the palette in taxonomy order,
    then its retired ones, so up to eight reasons of one outcome (all a chart shows at once) never
    share a colour, and a retired reason takes none of them while eight are in use."""
    colors: dict[str, str] = {NO_VALUE: NEUTRAL}
    counters: dict[str, int] = {Outcome.CONVERTED: 0, Outcome.NOT_CONVERTED: 0}
    for reason in Reason.objects.order_by("outcome", "-active", "position", "code"):
        colors[reason.code] = SERIES[counters.get(reason.outcome, 0) % len(SERIES)]
        counters[reason.outcome] = counters.get(reason.outcome, 0) + 1
    return colors


def percent(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.0f}%"


def rate_words(rate: Rate, what: str) -> str:
    """'62% lost' or, on fewer than MIN_LABELS labels, 'few labels (12 lost or won)' instead of a
    shaky 0% or 100%: the count is of every label in the bucket, not of its ``what`` deals."""
    if rate.n < MIN_LABELS:
        return f"few labels ({rate.n:,} lost or won)"
    return f"{percent(rate.value)} {what}"


def share_words(share: Rate) -> str:
    """'55% weighted share' or, on fewer than MIN_LABELS labels of the outcome, 'few labels (4)':
    two lost deals of four are no figure to read as 50%."""
    if share.n < MIN_LABELS:
        return f"few labels ({share.n:,})"
    return f"{percent(share.value)} weighted share"


def skip_words(skips: int, labels: int) -> str:
    """'12% (3 of 25)': the skips out of every lead the rep answered or skipped."""
    return f"{100 * skips / (skips + labels):.0f}% ({skips:,} of {skips + labels:,})" if skips + labels else "—"


def drill_url(query: str) -> str:
    return f"{reverse('reason_drilldown')}?{query}"


def reason_bars(rows: list[ReasonTotal], colors: dict[str, str]) -> SafeString:
    outcome_names = dict(Outcome.choices)
    bars = [
        Bar(
            label=row.reason_label,
            value=row.n,
            text=f"{row.n:,} · {percent(row.share.value)}"
            if row.share.n >= MIN_LABELS
            else f"{row.n:,} of {row.share.n:,}: few",
            color=colors.get(row.reason, NEUTRAL),
            href=drill_url(row.query),
            group=outcome_names.get(row.outcome, row.outcome),
        )
        for row in rows
    ]
    return bar_chart(bars, title="Labels by outcome and reason")


def mix_chart(buckets: list[MixBucket], colors: dict[str, str], *, title: str, what: str) -> SafeString:
    rows = [
        StackRow(
            label=bucket.label,
            note=f"{bucket.count:,} · {rate_words(bucket.outcome_rate, what)}",
            href=drill_url(bucket.query),
            faint=bucket.count < MIN_LABELS,
            segments=[
                Segment(
                    name=cell.reason_label,
                    share=cell.share.value or 0.0,
                    color=colors.get(cell.reason, NEUTRAL),
                    href=drill_url(cell.query),
                    text=f"{cell.n:,} label{'s' if cell.n != 1 else ''} · {share_words(cell.share)}",
                )
                for cell in bucket.cells
            ],
        )
        for bucket in buckets
    ]
    return stacked_rows(rows, title=title)


def reason_legend(colors: dict[str, str], *, outcome: str, shown: Collection[str] = ()) -> SafeString:
    """The outcome's reasons in use, and a retired one only while the charts (``shown``) carry it."""
    items = [
        (r.shown_label, colors[r.code])
        for r in Reason.objects.filter(outcome=outcome)
        if r.code in colors and (r.active or r.code in shown)
    ]
    return legend([*items, (NO_REASON, NEUTRAL)])


def quality_charts(quality: dict[str, Any]) -> dict[str, SafeString]:
    calibration = quality["calibration"]
    gain = quality["gain"]
    history = quality["history"]
    charts = {
        "calibration": line_chart(
            [Series("actual", [(row["predicted"], row["actual"]) for row in calibration], SERIES[0])],
            title="Calibration: predicted vs actual conversion by score group",
            x_label="score reps saw (group mean)",
            y_label="actually converted (weighted)",
            x_max=1.0,
            diagonal=True,
            x_format=lambda v: f"{100 * v:.0f}%",
        ),
        "gain": line_chart(
            [Series("model", [(0.0, 0.0)] + [(row["share_of_leads"], row["gain"]) for row in gain], SERIES[2])],
            title="Cumulative gain",
            x_label="share of leads worked, best scores first",
            y_label="share of conversions found",
            x_max=1.0,
            diagonal=True,
            x_format=lambda v: f"{100 * v:.0f}%",
        ),
    }
    peak_lift = max((row["lift"] for row in gain), default=1.0)
    charts["lift"] = bar_chart(
        [
            Bar(label=f"group {row['group']}", value=row["lift"], text=f"{row['lift']:.2f}×", color=SERIES[2])
            for row in gain
        ],
        title="Lift by score group",
        max_value=max(peak_lift, 1.0),
        width=460,
        reference=(1.0, "1× = random"),
    )
    metric_names = [
        ("roc_auc", "ROC AUC", SERIES[0]),
        ("precision", "precision", SERIES[1]),
        ("recall", "recall", SERIES[2]),
    ]
    curve = [
        Series(
            name,
            [
                (float(v.labels), float(v.metrics[key]))
                for v in history
                if isinstance(v.metrics.get(key), int | float) and v.metrics[key] == v.metrics[key]
            ],
            color,
        )
        for key, name, color in metric_names
    ]
    charts["learning_curve"] = line_chart(
        curve,
        title="Learning curve: held-out metrics by number of labels",
        x_label="labels the version learned from",
        y_label="metric",
        x_min=float(min((v.labels for v in history), default=0)),
        y_min=0.5,  # below 0.5 a model ranks worse than chance: the room above is where progress shows
        x_format=lambda v: f"{v:,.0f}",
        y_format=lambda v: f"{v:.1f}",
        y_steps=5,  # 0.5, 0.6 … 1.0
        width=720,
        height=260,
    )
    charts["curve_legend"] = legend([(name, color) for _, name, color in metric_names])
    return charts


def team_charts(team: dict[str, Any]) -> dict[str, SafeString]:
    reps = list(team["grid"])
    stacks = [(rep, SERIES[i % len(SERIES)], team["grid"][rep]) for i, rep in enumerate(reps)]
    per_rep = team["per_rep"]
    return {
        "per_day": column_chart([f"{d.day} {d:%b}" for d in team["days"]], stacks, title="Labels per rep per day"),
        "per_day_legend": legend([(rep, color) for rep, color, _ in stacks]),
        "seconds": bar_chart(
            [
                Bar(rep["rep"], rep["median_seconds"] or 0, f"{rep['median_seconds']:.1f} s", SERIES[0])
                for rep in per_rep
                if rep["median_seconds"] is not None
            ],
            title="Median seconds per label",
            width=460,
        ),
        "skips": bar_chart(
            [Bar(rep["rep"], rep["skip_rate"], skip_words(rep["skips"], rep["labels"]), SERIES[1]) for rep in per_rep],
            title="Skip rate",
            max_value=1.0,
            width=460,
        ),
    }
