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


def test_the_benchmark_reaches_the_server_when_the_named_database_does_not_exist(monkeypatch: Any) -> None:
    import psycopg

    from bench import setup

    tried: list[str] = []

    def connect(url: str, **_: Any) -> str:
        tried.append(url)
        if url.endswith("/nothing_here"):
            raise psycopg.OperationalError('database "nothing_here" does not exist')
        return f"connected to {url}"

    monkeypatch.setattr(psycopg, "connect", connect)
    assert setup.server_connection("postgres://u@h:5432/nothing_here", "postgres://u@h:5432/postgres") == (
        "connected to postgres://u@h:5432/postgres"
    )
    assert tried == ["postgres://u@h:5432/nothing_here", "postgres://u@h:5432/postgres"]
    monkeypatch.setattr(psycopg, "connect", lambda url, **_: (_ for _ in ()).throw(psycopg.OperationalError("refused")))
    with pytest.raises(
        SystemExit, match="cannot reach PostgreSQL to create leadloop_bench; tried a: refused; b: refused"
    ):
        setup.server_connection("a", "b")
    with pytest.raises(SystemExit, match=r"tried postgres://u:\*\*\*@h/db: refused$"):
        setup.server_connection("postgres://u:secret@h/db")
