"""The reason matrix's shading, and the figures beside it: a share of a few deals stays pale and unprinted."""

from __future__ import annotations

from config.rates import Rate, weighted_rate
from feedback.dashboards.mix import ReasonTotal
from feedback.presenters import reason_bars, share_words, skip_words
from feedback.templatetags.dashboards import cell_share, heat, share_of


def share(hits: int, n: int) -> Rate:
    return weighted_rate([True] * hits + [False] * (n - hits), [1.0] * n)


def test_one_deal_of_two_is_paler_than_half_of_forty() -> None:
    assert heat(share(1, 2)) == "heat-1 thin"  # 50%, interval 9-91%: a hint
    assert heat(share(20, 40)) == "heat-3"  # 50%, interval 35-65%
    assert heat(share(20, 30)) == "heat-5"  # 67%, at least 49%


def test_a_cell_without_a_deal_is_blank() -> None:
    assert heat(share(0, 40)) == "heat-0"


def test_a_share_of_a_few_deals_is_pale_and_shows_no_percentage() -> None:
    assert heat(share(1, 1)) == "heat-1 thin"  # one lost deal of one: not a dark 100%
    assert heat(share(3, 8)) == heat(share(1, 1))  # few deals: the same pale shade whatever the share
    assert cell_share(share(1, 1)) == ""
    assert cell_share(share(15, 40)) == "<small>38%</small>"


def test_the_charts_and_tables_beside_the_matrix_show_no_share_of_a_few_deals() -> None:
    """Bar labels, tooltips and the mix tables: '2 of 4: few', never '2 · 50%' (a lost week's 100%)."""
    bars = reason_bars(
        [
            ReasonTotal("not_converted", "bad_timing", "Bad timing", 2, share(2, 4), "q=1"),
            ReasonTotal("converted", "champion", "Champion", 12, share(12, 40), "q=2"),
        ],
        {},
    )
    assert "2 of 4: few" in bars and "50%" not in bars
    assert "12 · 30%" in bars
    assert share_words(share(1, 1)) == "few labels (1)"
    assert share_words(share(12, 40)) == "30% weighted share"
    assert str(share_of(share(1, 1), "lost")).endswith("few labels (1 lost)</span>")


def test_a_skip_rate_says_of_how_many() -> None:
    assert skip_words(0, 1) == "0% (0 of 1)"
    assert skip_words(3, 9) == "25% (3 of 12)"
    assert skip_words(0, 0) == "—"
