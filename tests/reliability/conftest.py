"""Fault injection on real parts: killed workers, a stopped broker, a restarted database, many reps.

Tests that stop Redis or restart PostgreSQL touch servers other people may be using, so they run
only under CI=true or LEADLOOP_FAULT_TESTS=1 (and under CI a missing service fails them)."""

from __future__ import annotations

import os
import subprocess

import pytest
from django.conf import settings

from tests.conftest import IN_CI
from tests.integration.conftest import Workers, worker, workers  # noqa: F401  (fixtures for these tests)
from tests.loop import settled, wait_for  # noqa: F401  (imported by the tests here)

FAULTS_ALLOWED = IN_CI or os.environ.get("LEADLOOP_FAULT_TESTS", "") in {"1", "true", "yes"}
REDIS_PORT = 6379
REDIS_START = [
    "redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "-::1", "--port", str(REDIS_PORT), "--save", "",
    "--appendonly", "no", "--dir", "/var/lib/redis", "--logfile", "/var/log/redis/ci.log",
]  # fmt: skip


def require_fault_injection(service: str) -> None:
    """Skip on a developer's machine unless asked; under CI the service must be the real one."""
    if not FAULTS_ALLOWED:
        pytest.skip(f"stops the shared {service}: set LEADLOOP_FAULT_TESTS=1 (CI=true runs it)")
    if service == "redis" and not settings.CELERY_BROKER_URL.startswith("redis://127.0.0.1:6379"):
        pytest.fail("the broker fault test needs CELERY_BROKER_URL=redis://127.0.0.1:6379/N")
    if service == "postgresql" and not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        pytest.fail("the database fault test needs DATABASE_URL=postgres://...@127.0.0.1:5432/...")


def redis_up() -> bool:
    return (
        subprocess.run(["redis-cli", "-p", str(REDIS_PORT), "ping"], capture_output=True, text=True).stdout.strip()
        == "PONG"
    )


def redis_stop() -> None:
    subprocess.run(["redis-cli", "-p", str(REDIS_PORT), "shutdown", "nosave"], capture_output=True, timeout=30)
    wait_for(lambda: not redis_up(), timeout=30, what="Redis to stop")


def redis_start() -> None:
    if not redis_up():
        subprocess.run(REDIS_START, check=True, capture_output=True, timeout=30)
    wait_for(redis_up, timeout=30, what="Redis to start")


def postgres_cluster(action: str) -> None:
    version = sorted(os.listdir("/etc/postgresql"))[-1]
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", action], check=True, capture_output=True,
        timeout=120,
    )  # fmt: skip


def postgres_up() -> bool:
    result = subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-tAc", "select 1"], capture_output=True, text=True, timeout=30
    )
    return result.stdout.strip() == "1"
