"""A database of its own for benchmarks, a real worker, and a table printer."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"


def configure() -> None:
    """Point Django at a benchmark database (never the dev one) and set it up."""
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        base, _, _ = url.rpartition("/")
        with server_connection(url, f"{base}/postgres") as conn:
            exists = conn.execute("select 1 from pg_database where datname = 'leadloop_bench'").fetchone()
            if not exists:
                conn.execute("create database leadloop_bench")
        os.environ["DATABASE_URL"] = f"{base}/leadloop_bench"
    else:
        (ROOT / "var").mkdir(exist_ok=True)
        os.environ["DATABASE_URL"] = f"sqlite:///{ROOT / 'var' / 'bench.sqlite3'}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["LEADLOOP_QUEUE"] = f"bench-{uuid.uuid4().hex[:8]}"
    # One key for this process and the servers it starts: their sessions are signed with it.
    os.environ.setdefault("SECRET_KEY", "bench-" + uuid.uuid4().hex)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def server_connection(*urls: str) -> Any:
    """A connection to the first of ``urls`` that answers (the database ``DATABASE_URL`` names, else
    the server's own ``postgres`` database: the benchmark only needs the server to create its own);
    when none does, the benchmark stops saying why."""
    import psycopg

    errors = []
    for url in urls:
        try:
            return psycopg.connect(url, autocommit=True)
        except psycopg.OperationalError as error:
            errors.append(f"{_without_password(url)}: {str(error).strip()}")
    raise SystemExit("bench: cannot reach PostgreSQL to create leadloop_bench; tried " + "; ".join(errors))


def _without_password(url: str) -> str:
    password = urlsplit(url).password
    return url.replace(f":{password}@", ":***@", 1) if password else url


def bench_token(user: Any) -> str:
    """A new API token for a benchmark user, named for this run: the users outlive a run, and a
    live token's name is unique per user."""
    from config.tokens import token_create

    return token_create(user=user, name=f"bench-{uuid.uuid4().hex[:8]}")


def production_env() -> dict[str, str]:
    """The environment of the servers and workers a benchmark starts: production settings (DEBUG off:
    no query log, no debug pages) over loopback HTTP."""
    return {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": os.environ["SECRET_KEY"],
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
    }


def reset() -> None:
    from django.db import connection

    from feedback.models import Label, Lease, Skip
    from leads.models import Activity, Lead, LeadBlock, LeadScore
    from learning.models import LoopLock, LoopState, ModelVersion, RescoreRun

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "TRUNCATE leads_lead, leads_activity, leads_leadscore, leads_leadblock, leads_scoreevent, "
                "feedback_label, feedback_lease, feedback_skip, learning_modelversion, learning_rescorerun "
                "RESTART IDENTITY CASCADE"
            )
        else:
            for model in (Label, Lease, Skip, Activity, LeadScore, LeadBlock, Lead, ModelVersion, RescoreRun):
                model.objects.all().delete()
    LoopState.objects.update(labels_revision=0, trained_revision=0, scores_version=0, rescore_requested=False)
    LoopLock.objects.update(running_since=None)


@contextmanager
def workers(count: int = 1, concurrency: int = 1, nice: int = 10) -> Iterator[list[subprocess.Popen[bytes]]]:
    """``count`` Celery worker processes on the benchmark's queue, below the web tier's CPU priority
    (``nice``) as on a machine that serves reps and learns at once."""
    env = production_env()
    processes = []
    logs = []
    OUT.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        log = open(OUT / f"worker-{i}.log", "wb")  # noqa: SIM115
        logs.append(log)
        processes.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "config",
                    "worker",
                    f"--concurrency={concurrency}",
                    "--loglevel=INFO",
                    "-Q",
                    env["LEADLOOP_QUEUE"],
                    "-n",
                    f"bench{i}@%h",
                ],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=lambda: os.nice(nice),
            )
        )
    try:
        deadline = time.monotonic() + 60
        while not all(b"ready." in (OUT / f"worker-{i}.log").read_bytes() for i in range(count)):
            if time.monotonic() > deadline:
                raise RuntimeError("workers did not start; see bench/out/worker-*.log")
            time.sleep(0.2)
        yield processes
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        for log in logs:
            log.close()


def wait_until(condition: Callable[[], bool], timeout: float = 600.0) -> float:
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout:
            raise TimeoutError("condition not met in time")
        time.sleep(0.05)
    return time.monotonic() - started


def loop_settled() -> bool:
    """Nothing pending and nobody running the loop: every label learned, every score written."""
    from learning.models import LoopLock, LoopState

    state = LoopState.objects.get()
    lock = LoopLock.objects.get()
    return (
        state.trained_revision == state.labels_revision and not state.rescore_requested and lock.running_since is None
    )


def table(rows: list[tuple[str, str, str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = [" | ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)) for row in rows]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(lines)
