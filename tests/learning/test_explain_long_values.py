"""An explanation line is one short line whatever the attribute value (issue 16, finding 1: a
10 kB value or one with newlines must not become a 10 kB, multi-line reason)."""

from __future__ import annotations

from learning.core.explain import describe
from learning.core.model import Factor


def test_a_long_multi_line_value_becomes_one_short_line() -> None:
    line = describe(Factor("city", "APAC\nSouth\t" + "x" * 10_000, 0.4))

    assert line.startswith("▲ city: APAC South x")
    assert len(line) <= 100 and "\n" not in line and line.endswith("…")


def test_a_short_value_is_shown_whole() -> None:
    assert describe(Factor("city", "Berlin, Germany", -0.3)) == "▼ city: Berlin, Germany"
