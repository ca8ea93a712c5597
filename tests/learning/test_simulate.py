"""`manage.py simulate`: the backtest contract on a tiny CSV."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from django.core.management import CommandError, call_command

from learning.core.backtest import BacktestError, run_backtest
from learning.core.strategies import DEFAULT_STRATEGY, STRATEGIES


def tiny_csvs(directory: Path, n: int = 160, seed: int = 0) -> tuple[Path, Path]:
    """Leads with every kind of column a user may bring, and their activities."""
    rng = np.random.default_rng(seed)
    industry = rng.choice(["software", "retail", "logistics"], size=n)
    visits = rng.poisson(1.5, size=n)
    logit = -1.5 + 1.0 * visits - 1.5 * (industry == "retail")
    won = rng.random(n) < 1 / (1 + np.exp(-logit))
    leads = pd.DataFrame(
        {
            "customer_ref": [f"C-{i:05d}" for i in range(n)],  # ID-like, no external_id column
            "industry": industry,
            "employees": rng.choice(["11-50", "51-200", "1000+", ""], size=n),
            "seats": rng.integers(1, 500, size=n),
            "signed_up": pd.Timestamp("2026-01-01") + pd.to_timedelta(rng.integers(0, 200, size=n), unit="D"),
            "always_empty": "",
            "plan": rng.choice(["free", "pro"], size=n),
            "result": np.where(won, "Won", "Lost"),
        }
    )
    leads.loc[::17, "result"] = ""  # open leads: left out of the backtest
    events = [
        {"lead": f"row-{i + 2}", "type": "Pricing Visit", "occurred_at": f"2026-06-{1 + (i + k) % 28:02d}"}
        for i in range(n)
        for k in range(visits[i])
    ]
    leads_csv, activities_csv = directory / "leads.csv", directory / "activities.csv"
    leads.to_csv(leads_csv, index=False)
    pd.DataFrame(events).to_csv(activities_csv, index=False)
    return leads_csv, activities_csv


def simulate(tmp_path: Path, *extra: str) -> tuple[dict, str]:
    leads_csv, activities_csv = tiny_csvs(tmp_path)
    out = tmp_path / "out.json"
    from io import StringIO

    stdout = StringIO()
    call_command(
        "simulate",
        "--csv",
        str(leads_csv),
        "--outcome-column",
        "result",
        "--positive",
        "Won",
        "--activities",
        str(activities_csv),
        "--initial",
        "20",
        "--batch",
        "10",
        "--rounds",
        "3",
        "--seeds",
        "2",
        "--json",
        str(out),
        *extra,
        stdout=stdout,
    )
    return json.loads(out.read_text()), stdout.getvalue()


def test_simulate_writes_the_contract_json_and_prints_a_table(tmp_path: Path) -> None:
    result, printed = simulate(tmp_path)
    assert result["strategy"] == DEFAULT_STRATEGY
    assert set(result["curves"]) == {DEFAULT_STRATEGY, "random"}
    assert 0.5 < result["full_data_auc"] <= 1.0
    for curve in result["curves"].values():
        assert len(curve) == 4
        assert [point["labels"] for point in curve] == sorted(point["labels"] for point in curve)
        assert curve[-1]["labels"] - curve[0]["labels"] == 30
        for point in curve:
            assert set(point) == {"labels", "auc", "precision", "recall"}
            assert 0 <= point["auc"] <= 1 and 0 <= point["precision"] <= 1 and 0 <= point["recall"] <= 1
    assert "full-data AUC" in printed and "random AUC" in printed


def test_simulate_all_strategies_compares_each_with_random(tmp_path: Path) -> None:
    result, _ = simulate(tmp_path, "--strategy", "all")
    assert set(result["curves"]) == set(STRATEGIES)


def test_simulated_reasons_add_the_reasons_curves_on_the_same_seeds_and_splits(tmp_path: Path) -> None:
    result, printed = simulate(tmp_path, "--simulated-reasons", "0.8")
    names = {DEFAULT_STRATEGY, "random", f"{DEFAULT_STRATEGY}+reasons", "random+reasons"}
    assert set(result["curves"]) == names
    assert set(result["seed_mean_aucs"]) == names
    assert result["settings"]["simulated_reasons"] == 0.8
    plain, taught = result["curves"]["random"], result["curves"]["random+reasons"]
    assert [point["labels"] for point in plain] == [point["labels"] for point in taught]
    assert plain[0]["labels"] == result["curves"][f"{DEFAULT_STRATEGY}+reasons"][0]["labels"]
    for point in taught:
        assert set(point) == {"labels", "auc", "precision", "recall"}
    assert "random+reasons AUC" in printed


def test_an_informed_simulated_rep_teaches_the_model_and_a_random_one_costs_nothing_much() -> None:
    rng = np.random.default_rng(7)
    n = 900
    frame = pd.DataFrame(
        {
            "count__demo": rng.poisson(1.0, size=n).astype(float),
            **{f"noise{i}": rng.choice(["a", "b", "c"], size=n) for i in range(6)},
        }
    )
    y = (rng.random(n) < 1 / (1 + np.exp(-(-2.0 + 1.6 * frame["count__demo"])))).astype(int).to_numpy()
    informed = run_backtest(
        frame, y, strategies=["random"], initial=20, batch=20, rounds=2, seeds=3, simulated_reasons=1
    )
    assert informed.mean_auc("random+reasons") > informed.mean_auc("random") + 0.01
    random = run_backtest(frame, y, strategies=["random"], initial=20, batch=20, rounds=2, seeds=3, simulated_reasons=0)
    assert random.curves["random"] == informed.curves["random"]  # the plain curves do not depend on the rep
    assert random.mean_auc("random+reasons") > random.mean_auc("random") - 0.02


def test_simulated_reasons_outside_0_to_1_are_a_clear_error(tmp_path: Path) -> None:
    leads_csv, _ = tiny_csvs(tmp_path)
    with pytest.raises(CommandError, match="--simulated-reasons"):
        call_command(
            "simulate",
            "--csv",
            str(leads_csv),
            "--outcome-column",
            "result",
            "--simulated-reasons",
            "1.5",
            "--json",
            "x",
        )


def test_a_missing_outcome_column_is_a_clear_error(tmp_path: Path) -> None:
    leads_csv, _ = tiny_csvs(tmp_path)
    with pytest.raises(CommandError, match=r"missing required column\(s\): outcome"):
        call_command("simulate", "--csv", str(leads_csv), "--outcome-column", "outcome", "--json", "x.json")


def test_an_unknown_strategy_is_a_clear_error(tmp_path: Path) -> None:
    leads_csv, _ = tiny_csvs(tmp_path)
    with pytest.raises(CommandError, match="unknown --strategy 'clever'"):
        call_command(
            "simulate", "--csv", str(leads_csv), "--outcome-column", "result", "--strategy", "clever", "--json", "x"
        )


def test_a_positive_value_that_never_occurs_is_a_clear_error(tmp_path: Path) -> None:
    leads_csv, _ = tiny_csvs(tmp_path)
    with pytest.raises(CommandError, match="at least 5 leads of each outcome"):
        call_command(
            "simulate", "--csv", str(leads_csv), "--outcome-column", "result", "--positive", "Yes", "--json", "x"
        )


def test_a_zero_one_outcome_written_as_floats_is_read_with_positive_1(tmp_path: Path) -> None:
    leads_csv, _ = tiny_csvs(tmp_path)
    frame = pd.read_csv(leads_csv, keep_default_na=False)
    frame["result"] = frame["result"].map({"Won": "1.0", "Lost": "0.0", "": ""})
    frame.to_csv(leads_csv, index=False)
    stdout = StringIO()

    call_command(
        "simulate",
        *("--csv", str(leads_csv), "--outcome-column", "result", "--positive", "1"),
        *("--rounds", "1", "--seeds", "1", "--json", str(tmp_path / "out.json")),
        stdout=stdout,
    )

    converted = int((frame["result"] == "1.0").sum())
    assert f"with an outcome, {converted} converted" in stdout.getvalue() and converted > 5


def test_outcomes_it_cannot_read_are_reported_by_row_and_column_not_counted_as_unlabeled(tmp_path: Path) -> None:
    from io import StringIO

    leads_csv, _ = tiny_csvs(tmp_path)  # its result column says Won / Lost: without --positive, neither is read
    stdout, stderr = StringIO(), StringIO()
    with pytest.raises(CommandError, match="at least 5 leads of each outcome"):
        call_command(
            "simulate",
            "--csv",
            str(leads_csv),
            "--outcome-column",
            "result",
            "--json",
            "x",
            stdout=stdout,
            stderr=stderr,
        )
    # row 2, the first lead, has no outcome
    assert "row 3: result: expected converted or not_converted, got 'Won' (or name the value" in stderr.getvalue()
    assert "--positive VALUE" in stderr.getvalue()
    assert "more rows skipped" in stderr.getvalue()
    empty = int(pd.read_csv(leads_csv, keep_default_na=False)["result"].eq("").sum())
    assert f"{empty} rows without an outcome left out" in stdout.getvalue()  # only the truly open leads


def test_the_backtest_starts_every_strategy_from_the_same_sample_with_both_outcomes() -> None:
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"x": rng.normal(size=300), "kind": rng.choice(["a", "b"], size=300)})
    y = (frame["x"] + rng.normal(scale=0.5, size=300) > 1.6).astype(int).to_numpy()  # ~6% positive
    result = run_backtest(frame, y, strategies=["uncertainty"], initial=5, batch=5, rounds=2, seeds=2)
    first = {name: curve[0] for name, curve in result.curves.items()}
    assert first["uncertainty"] == first["random"]
    assert first["random"].labels >= 5


def test_the_backtest_refuses_data_with_one_outcome() -> None:
    frame = pd.DataFrame({"x": np.arange(50.0)})
    with pytest.raises(BacktestError, match="each outcome"):
        run_backtest(frame, np.zeros(50), strategies=["uncertainty"])


def test_strategies_that_draw_alike_give_the_same_curve() -> None:
    """On two outcomes margin's draw is uncertainty's; with common random numbers the backtest must
    show no difference between them (and entropy, a different shape, differs)."""
    rng = np.random.default_rng(4)
    frame = pd.DataFrame({"x": rng.normal(size=400), "kind": rng.choice(["a", "b", "c"], size=400)})
    y = (frame["x"] + rng.normal(scale=0.8, size=400) > 0.8).astype(int).to_numpy()
    result = run_backtest(frame, y, strategies=["uncertainty", "margin", "entropy"], rounds=3, seeds=2)
    assert result.curves["uncertainty"] == result.curves["margin"]
    assert result.curves["uncertainty"] != result.curves["entropy"]


def test_the_backtest_replays_the_adaptive_mix_and_reports_its_shares() -> None:
    rng = np.random.default_rng(6)
    frame = pd.DataFrame({"x": rng.normal(size=400), "kind": rng.choice(["a", "b", "c"], size=400)})
    y = (frame["x"] + rng.normal(scale=0.8, size=400) > 0.8).astype(int).to_numpy()
    result = run_backtest(frame, y, strategies=["adaptive"], initial=20, batch=10, rounds=4, seeds=2)
    shares = result.settings["adaptive_final_shares"]
    assert set(shares) == {"random", "uncertainty", "entropy"} and sum(shares.values()) == pytest.approx(1.0)
    assert shares != pytest.approx(dict.fromkeys(shares, 1 / 3)), "three paid batches moved the mix"
    assert result.labels_to_match("random", at=50) is not None


def test_the_prepared_backtest_gives_the_same_curves_as_refitting_from_scratch() -> None:
    """run_backtest hands the scorer the frame prepared once; a plain LeadScorer must agree."""
    from learning.core.model import LeadScorer

    rng = np.random.default_rng(5)
    n = 300
    frame = pd.DataFrame(
        {
            "x": rng.normal(size=n),
            "kind": rng.choice(["a", "B ", "b", ""], size=n),
            "signed_up": rng.choice(["2026-01-05", "2026-03-01", ""], size=n),
            "_as_of_days": 20_600.0,
        },
        index=[f"L{i}" for i in range(n)],
    )
    y = (frame["x"] + (frame["kind"] == "a") + rng.normal(scale=0.8, size=n) > 1.0).astype(int).to_numpy()
    settings = {"strategies": ["adaptive", "uncertainty"], "initial": 10, "batch": 10, "rounds": 3, "seeds": 2}
    fast = run_backtest(frame, y, **settings)
    reference = run_backtest(frame, y, make_scorer=LeadScorer, **settings)
    assert fast.curves == reference.curves
    assert fast.seed_mean_aucs == reference.seed_mean_aucs
    assert fast.full_data_auc == reference.full_data_auc


def test_the_mean_curve_matches_seeds_by_label_count_not_by_position() -> None:
    from learning.core.backtest import _mean_curve, at_common_labels

    started_at_20 = [(20, 0.60, 0.1, 0.2), (40, 0.62, 0.1, 0.2), (60, 0.64, 0.1, 0.2)]
    topped_up = [(40, 0.70, 0.3, 0.4), (60, 0.72, 0.3, 0.4), (80, 0.74, 0.3, 0.4)]
    curve = _mean_curve([started_at_20, topped_up])
    assert [(point.labels, point.auc) for point in curve] == [(40, pytest.approx(0.66)), (60, pytest.approx(0.68))]
    # pools too small to share a label count: the first points, as many as the shortest run has
    assert at_common_labels([[(20, 0.5), (27, 0.6)], [(40, 0.7)]]) == [[(20, 0.5)], [(40, 0.7)]]


def test_the_benchmark_merges_seed_ranges_at_the_label_counts_they_share() -> None:
    from bench.backtest import merged
    from learning.core.backtest import BacktestResult, CalibrationPoint, CurvePoint

    def part(first: int, auc: float, seeds: int) -> BacktestResult:
        labels = range(first, first + 60, 20)
        return BacktestResult(
            strategy="random",
            full_data_auc=0.8,
            curves={"random": [CurvePoint(n, auc + n / 1000, 0.5, 0.5) for n in labels]},
            rows=100,
            positives=20,
            settings={"seeds": seeds},
            seed_mean_aucs={"random": [auc] * seeds},
            calibration={"random": [CalibrationPoint(n, 0.2, 0.3, 0.3) for n in labels]},
        )

    # the second range holds a seed that was topped up: its points start a batch later
    result = merged([part(20, 0.60, 3), part(40, 0.70, 1)])
    assert [(point.labels, point.auc) for point in result.curves["random"]] == [
        (40, pytest.approx(0.64 + 0.025)),
        (60, pytest.approx(0.66 + 0.025)),
    ]
    assert [point.labels for point in result.calibration["random"]] == [40, 60]


def simulate_won(leads_csv: Path, *extra: str, stdout: StringIO | None = None) -> None:
    """simulate on ``leads_csv`` whose ``result`` column says Won or Lost, with ``extra`` options."""
    call_command(
        "simulate",
        *("--csv", str(leads_csv), "--outcome-column", "result", "--positive", "Won"),
        *extra,
        stdout=stdout if stdout is not None else StringIO(),
    )


def simulate_refused(tmp_path: Path, *extra: str) -> tuple[str, str]:
    """Run simulate on the tiny CSV with ``extra`` options, expecting a refusal: its message and what it printed."""
    leads_csv, _ = tiny_csvs(tmp_path)
    stdout = StringIO()
    with pytest.raises(CommandError) as refused:
        simulate_won(leads_csv, *extra, stdout=stdout)
    return str(refused.value), stdout.getvalue()


@pytest.mark.parametrize(
    ("option", "value", "said"),
    [
        ("--seeds", "0", "argument --seeds: must be a whole number of at least 1, got '0'"),
        ("--rounds", "-3", "argument --rounds: must be a whole number of at least 1, got '-3'"),
        ("--batch", "ten", "argument --batch: must be a whole number of at least 1, got 'ten'"),
        ("--exploration", "2", "argument --exploration: must be a number from 0 to 1, got '2'"),
        ("--threshold", "high", "argument --threshold: must be a number from 0 to 1, got 'high'"),
        ("--simulated-reasons", "nan", "argument --simulated-reasons: must be a number from 0 to 1, got 'nan'"),
    ],
)
def test_a_bad_number_names_the_option_and_what_it_takes(tmp_path: Path, option: str, value: str, said: str) -> None:
    message, _ = simulate_refused(tmp_path, option, value, "--json", str(tmp_path / "out.json"))

    assert said in message
    assert "invalid" not in message and "_positive_int" not in message and "_share" not in message


@pytest.mark.parametrize("where", ["under-a-file", "a-directory"])
def test_an_unwritable_json_path_is_refused_before_the_backtest_runs(tmp_path: Path, where: str) -> None:
    (tmp_path / "taken").write_text("a file")
    (tmp_path / "folder").mkdir()
    target = tmp_path / "taken" / "out.json" if where == "under-a-file" else tmp_path / "folder"

    message, printed = simulate_refused(tmp_path, "--json", str(target))

    assert message.startswith(f"cannot write --json {target}: ")
    assert message.endswith("is not a directory" if where == "under-a-file" else "it is a directory")
    assert printed == ""  # nothing was read, nothing replayed


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="a Linux /proc to write into")
def test_a_json_path_in_a_folder_that_takes_no_file_is_refused_before_the_backtest_even_as_root(tmp_path: Path) -> None:
    """Root's os.access says yes to /proc; the file the command would write says no."""
    message, printed = simulate_refused(tmp_path, "--json", "/proc/leadloop-out.json")

    assert message.startswith("cannot write --json /proc/leadloop-out.json: ")
    assert printed == ""


def test_a_json_path_in_folders_still_to_make_is_accepted(tmp_path: Path) -> None:
    leads_csv, _ = tiny_csvs(tmp_path)
    target = tmp_path / "new" / "deeper" / "out.json"

    simulate_won(leads_csv, "--rounds", "1", "--seeds", "1", "--json", str(target))

    assert set(json.loads(target.read_text())["curves"]) == {DEFAULT_STRATEGY, "random"}


def test_one_row_without_an_outcome_is_counted_in_the_singular(tmp_path: Path) -> None:
    leads_csv = tmp_path / "one-open.csv"
    leads_csv.write_text("company,result\nAcme,Won\nGlobex,\nInitech,Lost\n")
    stdout = StringIO()
    with pytest.raises(CommandError, match="at least 5 leads of each outcome"):
        simulate_won(leads_csv, "--json", str(tmp_path / "out.json"), stdout=stdout)

    assert "1 row without an outcome left out" in stdout.getvalue()
