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


@pytest.fixture
def worker(transactional_db: None, defaults: None, tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """Start ``celery -A config worker`` on a queue of its own; stop it after the test."""
    _check_services()
    queue = f"test-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "LEADLOOP_QUEUE": queue,
        "LEADLOOP_VAR_DIR": str(settings.VAR_DIR),
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    log = tmp_path / "worker.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "--loglevel=INFO", "-Q", queue],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    previous = (celery_app.conf.task_always_eager, celery_app.conf.task_default_queue)
    celery_app.conf.task_always_eager = False
    celery_app.conf.task_default_queue = queue
    try:
        deadline = time.monotonic() + 60
        while b"ready." not in log.read_bytes():
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the worker did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.2)
        yield process
    finally:
        celery_app.conf.task_always_eager, celery_app.conf.task_default_queue = previous
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        print(log.read_text()[-4000:])
