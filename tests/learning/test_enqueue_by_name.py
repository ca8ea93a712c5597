"""Services send tasks by name (they never import tasks.py): the name must resolve in a process
that has not imported any tasks module, as a web process has not."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

FRESH_PROCESS = """
import os
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
import django
django.setup()
import config.urls  # everything a web request loads
from celery import current_app
from learning.services import workers

assert "learning.learn" not in current_app.tasks, "this process should not know the tasks yet"
sent = []
from celery.app.task import Task
# What would go to the broker, kept here instead.
Task.apply_async = lambda self, args=None, kwargs=None, **options: sent.append((self.name, args))
workers.enqueue("learning.rescore_chunks", "run-key")
assert sent == [("learning.rescore_chunks", ("run-key",))], sent
print("ok")
"""


def test_a_task_sent_by_name_resolves_in_a_process_that_never_imported_tasks() -> None:
    result = subprocess.run(
        [sys.executable, "-c", FRESH_PROCESS], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().endswith("ok")
