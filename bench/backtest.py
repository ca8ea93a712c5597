"""The learning benchmark: the backtest set, and training time against label count.

    python -m bench.backtest [--seeds 40] [--rounds 15] [--only NAME] [--training-only]

Builds the datasets offline (bench/datasets.py, cached under bench/out/data/), replays the
active-learning loop on each with the production feature, model and strategy code (the same
functions ``manage.py simulate`` calls), and prints the table the README shows; the curves are
written to bench/out/backtest.json. No database is used.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

OUT = Path(__file__).resolve().parent / "out"
TRAINING_LABELS = (100, 1_000, 5_000, 20_000)
CALIBRATION_LABELS = (40, 100, 200, 320)
SEEDS = 40  # ~5 minutes on 2 cores; the README's table is from a run with --seeds 100


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def load(dataset: object) -> tuple[pd.DataFrame, np.ndarray]:
    from bench.datasets import Dataset
    from leads.csvframes import activity_frame_from_csv, lead_frames_from_csv
    from learning.core.backtest import feature_frame

    assert isinstance(dataset, Dataset)
    with open(dataset.leads, "rb") as stream:
        leads = lead_frames_from_csv(stream=stream, outcome_column=dataset.outcome_column, positive=dataset.positive)
    events = pd.DataFrame({"lead_id": [], "type": [], "occurred_at": []})
    if dataset.activities:
        with open(dataset.activities, "rb") as stream:
            events, _ = activity_frame_from_csv(stream=stream, lead_ids=leads.profiles.index)
    y = (leads.outcomes == "converted").to_numpy(dtype=int)
    return feature_frame(leads.profiles, events), y


def table(rows: list[list[str]]) -> str:
    widths = [max(len(row[j]) for row in rows) for j in range(len(rows[0]))]
    lines = ["| " + " | ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) + " |" for row in rows]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def backtest_set(*, seeds: int, rounds: int, only: str | None) -> list[dict[str, object]]:
    from bench.datasets import build
    from learning.core.backtest import run_backtest
    from learning.core.strategies import DEFAULT_EXPLORATION, DEFAULT_STRATEGY

    results = []
    for dataset in build(OUT / "data"):
        if only and only.lower() not in dataset.name.lower():
            continue
        frame, y = load(dataset)
        result = run_backtest(
            frame, y, strategies=[DEFAULT_STRATEGY], seeds=seeds, rounds=rounds, exploration=DEFAULT_EXPLORATION
        )
        gap, error = result.gap(DEFAULT_STRATEGY)
        row = {
            "dataset": dataset.name,
            "rows": len(y),
            "positive_rate": float(y.mean()),
            "full_data_auc": result.full_data_auc,
            "default_mean_auc": result.mean_auc(DEFAULT_STRATEGY),
            "random_mean_auc": result.mean_auc("random"),
            "gap": gap,
            "gap_se": error,
            "default_labels_to_95": result.labels_to_reach(DEFAULT_STRATEGY),
            "random_labels_to_95": result.labels_to_reach("random"),
            "seconds": result.seconds,
            "calibration": {  # the curve points nearest each budget (a topped-up first sample shifts them)
                name: [vars(min(points, key=lambda point, n=n: abs(point.labels - n))) for n in CALIBRATION_LABELS]
                for name, points in result.calibration.items()
            },
            "result": result.as_json(),
        }
        results.append(row)
        print(
            f"  {dataset.name}: full {result.full_data_auc:.3f}, {DEFAULT_STRATEGY} {row['default_mean_auc']:.3f}, "
            f"random {row['random_mean_auc']:.3f} ({gap:+.4f} ± {error:.4f}) in {result.seconds:.0f} s",
            flush=True,
        )
    return results


def training_times(frame: pd.DataFrame, y: np.ndarray) -> list[dict[str, float]]:
    """train_model_version's model work at growing label counts: out-of-fold CV, then the final fit."""
    from learning.core.model import LeadScorer
    from learning.services.training import _out_of_fold

    rng = np.random.default_rng(0)
    figures = []
    for n in TRAINING_LABELS:
        rows = rng.choice(len(y), size=n, replace=n > len(y))
        sample, labels = frame.iloc[rows].reset_index(drop=True), y[rows]
        started = time.perf_counter()
        _out_of_fold(sample, labels)
        cv = time.perf_counter() - started
        started = time.perf_counter()
        LeadScorer().fit(sample, labels)
        fit = time.perf_counter() - started
        figures.append({"labels": n, "out_of_fold_s": cv, "final_fit_s": fit, "total_s": cv + fit})
        print(f"  {n} labels: out-of-fold {cv:.2f} s + final fit {fit:.2f} s", flush=True)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=SEEDS)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--only", help="run the datasets whose name contains this")
    parser.add_argument("--training-only", action="store_true")
    args = parser.parse_args()
    setup_django()
    from bench.datasets import build
    from learning.core.strategies import DEFAULT_EXPLORATION, DEFAULT_STRATEGY

    started = time.perf_counter()
    report: dict[str, object] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "strategy": DEFAULT_STRATEGY,
        "exploration": DEFAULT_EXPLORATION,
        "seeds": args.seeds,
        "rounds": args.rounds,
    }
    if not args.training_only:
        print(f"backtest set: {DEFAULT_STRATEGY} (exploration {DEFAULT_EXPLORATION}) against random sampling")
        rows = backtest_set(seeds=args.seeds, rounds=args.rounds, only=args.only)
        report["backtest"] = rows
        lines = [["dataset", "rows", "pos.", "full-data AUC", f"mean AUC {DEFAULT_STRATEGY}", "mean AUC random"]]
        lines[0] += ["difference ± s.e."]
        lines[0] += [f"labels to 95% ({DEFAULT_STRATEGY} / random)"]
        for row in rows:
            reach = [row["default_labels_to_95"], row["random_labels_to_95"]]
            lines.append(
                [
                    str(row["dataset"]),
                    str(row["rows"]),
                    f"{round(row['positive_rate'] * row['rows'])} ({row['positive_rate']:.1%})",
                    f"{row['full_data_auc']:.3f}",
                    f"{row['default_mean_auc']:.3f}",
                    f"{row['random_mean_auc']:.3f}",
                    f"{row['gap']:+.4f} ± {row['gap_se']:.4f}",
                    " / ".join(str(r) if r is not None else "not reached" for r in reach),
                ]
            )
        print()
        print(table(lines))
        print(f"\nheld-out calibration: Brier, mean probability / conversion rate ({DEFAULT_STRATEGY}); Brier (random)")
        honesty = [["dataset", *[f"~{n} labels" for n in CALIBRATION_LABELS]]]
        for row in rows:
            ours, theirs = row["calibration"][DEFAULT_STRATEGY], row["calibration"]["random"]
            honesty.append([str(row["dataset"])])
            for mine, other in zip(ours, theirs, strict=True):
                honesty[-1].append(
                    f"{mine['brier']:.3f}, {mine['predicted']:.3f}/{mine['actual']:.3f}; {other['brier']:.3f}"
                )
        print(table(honesty))
    print("\ntraining time (train_model_version's model work) against label count:")
    dataset = build(OUT / "data")[0]
    frame, y = load(dataset)
    report["training_times"] = training_times(frame, y)
    report["seconds"] = time.perf_counter() - started
    OUT.mkdir(parents=True, exist_ok=True)
    name = "backtest.json" if not args.only and not args.training_only else "backtest-partial.json"
    (OUT / name).write_text(json.dumps(report, indent=2, default=float))
    print(f"\n{report['date']}, {report['machine']}: {report['seconds']:.0f} s; written to {OUT / name}")


if __name__ == "__main__":
    main()
