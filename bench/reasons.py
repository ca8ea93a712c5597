"""The why's benchmark: what a simulated rep's reasons buy on the backtest set.

    python -m bench.reasons [--seeds 20] [--rounds 15] [--only NAME] [--accuracies 0.8,0]

For each dataset and each accuracy of the simulated rep (``simulate --simulated-reasons ACC``),
replays the default strategy and random sampling with and without the reasons, on the same
seeds, splits and first samples, and prints: random sampling's AUC at 300 labels, the labels each
curve needed to reach it, and the seed-paired differences of the mean AUC over the curve (with
reasons minus without, ± standard error over the seeds). The curves are written to
bench/out/reasons.json. No database is used.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from bench.backtest import OUT, load, setup_django, table

SEEDS = 20
TARGET_LABELS = 300  # "reach random sampling's AUC at 300 labels"
WITHIN = 120  # ... within this many labels


def labels_to_reach(curve: list[dict[str, float]], target: float) -> int | None:
    """The first curve point at or above ``target``; None if the curve never gets there."""
    return next((int(point["labels"]) for point in curve if point["auc"] >= target), None)


def target_auc(random: list[dict[str, float]]) -> float:
    """Random sampling's AUC at the curve point nearest 300 labels (a topped-up first sample shifts them)."""
    return min(random, key=lambda point: abs(point["labels"] - TARGET_LABELS))["auc"]


Rows = list[dict[str, object]]


def run(*, seeds: int, rounds: int, only: str | None, accuracies: list[float], save: Callable[[Rows], None]) -> Rows:
    from bench.datasets import build
    from learning.core.backtest import WITH_REASONS, run_backtest
    from learning.core.strategies import DEFAULT_EXPLORATION, DEFAULT_STRATEGY

    rows = []
    for dataset in build(OUT / "data"):
        if only and not any(part.strip().lower() in dataset.name.lower() for part in only.split(",")):
            continue
        frame, y = load(dataset)
        for accuracy in accuracies:
            result = run_backtest(
                frame,
                y,
                strategies=[DEFAULT_STRATEGY],
                seeds=seeds,
                rounds=rounds,
                exploration=DEFAULT_EXPLORATION,
                simulated_reasons=accuracy,
            )
            curves = result.as_json()["curves"]
            target = target_auc(curves["random"])
            row: dict[str, object] = {
                "dataset": dataset.name,
                "accuracy": accuracy,
                "target_auc": target,
                "reach": {name: labels_to_reach(curve, target) for name, curve in curves.items()},
                "mean_auc": {name: result.mean_auc(name) for name in curves},
                "gain": {name: result.gap(f"{name}{WITH_REASONS}", name) for name in (DEFAULT_STRATEGY, "random")},
                "seconds": result.seconds,
                "result": result.as_json(),
            }
            rows.append(row)
            save(rows)  # a long run keeps what it has measured
            gain, error = row["gain"][DEFAULT_STRATEGY]  # type: ignore[index]
            print(
                f"  {dataset.name} ACC {accuracy}: target {target:.3f}, reach {row['reach']}, "
                f"{DEFAULT_STRATEGY}+reasons {gain:+.4f} ± {error:.4f} in {result.seconds:.0f} s",
                flush=True,
            )
    return rows


def report(rows: list[dict[str, object]], strategy: str) -> str:
    names = [strategy, "random", f"{strategy}+reasons", "random+reasons"]
    lines = [
        [
            "dataset",
            "ACC",
            "random's AUC at 300",
            *[f"labels to reach it: {name}" for name in names],
            f"{strategy}+reasons − {strategy} (mean AUC, ± s.e.)",
            "random+reasons − random",
        ]
    ]
    for row in rows:
        reach, gain = row["reach"], row["gain"]
        lines.append(
            [
                str(row["dataset"]),
                f"{row['accuracy']:g}",
                f"{row['target_auc']:.3f}",
                *[str(reach[name]) if reach[name] is not None else "not reached" for name in names],  # type: ignore[index]
                "{:+.4f} ± {:.4f}".format(*gain[strategy]),  # type: ignore[index]
                "{:+.4f} ± {:.4f}".format(*gain["random"]),  # type: ignore[index]
            ]
        )
    return table(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=SEEDS)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--only", help="run the datasets whose name contains this (or any of these, comma-separated)")
    parser.add_argument("--accuracies", default="0.8,0", help="the simulated rep's accuracies, comma-separated")
    parser.add_argument("--json", default=str(OUT / "reasons.json"))
    args = parser.parse_args()
    setup_django()
    from learning.core.strategies import DEFAULT_STRATEGY

    started = time.perf_counter()
    accuracies = [float(value) for value in args.accuracies.split(",")]
    print(f"reasons: {DEFAULT_STRATEGY} and random, with and without a simulated rep's reasons ({args.seeds} seeds)")
    document: dict[str, object] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "strategy": DEFAULT_STRATEGY,
        "seeds": args.seeds,
        "rounds": args.rounds,
    }

    def save(rows: list[dict[str, object]]) -> None:
        document.update(rows=rows, seconds=time.perf_counter() - started)
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(document, indent=2, default=float))

    rows = run(seeds=args.seeds, rounds=args.rounds, only=args.only, accuracies=accuracies, save=save)
    save(rows)
    print()
    print(report(rows, DEFAULT_STRATEGY))
    print(f"\n{document['date']}, {document['machine']}: {document['seconds']:.0f} s; written to {args.json}")


if __name__ == "__main__":
    main()
