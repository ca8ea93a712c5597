"""The why's benchmark: what a simulated rep's reasons buy on the backtest set.

    python -m bench.reasons [--set report|tuning|check] [--seeds 20] [--first-seed 0] [--rounds 15] [--jobs N]
                            [--only NAME[,NAME]] [--quick] [--ordinal off|chosen|clear] [--train-weights ALPHA]
    python -m bench.reasons --compare BEFORE.json AFTER.json

Replays, seed by seed and on the same splits, first samples and random keys as
``simulate --simulated-reasons ACC`` (``run_backtest``): random sampling and the default strategy
without reasons, the default strategy and random sampling with an informed rep (ACC 0.8,
``"<strategy>+reasons"`` and ``"random+reasons"``), and the default strategy with a rep who names
columns at random (ACC 0). The curves without reasons do not depend on the rep, so they are
replayed once. ``--quick`` leaves out ``random+reasons``. Prints, per dataset: random sampling's
AUC at 300 labels, the labels each mean curve needed to reach it, and seed-paired differences
(± standard error over the seeds) of the mean AUC over the curve and of the AUC at 120 labels
against random's at 300. Results, with every seed's curves, are saved after every seed to
bench/out/reasons-<set>.json. ``--compare`` reads two such files (a method before and after a
change, run on the same seeds) and prints, per dataset, the labels to reach the target and the
seed-paired differences of the two, with and without an informed rep: how a change to the why's
method is judged on the tuning set (docs/backtest-reasons.md).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from bench.backtest import OUT, add_train_weights, check_train_weights, load_named, setup_django, table
from bench.datasets import SETS
from learning.core.importance import TRAIN_WEIGHTS

SEEDS = 20
TARGET_LABELS = 300  # "reach random sampling's AUC at 300 labels"
WITHIN = 120  # ... within this many labels
INFORMED = 0.8


def curve_names(strategy: str, *, quick: bool) -> list[tuple[str, str, float | None]]:
    """(curve name, strategy replayed, the simulated rep's accuracy or None for no reasons)."""
    names = [
        ("random", "random", None),
        (strategy, strategy, None),
        (f"{strategy}+reasons", strategy, INFORMED),
        (f"{strategy}+reasons@0", strategy, 0.0),
    ]
    return names if quick else [*names, ("random+reasons", "random", INFORMED)]


def replay_seed(
    frame: object,
    y: np.ndarray,
    *,
    seed: int,
    rounds: int,
    quick: bool,
    ordinal: str = "off",
    train_weights: float = TRAIN_WEIGHTS,
) -> dict[str, list[list[float]]]:
    """One seed's curves (labels, AUC per point), as run_backtest replays them (``ordinal``: the
    scorer's number-bin penalty, ``LeadScorer(ordinal=...)``; ``train_weights``: the labels'
    importance weights in training, flattened by this power, ``replay``)."""
    from learning.core.backtest import Split, _fit_params, _initial_sample, replay
    from learning.core.model import LeadScorer
    from learning.core.rationales import simulated_whys
    from learning.core.strategies import DEFAULT_EXPLORATION, DEFAULT_STRATEGY

    prepared, data = frame  # type: ignore[misc]
    scorer = partial(LeadScorer, ordinal=ordinal)
    split = Split.draw(data, y, seed=seed, test_size=0.3)
    full = scorer().fit(split.pool_frame, split.pool_y, prepared=prepared)
    contributions = full.score_with_contributions(split.pool_frame)[1]
    start = _initial_sample(split.pool_y, size=20, batch=20, rng=np.random.default_rng(seed))
    keys = np.random.default_rng([seed, 2]).random(len(split.pool_y))
    curves = {}
    for name, strategy, accuracy in curve_names(DEFAULT_STRATEGY, quick=quick):
        whys = None
        if accuracy is not None:
            rng = np.random.default_rng([seed, 3])
            whys = simulated_whys(contributions, split.pool_y, full.feature_names_, accuracy=accuracy, rng=rng)
        curve = replay(
            split,
            start,
            strategy=strategy,
            exploration=DEFAULT_EXPLORATION,
            rng=np.random.default_rng([seed, 1]),
            keys=keys,
            rounds=rounds,
            batch=20,
            threshold=0.5,
            make_scorer=scorer,
            fit_params=_fit_params({"prepared": prepared}, whys),
            train_weights=train_weights,
        )
        curves[name] = [[float(point[0]), float(point[1])] for point in curve]
    return curves


def paired(gaps: np.ndarray) -> list[float]:
    """Seed-paired differences: their mean and its standard error over the seeds."""
    from learning.core.paired import mean_and_se

    return list(mean_and_se(gaps))


def plus_minus(pair: Any) -> str:
    return "{:+.4f} ± {:.4f}".format(*pair)


def summary(name: str, seeds: list[dict[str, list[list[float]]]], strategy: str) -> dict[str, object]:
    """Mean curves, labels to reach random's AUC at 300 on them, and seed-paired differences."""
    from learning.core.backtest import at_common_labels

    # every curve of every seed at the same label counts
    keys = list(seeds[0])
    aligned = iter(at_common_labels([run[key] for run in seeds for key in keys]))
    seeds = [{key: next(aligned) for key in keys} for _ in seeds]
    mean = {key: np.mean([run[key] for run in seeds], axis=0) for key in keys}
    labels = mean["random"][:, 0]
    at = int(np.argmin(np.abs(labels - TARGET_LABELS)))
    within = int(np.argmin(np.abs(labels - WITHIN)))
    target = float(mean["random"][at, 1])

    def auc(key: str) -> np.ndarray:
        return np.array([[point[1] for point in run[key]] for run in seeds])

    random = auc("random")
    row: dict[str, object] = {
        "dataset": name,
        "seeds": len(seeds),
        "target_auc": target,
        "reach": {
            key: next((int(point[0]) for point in curve if point[1] >= target), None) for key, curve in mean.items()
        },
        "mean_auc": {key: float(curve[:, 1].mean()) for key, curve in mean.items()},
        "informed_gain": paired(auc(f"{strategy}+reasons").mean(axis=1) - auc(strategy).mean(axis=1)),
        "random_rep_gain": paired(auc(f"{strategy}+reasons@0").mean(axis=1) - auc(strategy).mean(axis=1)),
        "at_120_vs_random_at_300": paired(auc(f"{strategy}+reasons")[:, within] - random[:, at]),
        "curves": {key: curve.tolist() for key, curve in mean.items()},
    }
    if "random+reasons" in mean:
        row["random_informed_gain"] = paired(auc("random+reasons").mean(axis=1) - random.mean(axis=1))
    return row


def compare(before: dict[str, Any], after: dict[str, Any]) -> str:
    """Per dataset of both runs: the labels the default with reasons needed to reach random's 300-label
    AUC, before → after, and the random-rep cost of each (each run on all its seeds); and the
    seed-paired difference after - before of the mean AUC over the curve with a random rep and with
    an informed one, on the seeds both ran (a dataset with none in common is left out)."""
    strategy = str(after["strategy"])
    lines = [
        [
            "dataset",
            "seeds",
            "labels to reach it: before → after",
            "random-rep cost: before → after",
            "after − before, random rep",
            "after − before, informed rep",
        ]
    ]
    for which, document in (("BEFORE", before), ("AFTER", after)):
        if "seed_curves" not in document:
            raise SystemExit(f"{which} keeps no seed's curves (written before 2026-12-04?): run it again to compare")
    rows_before = {row["dataset"]: row for row in before["rows"]}
    for row in after["rows"]:
        name = row["dataset"]
        if name not in rows_before or name not in before["seed_curves"]:
            continue
        runs_before, runs_after = before["seed_curves"][name], after["seed_curves"][name]
        seeds = sorted(set(runs_before) & set(runs_after), key=int)
        if not seeds:
            continue
        reach = [r["reach"][f"{strategy}+reasons"] for r in (rows_before[name], row)]
        lines.append(
            [
                str(name),
                str(len(seeds)),
                " → ".join(str(value) if value is not None else "not reached" for value in reach),
                " → ".join(plus_minus(r["random_rep_gain"]) for r in (rows_before[name], row)),
                _paired(runs_before, runs_after, seeds, f"{strategy}+reasons@0"),
                _paired(runs_before, runs_after, seeds, f"{strategy}+reasons"),
            ]
        )
    return table(lines)


def _paired(before: dict[str, Any], after: dict[str, Any], seeds: list[str], curve: str) -> str:
    """Seed-paired difference after - before of one curve's mean AUC, ± its standard error."""
    return plus_minus(paired(np.array([_mean_auc(after[s][curve]) - _mean_auc(before[s][curve]) for s in seeds])))


def _mean_auc(curve: list[list[float]]) -> float:
    return float(np.mean([point[1] for point in curve]))


def report(rows: list[dict[str, object]], strategy: str) -> str:
    lines = [
        [
            "dataset",
            "seeds",
            "random's AUC at 300",
            f"labels to reach it: random / {strategy} / {strategy}+reasons",
            f"{strategy}+reasons at 120 − random at 300",
            f"{strategy}+reasons − {strategy}, ACC 0.8",
            "same, ACC 0",
            "random+reasons − random, ACC 0.8",
        ]
    ]
    for row in rows:
        reach = row["reach"]
        shown = [reach[key] for key in ("random", strategy, f"{strategy}+reasons")]  # type: ignore[index]
        informed = row.get("random_informed_gain")
        lines.append(
            [
                str(row["dataset"]),
                str(row["seeds"]),
                f"{row['target_auc']:.3f}",
                " / ".join(str(value) if value is not None else "not reached" for value in shown),
                plus_minus(row["at_120_vs_random_at_300"]),
                plus_minus(row["informed_gain"]),
                plus_minus(row["random_rep_gain"]),
                plus_minus(informed) if informed else "—",
            ]
        )
    return table(lines)


_FRAMES: dict[str, tuple[object, np.ndarray]] = {}  # per process: the datasets loaded so far


def _frame(which: str, name: str) -> tuple[object, np.ndarray]:
    if name not in _FRAMES:
        from learning.core.features import PreparedFrame

        frame, y = load_named(which, name)
        frame = frame.reset_index(drop=True)
        _FRAMES[name] = ((PreparedFrame(frame), frame), y)
    return _FRAMES[name]


def replay_task(
    which: str, name: str, seed: int, rounds: int, quick: bool, ordinal: str, train_weights: float = TRAIN_WEIGHTS
) -> dict[str, list[list[float]]]:
    frame, y = _frame(which, name)
    return replay_seed(frame, y, seed=seed, rounds=rounds, quick=quick, ordinal=ordinal, train_weights=train_weights)


def main() -> None:
    from learning.core.model import ORDINAL

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--set", dest="which", choices=tuple(SETS), default="report")
    parser.add_argument("--seeds", type=int, default=SEEDS)
    parser.add_argument("--first-seed", type=int, default=0, help="replay seeds first-seed .. first-seed + seeds - 1")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument(
        "--jobs", type=int, default=os.cpu_count() or 1, help="processes replaying (dataset, seed) pairs"
    )
    parser.add_argument("--only", help="the datasets whose name contains this (or any of these, comma-separated)")
    parser.add_argument("--quick", action="store_true", help="leave out random+reasons")
    parser.add_argument(
        "--ordinal", choices=ORDINAL, default="off", help="the scorer's number-bin penalty (docs/backtest.md)"
    )
    add_train_weights(parser)
    parser.add_argument("--json", help="where to write the results (default bench/out/reasons-<set>.json)")
    parser.add_argument("--compare", nargs=2, metavar=("BEFORE", "AFTER"), help="compare two results files")
    args = parser.parse_args()
    check_train_weights(parser, args.train_weights)
    if args.compare:
        before, after = (json.loads(Path(path).read_text()) for path in args.compare)
        print(compare(before, after))
        return
    setup_django()
    from bench.datasets import build
    from learning.core.strategies import DEFAULT_STRATEGY

    started = time.perf_counter()
    names = [
        dataset.name
        for dataset in build(OUT / "data", only=SETS[args.which])
        if not args.only or any(part.strip().lower() in dataset.name.lower() for part in args.only.split(","))
    ]
    out = Path(args.json) if args.json else OUT / f"reasons-{args.which}.json"
    print(f"reasons, {args.which} set: {DEFAULT_STRATEGY} and random, with and without a simulated rep's reasons")
    document: dict[str, object] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "set": args.which,
        "strategy": DEFAULT_STRATEGY,
        "rounds": args.rounds,
        "first_seed": args.first_seed,
        "ordinal": args.ordinal,
        "train_weights": args.train_weights,
    }
    runs: dict[str, dict[int, dict[str, list[list[float]]]]] = {name: {} for name in names}
    rows: dict[str, dict[str, object]] = {}  # per dataset, in the order of ``names`` once all have a seed
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    tasks = [(name, seed) for seed in seeds for name in names]  # seeds outermost
    with ProcessPoolExecutor(max_workers=max(1, args.jobs), initializer=setup_django) as pool:
        futures = {
            pool.submit(
                replay_task, args.which, name, seed, args.rounds, args.quick, args.ordinal, args.train_weights
            ): (name, seed)
            for name, seed in tasks
        }
        for done, future in enumerate(as_completed(futures), start=1):
            name, seed = futures[future]
            runs[name][seed] = future.result()
            rows[name] = summary(name, [runs[name][k] for k in sorted(runs[name])], DEFAULT_STRATEGY)
            document.update(
                rows=[rows[n] for n in names if n in rows],
                seeds=min(len(s) for s in runs.values()),
                seconds=time.perf_counter() - started,
                seed_curves=runs,
            )
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(json.dumps(document, indent=2, default=float))
            print(f"  {name} seed {seed}: {done}/{len(tasks)} in {time.perf_counter() - started:.0f} s", flush=True)
    print()
    print(report([rows[n] for n in names if n in rows], DEFAULT_STRATEGY))
    print(f"\n{document['date']}, {document['machine']}: {document['seconds']:.0f} s; written to {out}")


if __name__ == "__main__":
    main()
