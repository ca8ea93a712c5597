"""A broker that accepts connections and never answers (a paused or failed-over Redis, a dead NAT
entry): a publish, and with it a rep's label request, fails within seconds instead of hanging."""

from __future__ import annotations

import ast
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import pytest
from celery import current_app
from django.conf import settings


@pytest.fixture
def silent_broker() -> Iterator[str]:
    """A TCP port that takes connections and never says a word."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    held: list[socket.socket] = []

    def take() -> None:
        while True:
            try:
                held.append(server.accept()[0])
            except OSError:
                return

    threading.Thread(target=take, daemon=True).start()
    yield f"redis://127.0.0.1:{server.getsockname()[1]}/0"
    server.close()
    for conn in held:
        conn.close()


@pytest.fixture
def sending() -> Iterator[None]:
    """Unit tests run tasks in place (eager); this one sends its message."""
    eager = current_app.conf.task_always_eager
    current_app.conf.task_always_eager = False
    yield
    current_app.conf.task_always_eager = eager


def test_a_publish_to_a_silent_redis_fails_within_seconds(silent_broker: str, sending: None) -> None:
    current_app.loader.import_default_modules()  # the tasks are registered, as in a web process after its first label
    outcome: dict[str, object] = {}

    def publish() -> None:
        started = time.monotonic()
        try:
            options = settings.REDIS_BROKER_TRANSPORT_OPTIONS
            with current_app.connection_for_write(url=silent_broker, transport_options=options) as conn:
                current_app.tasks["learning.learn"].apply_async(connection=conn)
        except Exception as error:  # whatever kombu raises: that it gives up is the point
            outcome["error"] = error
        outcome["seconds"] = time.monotonic() - started

    thread = threading.Thread(target=publish, daemon=True)
    thread.start()
    thread.join(60)

    assert "seconds" in outcome, "the publish still hangs after 60 s"
    assert "error" in outcome, "a broker that never answers cannot have taken the message"
    assert outcome["seconds"] < 20, f"the publish took {outcome['seconds']:.1f}s to give up"


def test_a_redis_broker_url_gets_those_timeouts() -> None:
    """Read from a fresh process: the settings choose the options from the broker's URL at import."""
    code = "from django.conf import settings; print(settings.CELERY_BROKER_TRANSPORT_OPTIONS)"
    env = {**os.environ, "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0", "DJANGO_SETTINGS_MODULE": "config.settings"}
    shown = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout

    assert ast.literal_eval(shown) == settings.REDIS_BROKER_TRANSPORT_OPTIONS
