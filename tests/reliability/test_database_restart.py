"""(8) PostgreSQL restarted under traffic: requests fail cleanly with 503 (never a 500 or a hang)
and the running app recovers by itself once the database is back."""

from __future__ import annotations

import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from tests.reliability.conftest import postgres_cluster, postgres_up, require_fault_injection, wait_for

pytestmark = [pytest.mark.integration]


def fetch(url: str, headers: dict[str, str]) -> int:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def test_requests_answer_503_while_postgresql_restarts_and_recover_without_an_app_restart(
    live_server: Any, transactional_db: None, make_leads: Any, manager: Any, api_for: Any
) -> None:
    require_fault_injection("postgresql")
    ids = make_leads(10)
    token = api_for(manager).headers
    browser = Client()
    browser.force_login(manager)
    page = {"Cookie": f"sessionid={browser.cookies['sessionid'].value}"}
    targets = [
        (f"{live_server.url}/api/leads/{ids[0]}", token),
        (f"{live_server.url}/api/leads?limit=5", token),
        (f"{live_server.url}/leads/", page),
        (f"{live_server.url}/dashboards/", page),
    ]
    assert all(fetch(url, headers) == 200 for url, headers in targets)
    statuses: list[tuple[float, int]] = []
    stop = threading.Event()

    def traffic() -> None:
        while not stop.is_set():
            for url, headers in targets:
                try:
                    statuses.append((time.monotonic(), fetch(url, headers)))
                except OSError:
                    statuses.append((time.monotonic(), -1))  # no answer at all
            time.sleep(0.05)

    threads = [threading.Thread(target=traffic) for _ in range(2)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(1)
        postgres_cluster("stop")
        wait_for(lambda: any(code == 503 for _, code in statuses), timeout=30, what="a 503 during the outage")
        time.sleep(2)
        postgres_cluster("start")
        back = time.monotonic()
        wait_for(postgres_up, timeout=60, what="PostgreSQL to accept connections")
        wait_for(
            lambda: [code for t, code in statuses if t > back + 1][-8:].count(200) == 8,
            timeout=60,
            what="the app to answer 200 again",
        )
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
        if not postgres_up():
            postgres_cluster("start")
            wait_for(postgres_up, timeout=60, what="PostgreSQL to come back")
        connection.close()  # this thread's connection died with the server

    counts = Counter(code for _, code in statuses)
    print(f"responses during the restart: {dict(counts)}")
    assert set(counts) <= {200, 503}, f"only 200 or 503, never a 500 or no answer: {dict(counts)}"
    assert counts[503] > 0 and counts[200] > 0
    assert all(fetch(url, headers) == 200 for url, headers in targets), "recovered without restarting the app"
