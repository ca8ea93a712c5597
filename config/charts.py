"""Server-side SVG charts: small, dependency-free, drawn from plain numbers.

Each function returns safe markup; the page puts a <details> table with the same numbers
next to every chart, for screen readers and for copying the figures.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

# Categorical colours: distinct hues that stay apart under deuteranopia, protanopia and tritanopia
# (CIELAB distance >= 10 between any two, simulated), each at least 3:1 against white (WCAG 1.4.11).
SERIES = ["#0072B2", "#D55E00", "#11A579", "#332288", "#E6194B", "#800000", "#9A6324", "#AA3377"]
NEUTRAL = "#6B7280"  # the "no reason given" bucket: grey, 4.8:1 against white
INK, MUTED, GRID = "#1d2433", "#667085", "#e4e7ec"
WIDE_CHART = 720  # drawn this wide or wider, a chart keeps 540 px on a phone and scrolls (leadloop.css)


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _svg(width: int, height: int, title: str, body: SafeString) -> SafeString:
    # A chart whose bars are links is a group of links, not an image: role="img" would hide them
    # from assistive technology and nest interactive controls in an image (axe: nested-interactive).
    role = "group" if "<a " in body else "img"
    # On a phone a wide chart keeps most of its drawn width (its words stay readable) and its
    # wrapper scrolls sideways instead (leadloop.css), reachable by keyboard; elsewhere it shrinks
    # to its column.
    wrap = (
        format_html(' role="region" tabindex="0" aria-label="{}: scrolls sideways on a narrow screen"', title)
        if width >= WIDE_CHART
        else ""
    )
    return format_html(
        '<div class="chart-wrap"{}><svg class="chart" width="{}" height="{}" viewBox="0 0 {} {}" role="{}" '
        'aria-label="{}" preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">{}</svg></div>',
        wrap,
        width,
        height,
        width,
        height,
        role,
        title,
        body,
    )


def _link(href: str | None, inner: SafeString) -> SafeString:
    return format_html('<a href="{}">{}</a>', href, inner) if href else inner


@dataclass
class Bar:
    label: str
    value: float
    text: str
    color: str = SERIES[0]
    href: str | None = None
    group: str = ""


def bar_chart(
    bars: Sequence[Bar],
    *,
    title: str,
    width: int = 720,
    max_value: float | None = None,
    reference: tuple[float, str] | None = None,
) -> SafeString:
    """Horizontal bars, one per row, with an optional group heading above each run of rows;
    ``reference``: a dashed line at that value, with its words (a lift of 1 is random)."""
    label_w, text_w, row_h = 230, 90, 26
    peak = max_value or max((b.value for b in bars), default=0) or 1
    parts: list[SafeString] = []
    y = 4
    group = None
    for bar in bars:
        if bar.group and bar.group != group:
            group = bar.group
            parts.append(
                format_html(
                    '<text x="0" y="{}" class="group" fill="{}" font-weight="600">{}</text>', y + 16, INK, group
                )
            )
            y += 24
        length = max(0.0, (width - label_w - text_w) * bar.value / peak)
        inner = format_html(
            '<g class="bar"><title>{}: {}</title>'
            '<text x="{}" y="{}" text-anchor="end" fill="{}">{}</text>'
            '<rect x="{}" y="{}" width="{}" height="{}" rx="3" fill="{}"/>'
            '<text x="{}" y="{}" fill="{}">{}</text></g>',
            bar.label,
            bar.text,
            label_w - 8,
            y + 16,
            INK,
            bar.label[:34],
            label_w,
            y + 4,
            _num(max(length, 1.5)),
            row_h - 8,
            bar.color,
            _num(label_w + max(length, 1.5) + 6),
            y + 16,
            MUTED,
            bar.text,
        )
        parts.append(_link(bar.href, inner))
        y += row_h
    if not bars:
        parts.append(format_html('<text x="0" y="20" fill="{}">No data yet.</text>', MUTED))
        y = 30
    elif reference is not None:
        at = label_w + (width - label_w - text_w) * reference[0] / peak
        parts.insert(  # first: under the bars and their figures, which stay readable across it
            0,
            format_html(
                '<line class="reference" x1="{}" x2="{}" y1="2" y2="{}" stroke="{}" stroke-dasharray="4 3"/>'
                '<text x="{}" y="{}" text-anchor="middle" fill="{}" font-size="12">{}</text>',
                _num(at),
                _num(at),
                y,
                INK,
                _num(at),
                y + 14,
                MUTED,
                reference[1],
            ),
        )
        y += 18
    return _svg(width, y + 4, title, mark_safe("".join(parts)))


@dataclass
class Segment:
    name: str
    share: float
    color: str
    href: str | None = None
    text: str = ""


@dataclass
class StackRow:
    label: str
    note: str
    segments: list[Segment] = field(default_factory=list)
    href: str | None = None
    faint: bool = False  # shares of too few labels to read: drawn pale, so one deal is no full bar


def stacked_rows(rows: Sequence[StackRow], *, title: str, width: int = 720) -> SafeString:
    """100% stacked horizontal bars: one row per bucket, one segment per category (each a link); a
    ``faint`` row's segments are pale."""
    label_w, note_w, row_h = 150, 215, 28  # a note such as "11 · few labels (16 lost or won)" fits
    span = width - label_w - note_w
    parts: list[SafeString] = []
    for i, row in enumerate(rows):
        y = 4 + i * row_h
        parts.append(
            _link(
                row.href,
                format_html(
                    '<text x="{}" y="{}" text-anchor="end" fill="{}">{}</text>',
                    label_w - 8,
                    y + 17,
                    INK,
                    row.label[:22],
                ),
            )
        )
        x = float(label_w)
        for seg in row.segments:
            w = span * seg.share
            if w <= 0:
                continue
            parts.append(
                _link(
                    seg.href,
                    format_html(
                        '<rect class="seg" x="{}" y="{}" width="{}" height="{}" fill="{}" fill-opacity="{}" '
                        'stroke="#fff" stroke-width="1"><title>{} · {}: {}</title></rect>',
                        _num(x),
                        y + 3,
                        _num(w),
                        row_h - 8,
                        seg.color,
                        ".3" if row.faint else "1",
                        row.label,
                        seg.name,
                        seg.text,
                    ),
                )
            )
            x += w
        parts.append(
            format_html('<text x="{}" y="{}" fill="{}">{}</text>', label_w + span + 8, y + 17, MUTED, row.note)
        )
    if not rows:
        parts.append(format_html('<text x="0" y="20" fill="{}">No labels yet.</text>', MUTED))
    height = max(len(rows) * row_h, 24) + 8
    return _svg(width, height, title, mark_safe("".join(parts)))


@dataclass
class Series:
    name: str
    points: list[tuple[float, float]]
    color: str = SERIES[0]
    dashed: bool = False


def line_chart(
    series: Sequence[Series],
    *,
    title: str,
    x_label: str,
    y_label: str,
    x_max: float | None = None,
    y_max: float = 1.0,
    y_min: float = 0.0,
    x_min: float = 0.0,
    diagonal: bool = False,
    x_format: Callable[[float], str] = lambda v: _num(v),
    y_format: Callable[[float], str] = lambda v: f"{100 * v:.0f}%",
    width: int = 460,
    height: int = 300,
    y_steps: int = 4,
) -> SafeString:
    """Lines with dots on a grid; ``diagonal`` draws the y = x reference (perfect calibration, random gain).
    ``y_steps``: the grid's steps from ``y_min`` to ``y_max`` (5 from 0.5 to 1 reads 0.6, 0.7…)."""
    left, right, top, bottom = 56, 26, 12, 46  # room for "100%" under the last tick
    plot_w, plot_h = width - left - right, height - top - bottom
    xs = [x for s in series for x, _ in s.points]
    x_hi = x_max if x_max is not None else max(xs, default=1.0)
    x_lo = x_min
    if x_hi <= x_lo:
        x_hi = x_lo + 1

    def px(x: float) -> float:
        return left + plot_w * (x - x_lo) / (x_hi - x_lo)

    def py(y: float) -> float:
        y = min(y_max, max(y_min, y))  # a value off the scale sits on its edge
        return top + plot_h * (1 - (y - y_min) / (y_max - y_min))

    parts: list[SafeString] = []
    for i in range(y_steps + 1):
        value = y_min + (y_max - y_min) * i / y_steps
        parts.append(
            format_html(
                '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="{}"/>'
                '<text x="{}" y="{}" text-anchor="end" fill="{}" font-size="13">{}</text>',
                left,
                left + plot_w,
                _num(py(value)),
                _num(py(value)),
                GRID,
                left - 6,
                _num(py(value) + 4),
                MUTED,
                y_format(value),
            )
        )
    for i in range(5):
        x_value = x_lo + (x_hi - x_lo) * i / 4
        parts.append(
            format_html(
                '<text x="{}" y="{}" text-anchor="middle" fill="{}" font-size="13">{}</text>',
                _num(px(x_value)),
                top + plot_h + 18,
                MUTED,
                x_format(x_value),
            )
        )
    if diagonal:
        parts.append(
            format_html(
                '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-dasharray="4 4"/>',
                _num(px(x_lo)),
                _num(py(0)),
                _num(px(x_hi)),
                _num(py(min(y_max, x_hi))),
                MUTED,
            )
        )
    for s in series:
        if not s.points:
            continue
        dots = len(s.points) <= 40
        path = " ".join(f"{_num(px(x))},{_num(py(y))}" for x, y in s.points)
        parts.append(
            format_html(
                '<polyline points="{}" fill="none" stroke="{}" stroke-width="2.5" {}/>',
                path,
                s.color,
                mark_safe('stroke-dasharray="6 4"') if s.dashed else "",
            )
        )
        if dots:
            parts.append(
                format_html_join(
                    "",
                    '<circle cx="{}" cy="{}" r="3.5" fill="{}"><title>{}: {}, {}</title></circle>',
                    ((_num(px(x)), _num(py(y)), s.color, s.name, x_format(x), y_format(y)) for x, y in s.points),
                )
            )
    parts.append(
        format_html(
            '<text x="{}" y="{}" text-anchor="middle" fill="{}" font-size="14">{}</text>'
            '<text transform="translate(12 {}) rotate(-90)" text-anchor="middle" fill="{}" font-size="14">{}</text>',
            left + plot_w / 2,
            height - 6,
            MUTED,
            x_label,
            top + plot_h / 2,
            MUTED,
            y_label,
        )
    )
    return _svg(width, height, title, mark_safe("".join(parts)))


def column_chart(
    columns: Sequence[str], stacks: Sequence[tuple[str, str, Sequence[float]]], *, title: str, width: int = 720
) -> SafeString:
    """Stacked columns: ``columns`` are the x labels, each stack is (name, color, one value per column)."""
    left, bottom, top, height = 36, 34, 10, 220
    plot_h = height - top - bottom
    totals = [sum(values[i] for _, _, values in stacks) for i in range(len(columns))]
    peak = max(4, math.ceil(max(totals, default=0) / 4) * 4)  # whole-number ticks
    slot = (width - left - 8) / max(len(columns), 1)
    bar_w = max(4.0, slot * 0.68)
    parts: list[SafeString] = []
    for i in range(5):
        value = peak * i / 4
        y = top + plot_h * (1 - i / 4)
        parts.append(
            format_html(
                '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="{}"/>'
                '<text x="{}" y="{}" text-anchor="end" fill="{}" font-size="11">{}</text>',
                left,
                width - 8,
                _num(y),
                _num(y),
                GRID,
                left - 5,
                _num(y + 4),
                MUTED,
                f"{value:,.0f}",
            )
        )
    for i, column in enumerate(columns):
        x = left + slot * i + (slot - bar_w) / 2
        base: float = top + plot_h
        for name, color, values in stacks:
            h = plot_h * values[i] / peak
            if h <= 0:
                continue
            base -= h
            parts.append(
                format_html(
                    '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{} · {}: {}</title></rect>',
                    _num(x),
                    _num(base),
                    _num(bar_w),
                    _num(h),
                    color,
                    column,
                    name,
                    f"{values[i]:,.0f}",
                )
            )
        if len(columns) <= 16 or i % 2 == 0:
            parts.append(
                format_html(
                    '<text x="{}" y="{}" text-anchor="middle" fill="{}" font-size="11">{}</text>',
                    _num(x + bar_w / 2),
                    top + plot_h + 16,
                    MUTED,
                    column,
                )
            )
    return _svg(width, height, title, mark_safe("".join(parts)))


def legend(items: Sequence[tuple[str, str]]) -> SafeString:
    return format_html(
        '<ul class="legend">{}</ul>',
        format_html_join(
            "",
            '<li><svg class="swatch" viewBox="0 0 12 12" aria-hidden="true">'
            '<rect width="12" height="12" rx="3" fill="{}"></rect></svg>{}</li>',
            ((c, n) for n, c in items),
        ),
    )
