"""The learning benchmark: the report set of the backtest, and training time against label count.

    python -m bench.backtest [--set report|tuning|check] [--seeds 20] [--rounds 15] [--jobs N] [--only NAME]
                             [--training-only | --no-training] [--ordinal off|chosen|clear]
                             [--train-weights ALPHA] [--json OUT.json]

Builds the datasets offline (bench/datasets.py, cached under bench/out/data/), replays the
active-learning loop on each with the production feature, model, strategy and mix code (the same
functions ``manage.py simulate`` calls), and prints the table docs/backtest.md shows: every
strategy of the registry against random sampling, seed-paired. Strategies are tuned on the tuning
set only; the report set is what is reported (docs/backtest.md says how the two were split). The
curves are written to bench/out/backtest-<set>.json. No database is used.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from learning.core.importance import TRAIN_WEIGHTS

OUT = Path(__file__).resolve().parent / "out"
TRAINING_LABELS = (100, 1_000, 5_000, 20_000)
CALIBRATION_LABELS = (40, 100, 200, 320)
SEEDS = 20  # the least the report's standard errors are quoted over
ROUNDS = 15  # 20 + 15 x 20 labels: 300 and one batch more, where random's AUC is the target to reach
MATCH_AT = 300  # "labels to reach random's AUC at this many labels"


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


def load_named(which: str, name: str) -> tuple[pd.DataFrame, np.ndarray]:
    """The dataset of set ``which`` called ``name``, loaded (built first if it is not cached)."""
    from bench.datasets import SETS, build

    return load(next(d for d in build(OUT / "data", log=False, only=SETS[which]) if d.name == name))


def table(rows: list[list[str]]) -> str:
    widths = [max(len(row[j]) for row in rows) for j in range(len(rows[0]))]
    lines = ["| " + " | ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) + " |" for row in rows]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def report_strategies() -> list[str]:
    """The default first, then every single strategy but random (the baseline every run has), skipping
    ``margin``: on two outcomes its draw is ``uncertainty``'s (tests/learning/test_strategies.py)."""
    from learning.core.strategies import DEFAULT_STRATEGY, STRATEGIES

    return [DEFAULT_STRATEGY, *[s for s in STRATEGIES if s not in (DEFAULT_STRATEGY, "random", "margin")]]


def backtest_set(
    *,
    which: str,
    seeds: int,
    rounds: int,
    only: str | None,
    jobs: int = 1,
    ordinal: str = "off",
    train_weights: float = TRAIN_WEIGHTS,
) -> list[dict[str, object]]:
    """Every dataset of the set (whose name contains ``only``), ``jobs`` datasets at a time."""
    from bench.datasets import SETS, build

    names = [d.name for d in build(OUT / "data", only=SETS[which]) if not only or only.lower() in d.name.lower()]
    chunks = max(1, jobs // max(len(names), 1))  # spare processes split a dataset's seeds
    bounds = np.linspace(0, seeds, chunks + 1).round().astype(int)
    work = [(name, int(a), int(b - a)) for name in names for a, b in itertools.pairwise(bounds)]
    if jobs <= 1:
        parts = [
            replay_part(*item, which=which, rounds=rounds, ordinal=ordinal, train_weights=train_weights)
            for item in work
        ]
    else:
        with ProcessPoolExecutor(max_workers=jobs, initializer=setup_django) as pool:
            parts = list(
                pool.map(
                    partial(replay_part, which=which, rounds=rounds, ordinal=ordinal, train_weights=train_weights),
                    *zip(*work, strict=True),
                )
            )
    return [summarise(name, [part for (n, _, _), part in zip(work, parts, strict=True) if n == name]) for name in names]


def replay_part(
    name: str,
    first_seed: int,
    seeds: int,
    *,
    which: str,
    rounds: int,
    ordinal: str = "off",
    train_weights: float = TRAIN_WEIGHTS,
) -> tuple[object, int, float]:
    """One dataset's backtest over seeds ``first_seed``..: the result, the rows and the positive share
    (``ordinal``: the scorer's number-bin penalty, ``LeadScorer(ordinal=...)``; ``train_weights``:
    the labels' importance weights in training, flattened by this power, ``run_backtest``)."""
    from learning.core.backtest import run_backtest
    from learning.core.strategies import DEFAULT_EXPLORATION

    frame, y = load_named(which, name)
    result = run_backtest(
        frame,
        y,
        strategies=report_strategies(),
        seeds=seeds,
        first_seed=first_seed,
        rounds=rounds,
        exploration=DEFAULT_EXPLORATION,
        scorer={"ordinal": ordinal},
        train_weights=train_weights,
    )
    print(f"  {name}: seeds {first_seed}-{first_seed + seeds - 1} done in {result.seconds:.0f} s", flush=True)
    parts = OUT / "parts"  # each seed range's curves, kept in case a later one fails
    parts.mkdir(parents=True, exist_ok=True)
    (parts / f"{which}-{name.replace(' ', '_')}-{first_seed}.json").write_text(
        json.dumps(result.as_json(), default=float)
    )
    return result, len(y), float(y.mean())


def merged(results: list[object]) -> object:
    """The results of one dataset's seed ranges as one: curves and calibration weighted by seeds."""
    from learning.core.backtest import BacktestResult, CalibrationPoint, CurvePoint, at_common_labels

    parts = [r for r in results if isinstance(r, BacktestResult)]
    if len(parts) == 1:
        return parts[0]
    weights = np.array([part.settings["seeds"] for part in parts], dtype=float)

    def mean_points(rows: list[list[object]], kind: type) -> list[object]:
        table = np.array(at_common_labels([[list(vars(point).values()) for point in row] for row in rows]), dtype=float)
        means = np.tensordot(weights / weights.sum(), table, axes=1)
        return [kind(round(m[0]), *m[1:]) for m in means]

    first = parts[0]
    return BacktestResult(
        strategy=first.strategy,
        full_data_auc=float(np.average([part.full_data_auc for part in parts], weights=weights)),
        curves={name: mean_points([p.curves[name] for p in parts], CurvePoint) for name in first.curves},
        rows=first.rows,
        positives=first.positives,
        seconds=sum(part.seconds for part in parts),
        settings={**first.settings, "seeds": int(weights.sum()), "first_seed": 0, "adaptive_final_shares": None},
        seed_mean_aucs={name: [a for p in parts for a in p.seed_mean_aucs[name]] for name in first.seed_mean_aucs},
        calibration={
            name: mean_points([p.calibration[name] for p in parts], CalibrationPoint) for name in first.calibration
        },
    )


def summarise(name: str, parts: list[tuple[object, int, float]]) -> dict[str, object]:
    """One dataset's row of the report, from its seed ranges."""
    strategies = report_strategies()
    result = merged([part[0] for part in parts])
    rows, positive_rate = parts[0][1], parts[0][2]
    shares = [part[0].settings.get("adaptive_final_shares") for part in parts]  # type: ignore[attr-defined]
    dataset = name
    row: dict[str, object] = {
        "dataset": dataset,
        "rows": rows,
        "positive_rate": positive_rate,
        "full_data_auc": result.full_data_auc,
        "random_mean_auc": result.mean_auc("random"),
        "random_labels_to_match": result.labels_to_match("random", at=MATCH_AT),
        "strategies": {
            name: {
                "mean_auc": result.mean_auc(name),
                "gap": result.gap(name)[0],
                "gap_se": result.gap(name)[1],
                "labels_to_match": result.labels_to_match(name, at=MATCH_AT),
            }
            for name in strategies
        },
        "adaptive_final_shares": [share for share in shares if share],
        "seconds": result.seconds,
        "calibration": {  # the curve points nearest each budget (a topped-up first sample shifts them)
            name: [vars(min(points, key=lambda point, n=n: abs(point.labels - n))) for n in CALIBRATION_LABELS]
            for name, points in result.calibration.items()
        },
        "result": result.as_json(),
    }
    gaps = ", ".join(f"{name} {result.gap(name)[0]:+.4f} ± {result.gap(name)[1]:.4f}" for name in strategies)
    print(f"  {dataset}: full {result.full_data_auc:.3f}; vs random: {gaps} ({result.seconds:.0f} s)", flush=True)
    return row


def report_table(rows: list[dict[str, object]], strategies: list[str]) -> str:
    """Per dataset: full-data AUC, random's mean AUC over the curve, each strategy's seed-paired
    difference from random, the default's distance from the best single strategy, and labels to reach
    random's AUC at MATCH_AT labels."""
    default, singles = strategies[0], strategies[1:]
    header = ["dataset", "full-data AUC", "random (mean AUC)"]
    header += [f"{name} − random" for name in strategies]
    header += [f"{default} − best single", f"labels to random's AUC at {MATCH_AT} ({default} / random)"]
    lines = [header]
    for row in rows:
        figures = row["strategies"]
        assert isinstance(figures, dict)
        best = max(["random", *singles], key=lambda n: figures[n]["gap"] if n != "random" else 0.0)
        best_gap = figures[best]["gap"] if best != "random" else 0.0
        reach = [figures[default]["labels_to_match"], row["random_labels_to_match"]]
        lines.append(
            [
                str(row["dataset"]),
                f"{row['full_data_auc']:.3f}",
                f"{row['random_mean_auc']:.4f}",
                *[f"{figures[name]['gap']:+.4f} ± {figures[name]['gap_se']:.4f}" for name in strategies],
                f"{figures[default]['gap'] - best_gap:+.4f} ({best})",
                " / ".join(str(r) if r is not None else "not reached" for r in reach),
            ]
        )
    return table(lines)


def training_times(frame: pd.DataFrame, y: np.ndarray) -> list[dict[str, float]]:
    """train_model_version's model work at growing label counts: the fit (its own folds calibrate it
    and give the held-out figures, with and without the whys), then reading those figures."""
    from learning.core.model import LeadScorer
    from learning.services.training import _held_out

    rng = np.random.default_rng(0)
    figures = []
    for n in TRAINING_LABELS:
        rows = rng.choice(len(y), size=n, replace=n > len(y))
        sample, labels = frame.iloc[rows].reset_index(drop=True), y[rows]
        started = time.perf_counter()
        scorer = LeadScorer().fit(sample, labels)
        fit = time.perf_counter() - started
        started = time.perf_counter()
        _held_out(scorer, labels)
        held_out = time.perf_counter() - started
        figures.append({"labels": n, "fit_s": fit, "held_out_s": held_out, "total_s": fit + held_out})
        print(f"  {n} labels: fit {fit:.2f} s + held-out figures {held_out:.2f} s", flush=True)
    return figures


def add_train_weights(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--train-weights",
        type=float,
        default=TRAIN_WEIGHTS,
        metavar="ALPHA",
        help=f"train on importance weights flattened by this power, 0 to 1 (0: none; production's: {TRAIN_WEIGHTS})",
    )


def check_train_weights(parser: argparse.ArgumentParser, power: float) -> None:
    if not 0.0 <= power <= 1.0:
        parser.error(f"argument --train-weights: must be a number from 0 to 1, got {power}")


def main() -> None:
    from bench.datasets import SETS
    from learning.core.model import ORDINAL

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--set", dest="which", choices=tuple(SETS), default="report")
    parser.add_argument("--seeds", type=int, default=SEEDS)
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--only", help="run the datasets whose name contains this")
    parser.add_argument(
        "--jobs", type=int, default=os.cpu_count() or 1, help="processes replaying datasets (and seed ranges)"
    )
    parser.add_argument("--training-only", action="store_true")
    parser.add_argument("--no-training", action="store_true", help="skip the training-time figures")
    parser.add_argument(
        "--ordinal", choices=ORDINAL, default="off", help="the scorer's number-bin penalty (docs/backtest.md)"
    )
    add_train_weights(parser)
    parser.add_argument("--json", help="where to write the results (default bench/out/backtest-<set>.json)")
    args = parser.parse_args()
    check_train_weights(parser, args.train_weights)
    setup_django()
    from bench.datasets import build
    from learning.core.strategies import DEFAULT_EXPLORATION, DEFAULT_STRATEGY

    started = time.perf_counter()
    strategies = report_strategies()
    report: dict[str, object] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "set": args.which,
        "strategy": DEFAULT_STRATEGY,
        "strategies": strategies,
        "exploration": DEFAULT_EXPLORATION,
        "seeds": args.seeds,
        "rounds": args.rounds,
        "ordinal": args.ordinal,
        "train_weights": args.train_weights,
    }
    if not args.training_only:
        print(f"{args.which} set, {args.seeds} seeds: {', '.join(strategies)} against random sampling")
        rows = backtest_set(
            which=args.which,
            seeds=args.seeds,
            rounds=args.rounds,
            only=args.only,
            jobs=args.jobs,
            ordinal=args.ordinal,
            train_weights=args.train_weights,
        )
        report["backtest"] = rows
        OUT.mkdir(parents=True, exist_ok=True)
        if not args.json:  # rows so far, in case the calibration table or training times fail
            (OUT / f"backtest-{args.which}-rows.json").write_text(json.dumps(report, indent=2, default=float))
        print()
        print(report_table(rows, strategies))
        print(f"\nheld-out calibration: Brier, mean probability / conversion rate ({DEFAULT_STRATEGY}); Brier (random)")
        honesty = [["dataset", *[f"~{n} labels" for n in CALIBRATION_LABELS]]]
        for row in rows:
            calibration = row["calibration"]
            assert isinstance(calibration, dict)
            ours, theirs = calibration[DEFAULT_STRATEGY], calibration["random"]
            honesty.append([str(row["dataset"])])
            for mine, other in zip(ours, theirs, strict=True):
                honesty[-1].append(
                    f"{mine['brier']:.3f}, {mine['predicted']:.3f}/{mine['actual']:.3f}; {other['brier']:.3f}"
                )
        print(table(honesty))
    if not args.no_training:
        print("\ntraining time (train_model_version's model work) against label count:")
        dataset = build(OUT / "data")[0]
        frame, y = load(dataset)
        report["training_times"] = training_times(frame, y)
    report["seconds"] = time.perf_counter() - started
    OUT.mkdir(parents=True, exist_ok=True)
    whole = not args.only and not args.training_only
    out = Path(args.json) if args.json else OUT / (f"backtest-{args.which}.json" if whole else "backtest-partial.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2, default=float))
    print(f"\n{report['date']}, {report['machine']}: {report['seconds']:.0f} s; written to {out}")


if __name__ == "__main__":
    main()
