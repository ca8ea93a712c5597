"""The backtest's datasets fall into sets that never share a dataset (docs/backtest.md)."""

from __future__ import annotations

from itertools import combinations

from bench.datasets import CHECK_TABLES, CHECK_WORLDS, KINDS, SETS


def test_no_dataset_is_in_two_sets() -> None:
    for (first, a), (second, b) in combinations(SETS.items(), 2):
        assert not a & b, f"{first} and {second} share {sorted(a & b)}"


def test_every_listed_dataset_is_in_a_set() -> None:
    listed = {item.name for kind in KINDS for item in kind} | {item.name for item in (*CHECK_WORLDS, *CHECK_TABLES)}
    assert listed == set().union(*SETS.values())


def test_the_split_alternates_within_each_kind() -> None:
    for kind in KINDS:
        for position, item in enumerate(kind):
            assert item.name in SETS["tuning" if position % 2 == 0 else "report"]
