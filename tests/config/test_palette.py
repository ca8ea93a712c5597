"""Chart colours: distinct under colour-vision deficiencies, and at least 3:1 against white."""

from __future__ import annotations

import itertools
import math

import pytest

from config.charts import MUTED, NEUTRAL, SERIES

# Machado, Oliveira & Fernandes (2009), severity 1.0, on linear RGB.
DEFICIENCIES = {
    "deuteranopia": [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.011820, 0.042940, 0.968881]],
    "protanopia": [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216], [-0.003882, -0.048116, 1.051998]],
    "tritanopia": [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602], [0.004733, 0.691367, 0.303900]],
}


def linear(hex_color: str) -> list[float]:
    channels = [int(hex_color[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    return [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]


def contrast_with_white(hex_color: str) -> float:
    r, g, b = linear(hex_color)
    return 1.05 / (0.2126 * r + 0.7152 * g + 0.0722 * b + 0.05)


def lab(rgb: list[float]) -> tuple[float, float, float]:
    r, g, b = (min(1.0, max(0.0, c)) for c in rgb)
    x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883

    def f(t: float) -> float:
        return t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116

    return 116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))


def seen_with(matrix: list[list[float]], hex_color: str) -> list[float]:
    rgb = linear(hex_color)
    return [sum(row[j] * rgb[j] for j in range(3)) for row in matrix]


@pytest.mark.parametrize("color", [*SERIES, NEUTRAL, MUTED])
def test_every_chart_colour_has_three_to_one_contrast_on_white(color: str) -> None:
    assert contrast_with_white(color) >= 3.0


@pytest.mark.parametrize("deficiency", sorted(DEFICIENCIES))
def test_the_reason_colours_stay_apart_for_colour_blind_readers(deficiency: str) -> None:
    """The six colours a chart of one outcome's reasons uses, and the grey of "no reason given"."""
    matrix = DEFICIENCIES[deficiency]
    colors = [*SERIES[:6], NEUTRAL]
    closest = min(
        math.dist(lab(seen_with(matrix, a)), lab(seen_with(matrix, b))) for a, b in itertools.combinations(colors, 2)
    )

    assert closest >= 10  # CIELAB distance: clearly different at a glance
