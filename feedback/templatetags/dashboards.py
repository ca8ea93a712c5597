"""Figures on the dashboards: thousands separators, percentages, and rates that admit few labels."""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from config.rates import MIN_LABELS, Rate

register = template.Library()

HEAT_STEPS = 6


@register.filter
def clause(message: object) -> str:
    """A message read mid-sentence: without its closing full stop ("Enter a valid date" — showing …)."""
    return str(message).rstrip(".")


@register.filter
def num(value: object) -> str:
    """12345 → '12,345'; anything not a number → a dash."""
    if not isinstance(value, int | float):
        return "—"
    return f"{float(value):,.0f}"


@register.filter
def pct(value: Rate | float | None) -> str:
    """A share (or a Rate's value) as a whole percentage."""
    share = value.value if isinstance(value, Rate) else value
    return "—" if share is None else f"{100 * float(share):.0f}%"


@register.filter
def interval(rate: Rate) -> str:
    """The 95% interval of a weighted rate, such as 51-72%."""
    if rate.low is None or rate.high is None:
        return ""
    return f"{100 * rate.low:.0f}–{100 * rate.high:.0f}%"


def _rate(rate: Rate, word: str, counted: str) -> SafeString:
    if rate.n == 0 or rate.value is None:
        return mark_safe('<span class="few">no labels</span>')
    if rate.n < MIN_LABELS:
        return format_html(
            '<span class="few" title="{}%{} on {} labels{}: too few to read as a rate">few labels ({}{})</span>',
            f"{100 * rate.value:.0f}",
            f" {word}" if word else "",
            f"{rate.n:,}",
            f", {counted}" if counted else "",
            f"{rate.n:,}",
            f" {counted}" if counted else "",
        )
    return format_html(
        '{}{} <span class="ci" title="95% interval, {} labels">{} · n={}</span>',
        pct(rate),
        f" {word}" if word else "",
        f"{rate.n:,}",
        interval(rate),
        f"{rate.n:,}",
    )


@register.filter
def rate(rate: Rate, word: str = "") -> SafeString:
    """A rate with its interval and sample size; on fewer than MIN_LABELS labels, says so instead.
    ``word`` follows the percentage: ``rate:"weighted"`` beside raw counts, so 28% next to '49 of
    169' reads as the weighted share it is, not as 49 ÷ 169."""
    return _rate(rate, word, "")


@register.filter
def share_of(rate: Rate, what: str) -> SafeString:
    """A weighted share of the ``what`` (lost or won) deals, as ``rate:"weighted"``; on fewer than
    MIN_LABELS of them 'few labels (5 lost)': the count is of those deals, not of every label."""
    return _rate(rate, "weighted", what)


@register.filter
def outcome_rate(rate: Rate) -> SafeString:
    """A row's won or lost rate, as ``rate``; on fewer than MIN_LABELS labels 'few labels (16 lost or
    won)': the count is every label of the row, which a count of its lost deals beside it is not."""
    return _rate(rate, "", "lost or won")


@register.filter
def heat(rate: Rate) -> str:
    """A CSS class shading a matrix cell by its share (heat-0 … heat-5), ``thin`` on few labels.

    The shade is the low end of the share's 95% interval: what the labels show at least, so one lost
    deal of two (50%, interval 9-91%) is pale, and 50% of forty deals is dark."""
    if rate.value is None or rate.hits == 0:
        return "heat-0"
    if rate.n < MIN_LABELS:  # a share of a few deals is a hint: the palest shade, whatever its value
        return "heat-1 thin"
    surely = rate.low if rate.low is not None else rate.value
    step = min(HEAT_STEPS - 1, 1 + int(surely * (HEAT_STEPS - 1) / 0.6))  # 60% or more is the darkest
    return f"heat-{step}"


@register.filter
def cell_share(rate: Rate) -> SafeString:
    """A matrix cell's weighted share under its count; none on fewer than MIN_LABELS deals, where
    '1 · 100%' would read as a figure (the row is marked 'few', and the cell's title keeps it)."""
    if rate.value is None or rate.n < MIN_LABELS:
        return mark_safe("")
    return format_html("<small>{}</small>", pct(rate))


@register.filter
def few_mark(count: int, what: str) -> SafeString:
    """A row's count of ``what`` (lost or won) deals, marked 'few lost' when they are fewer than
    MIN_LABELS: the row's cells then show counts, no share."""
    if count >= MIN_LABELS or count == 0:
        return format_html("{}", f"{count:,}")
    return format_html(
        '{} <abbr class="few" title="{} {} deals, fewer than {}: too few for shares, so its cells show counts only">'
        "few {}</abbr>",
        f"{count:,}",
        f"{count:,}",
        what,
        MIN_LABELS,
        what,
    )
