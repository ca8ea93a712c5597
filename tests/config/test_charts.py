"""The SVG charts: a row of too few labels is drawn pale, and axis words are not clipped."""

from __future__ import annotations

import re

from config.charts import Bar, Segment, Series, StackRow, bar_chart, line_chart, stacked_rows


def test_a_faint_row_draws_its_segments_pale_and_a_full_row_solid() -> None:
    rows = [
        StackRow(
            label="week of 2 Nov",
            note="1 · few labels (2 lost or won)",
            segments=[Segment("Went silent", 1.0, "#0072B2")],
            faint=True,
        ),
        StackRow(label="week of 9 Nov", note="43 · 31%", segments=[Segment("Went silent", 1.0, "#0072B2")]),
    ]
    opacities = re.findall(r'fill-opacity="([^"]+)"', str(stacked_rows(rows, title="Lost deals by reason")))
    assert opacities == [".3", "1"]


def test_the_last_x_tick_fits_inside_the_drawing() -> None:
    chart = str(line_chart([Series("model", [(0.0, 0.0), (1.0, 1.0)])], title="Gain", x_label="leads", y_label="found"))
    width = int(re.search(r'viewBox="0 0 (\d+) ', chart).group(1))
    last_tick = max(float(x) for x in re.findall(r'<text x="([\d.]+)" y="[\d.]+" text-anchor="middle"', chart))
    assert last_tick + 0.5 * 13 * len("100%") * 0.6 <= width  # half of "100%" at 13 px, about 0.6 em a character


def test_the_lift_chart_draws_its_1x_line_where_a_bar_of_1_ends() -> None:
    bars = [Bar("group 1", 2.0, "2.00×", "#11A579"), Bar("group 2", 1.0, "1.00×", "#11A579")]
    chart = str(bar_chart(bars, title="Lift", width=460, max_value=2.0, reference=(1.0, "1× = random")))

    line_x = float(re.search(r'<line class="reference" x1="([\d.]+)"', chart).group(1))
    one_ends = 230 + float(re.findall(r'<rect x="230" y="[\d.]+" width="([\d.]+)"', chart)[1])
    assert line_x == one_ends and "1× = random" in chart
