"""/healthz as an operator's monitor and load balancer read it: the broker's state, JSON when the
database is down."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import OperationalError
from django.test import RequestFactory

from config.celery import app, broker_reachable
from config.middleware import DatabaseUnavailableMiddleware


@pytest.fixture
def broker_down(monkeypatch: pytest.MonkeyPatch) -> Any:
    dead = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    before = app.conf.broker_url
    monkeypatch.setenv("CELERY_BROKER_URL", dead)  # Celery reads the variable before its settings
    app.conf.broker_url = dead
    yield
    app.conf.broker_url = before


def test_a_broker_that_answers_is_reachable() -> None:
    assert broker_reachable() is True  # the test settings' broker (filesystem, or CI's Redis)


def test_a_broker_that_refuses_is_unreachable_at_once(broker_down: None) -> None:
    assert broker_reachable(timeout=2) is False


@pytest.mark.django_db
def test_healthz_says_degraded_while_the_broker_is_down_and_the_pages_still_serve(
    defaults: None, client: Any, broker_down: None
) -> None:
    response = client.get("/healthz")

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["broker"]) == ("degraded", "unreachable")


@pytest.mark.django_db
def test_healthz_says_the_broker_is_ok_when_it_is(defaults: None, client: Any) -> None:
    body = client.get("/healthz").json()

    assert (body["status"], body["broker"]) == ("ok", "ok")


def test_healthz_with_the_database_down_is_json_a_monitor_can_read() -> None:
    request = RequestFactory().get("/healthz")

    response = DatabaseUnavailableMiddleware.unavailable(request, OperationalError("connection refused"))

    assert response is not None and response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content) == {"status": "failing", "database": "unavailable"}


def test_a_broker_that_accepts_and_never_answers_is_given_up_on_within_the_timeout(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import socket
    import time

    with socket.socket() as silent:  # the kernel completes the handshake; nobody ever answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = f"redis://127.0.0.1:{silent.getsockname()[1]}/0"
        before = app.conf.broker_url
        monkeypatch.setenv("CELERY_BROKER_URL", url)
        app.conf.broker_url = url
        try:
            started = time.monotonic()
            reachable = broker_reachable(timeout=1)
            waited = time.monotonic() - started
        finally:
            app.conf.broker_url = before

    assert reachable is False
    assert waited < 4, f"a probe waited {waited:.1f} s (the transport's own 5 s socket timeout)"
