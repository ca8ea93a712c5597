"""A real Celery worker process, on the same database and broker as the test."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from config.celery import app as celery_app
from tests.conftest import IN_CI

ROOT = Path(__file__).resolve().parents[2]


def _database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _check_services() -> None:
    """Under CI the real services are required: a missing one fails the test, never skips it."""
    if IN_CI and not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        pytest.fail("CI must run the integration tests on PostgreSQL: set DATABASE_URL")
    if IN_CI and not settings.CELERY_BROKER_URL.startswith("redis"):
        pytest.fail("CI must run the integration tests on Redis: set CELERY_BROKER_URL")
    if settings.CELERY_BROKER_URL.startswith("redis"):
        import redis

        try:
            redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_connect_timeout=3).ping()
        except redis.RedisError as exc:
            pytest.fail(f"Redis at {settings.CELERY_BROKER_URL} is unreachable: {exc}")


class Workers:
    """Starts real ``celery -A config worker`` processes on one queue of the test's own, and stops
    whatever is still running at the end. Tests that kill a worker start the next one here."""

    def __init__(self, tmp_path: Path) -> None:
        _check_services()
        self.tmp_path = tmp_path
        self.queue = f"test-{uuid.uuid4().hex[:8]}"
        self.started: list[tuple[subprocess.Popen[bytes], Path]] = []
        self.previous = (celery_app.conf.task_always_eager, celery_app.conf.task_default_queue)
        celery_app.conf.task_always_eager = False
        celery_app.conf.task_default_queue = self.queue

    def start(self, *, env: dict[str, str] | None = None, beat: bool = False) -> subprocess.Popen[bytes]:
        number = len(self.started) + 1
        log = self.tmp_path / f"worker-{number}.log"
        command = [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "--loglevel=INFO"]
        command += ["-Q", self.queue, "-n", f"w{number}-{self.queue}@%h"]
        if beat:
            command += ["-B", "-s", str(self.tmp_path / f"beat-{number}")]
        full_env = {
            **os.environ,
            "DATABASE_URL": _database_url(),
            "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
            "LEADLOOP_QUEUE": self.queue,
            "LEADLOOP_VAR_DIR": str(settings.VAR_DIR),
            "DJANGO_SETTINGS_MODULE": "config.settings",
            **(env or {}),
        }
        with open(log, "wb") as out:
            process = subprocess.Popen(command, cwd=ROOT, env=full_env, stdout=out, stderr=subprocess.STDOUT)
        self.started.append((process, log))
        deadline = time.monotonic() + 60
        while b"ready." not in log.read_bytes():
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the worker did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.2)
        return process

    def log(self, process: subprocess.Popen[bytes]) -> str:
        return next(log.read_text(errors="replace") for p, log in self.started if p is process)

    def stop_all(self) -> None:
        celery_app.conf.task_always_eager, celery_app.conf.task_default_queue = self.previous
        for process, log in self.started:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
            print(f"--- {log.name}\n{log.read_text(errors='replace')[-3000:]}")


@pytest.fixture
def workers(transactional_db: None, defaults: None, tmp_path: Path) -> Iterator[Workers]:
    pool = Workers(tmp_path)
    try:
        yield pool
    finally:
        pool.stop_all()


@pytest.fixture
def worker(workers: Workers) -> subprocess.Popen[bytes]:
    """One ``celery -A config worker`` on a queue of its own; stopped after the test."""
    return workers.start()
