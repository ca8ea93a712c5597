"""Turn the dashboards' numbers into charts (server-side SVG) with the links behind every bar."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.safestring import SafeString

from config.charts import (
    GREENS,
    REDS,
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
from feedback.models import Outcome, Reason
from feedback.selectors import NO_VALUE, MixBucket

NO_REASON_COLORS = {Outcome.CONVERTED: "#98a2b3", Outcome.NOT_CONVERTED: "#d0d5dd"}


def reason_colors() -> dict[tuple[str, str], str]:
    colors: dict[tuple[str, str], str] = {}
    counters: dict[str, int] = {Outcome.CONVERTED: 0, Outcome.NOT_CONVERTED: 0}
    for reason in Reason.objects.order_by("outcome", "position", "code"):
        palette = GREENS if reason.outcome == Outcome.CONVERTED else REDS
        colors[(reason.outcome, reason.code)] = palette[counters[reason.outcome] % len(palette)]
        counters[reason.outcome] += 1
    for outcome, color in NO_REASON_COLORS.items():
        colors[(outcome, NO_VALUE)] = color
    return colors


def drill_url(query: str) -> str:
    return f"{reverse('reason_drilldown')}?{query}"


def reason_bars(rows: list[dict[str, Any]], colors: dict[tuple[str, str], str]) -> SafeString:
    outcome_names = dict(Outcome.choices)
    bars = [
        Bar(
            label=row["reason__label"] or "(no reason: imported)",
            value=row["n"],
            text=f"{row['n']} · {100 * row['share']:.0f}%",
            color=colors.get((row["outcome"], row["reason__code"] or NO_VALUE), SERIES[0]),
            href=drill_url(f"outcome={row['outcome']}&reason={row['reason__code'] or NO_VALUE}"),
            group=outcome_names.get(row["outcome"], row["outcome"]),
        )
        for row in rows
    ]
    return bar_chart(bars, title="Labels by outcome and reason")


def mix_chart(buckets: list[MixBucket], colors: dict[tuple[str, str], str], *, title: str) -> SafeString:
    rows = [
        StackRow(
            label=bucket.label,
            note=f"{bucket.total} · {100 * bucket.win_rate:.0f}% won",
            href=drill_url(bucket.query),
            segments=[
                Segment(
                    name=cell.reason_label,
                    share=cell.share,
                    color=colors.get((cell.outcome, cell.reason), SERIES[6]),
                    href=drill_url(cell.query),
                    text=f"{cell.n} ({100 * cell.share:.0f}%)",
                )
                for cell in bucket.cells
            ],
        )
        for bucket in buckets
    ]
    return stacked_rows(rows, title=title)


def reason_legend(colors: dict[tuple[str, str], str]) -> SafeString:
    names = {(r.outcome, r.code): r.label for r in Reason.objects.all()}
    items = [(names.get(key, "(no reason)"), color) for key, color in colors.items() if key in names]
    items += [("no reason (imported)", NO_REASON_COLORS[Outcome.CONVERTED])]
    return legend(items)


def quality_charts(quality: dict[str, Any]) -> dict[str, SafeString]:
    calibration = quality["calibration"]
    gain = quality["gain"]
    history = quality["history"]
    charts = {
        "calibration": line_chart(
            [Series("actual", [(row["predicted"], row["actual"]) for row in calibration], SERIES[0])],
            title="Calibration: predicted vs actual conversion by decile",
            x_label="score reps saw (decile mean)",
            y_label="actually converted",
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
            Bar(label=f"decile {row['group']}", value=row["lift"], text=f"{row['lift']:.2f}×", color=SERIES[2])
            for row in gain
        ],
        title="Lift by decile",
        max_value=max(peak_lift, 1.0),
        width=460,
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
        x_format=lambda v: f"{v:.0f}",
        y_format=lambda v: f"{v:.2f}",
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
        "per_day": column_chart([f"{d:%d %b}" for d in team["days"]], stacks, title="Labels per rep per day"),
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
            [
                Bar(rep["rep"], rep["skip_rate"], f"{100 * rep['skip_rate']:.0f}% ({rep['skips']})", SERIES[1])
                for rep in per_rep
            ],
            title="Skip rate",
            max_value=1.0,
            width=460,
        ),
    }
