"""The benchmarks' command lines: asking for help prints it and runs nothing."""

from __future__ import annotations

import sys
from typing import Any

import pytest


def test_bench_run_help_prints_its_settings_and_runs_nothing(monkeypatch: Any, capsys: Any) -> None:
    from bench import run

    def refuse() -> None:
        raise AssertionError("--help started the benchmark")

    monkeypatch.setattr(run, "configure", refuse)
    monkeypatch.setattr(sys, "argv", ["bench.run", "--help"])
    with pytest.raises(SystemExit) as exit_:
        run.main()
    assert exit_.value.code == 0
    assert "BENCH_LEADS" in capsys.readouterr().out


def test_bench_run_refuses_an_argument_it_does_not_take(monkeypatch: Any, capsys: Any) -> None:
    from bench import run

    monkeypatch.setattr(run, "configure", lambda: pytest.fail("an unknown argument started the benchmark"))
    monkeypatch.setattr(sys, "argv", ["bench.run", "--leads", "5"])
    with pytest.raises(SystemExit) as exit_:
        run.main()
    assert exit_.value.code == 2
    assert "unrecognized arguments: --leads 5" in capsys.readouterr().err


@pytest.mark.parametrize("module", ["backtest", "reasons"])
def test_a_training_power_outside_0_to_1_is_refused_before_anything_runs(
    module: str, monkeypatch: Any, capsys: Any
) -> None:
    import importlib

    bench = importlib.import_module(f"bench.{module}")
    monkeypatch.setattr(sys, "argv", [f"bench.{module}", "--train-weights", "1.5"])
    with pytest.raises(SystemExit) as exit_:
        bench.main()
    assert exit_.value.code == 2
    assert "--train-weights: must be a number from 0 to 1, got 1.5" in capsys.readouterr().err
