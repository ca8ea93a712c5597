"""The log: a refused request is one line, without a traceback, and printed once."""

from __future__ import annotations

import logging
from typing import Any

import pytest


@pytest.mark.django_db
def test_a_refused_page_logs_one_line_without_a_traceback(rep: Any, page_for: Any, caplog: Any) -> None:
    with caplog.at_level(logging.WARNING, logger="django.request"):
        assert page_for(rep).get("/settings/").status_code == 403

    refusals = [record for record in caplog.records if record.name == "django.request"]
    assert len(refusals) == 1
    assert refusals[0].getMessage() == "Forbidden (Permission denied): /settings/"
    assert refusals[0].exc_info is None and "Traceback" not in caplog.text


def test_django_prints_through_the_root_handler_only() -> None:
    assert logging.getLogger("django").handlers == []
    assert logging.getLogger("django").propagate


def test_a_log_line_says_when_how_bad_where_from_and_which_process() -> None:
    import os
    import re

    handler = logging.getLogger().handlers[0]
    record = logging.LogRecord("leads.services", logging.WARNING, __file__, 1, "an import failed", None, None)

    line = handler.format(record)

    assert re.fullmatch(
        rf"\d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d,\d{{3}} WARNING leads\.services \[{os.getpid()}\] an import failed", line
    ), line


def test_beat_that_cannot_start_writes_its_traceback_whole(tmp_path: Any) -> None:
    """Celery's stderr redirect would log every write() as its own WARNING line (a traceback as ~1,600
    one-piece records, celery/celery#9721); off, the traceback reads as Python wrote it."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "LEADLOOP_VAR_DIR": str(tmp_path), "DATABASE_URL": "", "CELERY_BROKER_URL": ""}
    env = {name: value for name, value in env.items() if value}
    run = subprocess.run(
        [sys.executable, "-m", "celery", "-A", "config", "beat", "--schedule", str(tmp_path / "missing" / "schedule")],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert run.returncode != 0
    assert "celery.redirected" not in run.stderr
    assert "\nTraceback (most recent call last):\n" in run.stderr
