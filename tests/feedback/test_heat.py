"""The reason matrix's shading: what the labels show at least, so a share of a few deals stays pale."""

from __future__ import annotations

from config.rates import Rate, weighted_rate
from feedback.templatetags.dashboards import cell_share, heat


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
