"""`python -m bench.reasons --compare`: how a change to the why's method is judged, seed by seed."""

from __future__ import annotations

from typing import Any

import pytest

from bench.reasons import compare, summary


def run(seeds: dict[int, float], *, informed: float, chance: float) -> dict[str, Any]:
    """A results file of one dataset: per seed, flat curves at these AUCs (random at ``seeds[seed]``)."""
    curves = {}
    for seed, base in seeds.items():
        points = lambda auc: [[float(labels), auc] for labels in range(20, 340, 20)]  # noqa: E731
        curves[seed] = {
            "random": points(base),
            "adaptive": points(base),
            "adaptive+reasons": points(base + informed + seed / 1000),
            "adaptive+reasons@0": points(base + chance),
        }
    row = summary("world", [curves[seed] for seed in sorted(curves)], "adaptive")
    return {"strategy": "adaptive", "rows": [row], "seed_curves": {"world": {str(k): v for k, v in curves.items()}}}


def test_compare_pairs_the_seeds_both_runs_have_and_reads_the_reach_off_each() -> None:
    before = run({0: 0.70, 1: 0.72, 2: 0.74}, informed=-0.01, chance=0.0)
    after = run({0: 0.70, 1: 0.72, 3: 0.76}, informed=0.05, chance=-0.002)
    text = compare(before, after)
    row = next(line for line in text.splitlines() if line.startswith("| world"))
    cells = [cell.strip() for cell in row.strip("|").split("|")]
    assert cells[1] == "2"  # seeds 0 and 1: the only ones both ran
    assert cells[2] == "not reached → 20"  # flat curves: below random's 300-label AUC throughout, above it at once
    assert cells[3] == "+0.0000 ± 0.0000 → -0.0020 ± 0.0000"  # the random rep's cost in each run
    assert cells[4] == "-0.0020 ± 0.0000"  # the random rep's paired difference
    assert cells[5] == "+0.0600 ± 0.0000"  # from 0.01 below random to 0.05 above (seeds 0 and 1 shift both alike)


def test_a_dataset_missing_from_the_earlier_run_is_left_out() -> None:
    before = run({0: 0.70, 1: 0.71}, informed=0.0, chance=0.0)
    before["rows"][0]["dataset"] = "elsewhere"
    assert "world" not in compare(before, run({0: 0.70, 1: 0.71}, informed=0.01, chance=0.0))


def test_a_run_without_its_seeds_curves_cannot_be_compared() -> None:
    before = run({0: 0.70, 1: 0.71}, informed=0.0, chance=0.0)
    del before["seed_curves"]
    with pytest.raises(SystemExit, match="BEFORE keeps no seed's curves"):
        compare(before, run({0: 0.70, 1: 0.71}, informed=0.01, chance=0.0))


def test_a_seed_whose_first_sample_was_topped_up_is_averaged_at_the_same_label_counts() -> None:
    # seed 1's first 20 labels had one outcome only, so it starts (and ends) a batch later
    early = {name: [[float(n), n / 1000] for n in range(20, 340, 20)] for name in ("random", "adaptive")}
    late = {name: [[float(n), n / 1000 + 0.1] for n in range(40, 360, 20)] for name in ("random", "adaptive")}
    for run in (early, late):
        run["adaptive+reasons"] = run["adaptive+reasons@0"] = run["adaptive"]
    row = summary("world", [early, late], "adaptive")
    labels = [point[0] for point in row["curves"]["random"]]
    assert labels == list(range(40, 340, 20))  # the counts both seeds reached, not 30, 50, ... 330
    assert row["curves"]["random"][4] == [120.0, pytest.approx(0.12 + 0.05)]  # both seeds' AUC at 120 labels
    assert row["target_auc"] == pytest.approx(0.3 + 0.05)  # random's at exactly 300
