"""The load benchmarks of `make bench`: gunicorn as deployed, reps at work on the queue (API and
page) and clients posting labels as fast as they are answered."""

from __future__ import annotations

import http.client
import json
import math
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from bench.setup import OUT, ROOT, bench_token, production_env

WARM_UP_SECONDS = 5.0  # requests in the first seconds of a load run are not counted


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def gunicorn(workers: int = 3, threads: int = 6, worker_class: str = "gthread") -> Iterator[int]:
    """The web tier as deployed: gunicorn on a free loopback port; yields the port."""
    port = _free_port()
    log = open(OUT / "gunicorn.log", "wb")  # noqa: SIM115
    server = subprocess.Popen(
        [
            *(sys.executable, "-m", "gunicorn", "config.wsgi"),
            *("--workers", str(workers), "--threads", str(threads), "--worker-class", worker_class),
            *("--bind", f"127.0.0.1:{port}"),
        ],
        cwd=ROOT,
        env=production_env(),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                http.client.HTTPConnection("127.0.0.1", port, timeout=1).request("GET", "/accounts/login/")
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("gunicorn did not start; see bench/out/gunicorn.log") from None
                time.sleep(0.2)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


@dataclass
class Rep:
    token: str
    session: str


def _reps(count: int, prefix: str) -> list[Rep]:
    from django.contrib.auth import get_user_model
    from django.test import Client

    from config.roles import Role, set_role

    reps = []
    for i in range(count):
        user, _ = get_user_model().objects.get_or_create(username=f"{prefix}-{i}")
        set_role(user=user, role=Role.REP)
        client = Client()
        client.force_login(user)
        reps.append(Rep(token=bench_token(user), session=client.cookies["sessionid"].value))
    return reps


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(math.ceil(share * len(ordered)) - 1, 0)] if ordered else float("nan")


class _Http:
    """One keep-alive connection; reconnects after a dropped one."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def call(self, method: str, path: str, body: str | None, headers: dict[str, str]) -> tuple[int, bytes, Any]:
        try:
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
            return response.status, response.read(), response
        except (OSError, http.client.HTTPException):
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            raise


OUTCOMES = (("converted", "champion"), ("not_converted", "no_budget"))
_CARD_LEAD = re.compile(rb'id="queue-card" data-lead="([^"]*)"')
_CSRF = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')


def paced_reps(port: int, *, reps: int = 20, seconds: float = 30.0, think: float = 1.0) -> dict[str, Any]:
    """Reps at work: half through the API (GET /api/queue?limit=1, POST /api/labels), half in the
    browser's page (GET /queue/, then the label form's fetch POST, which answers the next card),
    each waiting ``think`` seconds between requests (a quick rep labels every 3 s). Latencies, and
    the check that no lead went to two reps."""
    people = _reps(reps, "paced-rep")
    queue_api: list[float] = []
    queue_page: list[float] = []
    label_api: list[float] = []
    label_page: list[float] = []
    handed: list[list[str]] = [[] for _ in people]
    errors: list[str] = []
    warm_until = time.monotonic() + WARM_UP_SECONDS
    stop = warm_until + seconds

    def measure(into: list[float], started: float) -> None:
        if time.monotonic() >= warm_until:
            into.append(1000 * (time.perf_counter() - started))

    def api_rep(i: int) -> None:
        http_ = _Http(port)
        headers = {"Authorization": f"Token {people[i].token}", "Content-Type": "application/json"}
        n = 0
        while time.monotonic() < stop:
            try:
                t0 = time.perf_counter()
                status, raw, _ = http_.call("GET", "/api/queue?limit=1", None, headers)
                measure(queue_api, t0)
                leads = json.loads(raw)["leads"] if status == 200 else []
                if not leads:
                    errors.append(f"api queue {status}")
                    continue
                key = leads[0]["external_id"]
                handed[i].append(key)
                time.sleep(think)
                outcome, reason = OUTCOMES[n % 2]
                t0 = time.perf_counter()
                status, _, _ = http_.call(
                    "POST", "/api/labels", json.dumps({"lead": key, "outcome": outcome, "reason": reason}), headers
                )
                measure(label_api, t0)
                if status != 201:
                    errors.append(f"api label {status}")
                n += 1
                time.sleep(think)
            except (OSError, http.client.HTTPException) as exc:
                errors.append(type(exc).__name__)

    def page_rep(i: int) -> None:
        http_ = _Http(port)
        cookie = f"sessionid={people[i].session}"
        n = 0
        while time.monotonic() < stop:
            try:
                t0 = time.perf_counter()
                status, raw, response = http_.call("GET", "/queue/", None, {"Cookie": cookie})
                measure(queue_page, t0)
                lead, csrf = _CARD_LEAD.search(raw), _CSRF.search(raw)
                if status != 200 or not lead or not lead.group(1) or not csrf:
                    errors.append(f"page queue {status}")
                    time.sleep(think)
                    continue
                handed[i].append(lead.group(1).decode())
                set_cookie = response.getheader("Set-Cookie") or ""
                token = re.search(r"csrftoken=([^;]+)", set_cookie)
                if token:
                    cookie = f"sessionid={people[i].session}; csrftoken={token.group(1)}"
                time.sleep(think)
                outcome, reason = OUTCOMES[n % 2]
                body = urlencode(
                    {"lead": lead.group(1).decode(), "outcome": outcome, "reason": reason, "seconds": think}
                )
                headers = {
                    "Cookie": cookie,
                    "Content-Type": "application/x-www-form-urlencoded",
                    "X-CSRFToken": csrf.group(1).decode(),
                    "X-Requested-With": "fetch",
                    "Referer": f"http://127.0.0.1:{port}/queue/",
                }
                t0 = time.perf_counter()
                status, _, _ = http_.call("POST", "/queue/label/", body, headers)
                measure(label_page, t0)
                if status != 200:
                    errors.append(f"page label {status}")
                n += 1
                time.sleep(think)
            except (OSError, http.client.HTTPException) as exc:
                errors.append(type(exc).__name__)

    threads = [threading.Thread(target=api_rep if i % 2 == 0 else page_rep, args=(i,)) for i in range(reps)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    everyone = [key for keys in handed for key in set(keys)]
    return {
        "reps": reps,
        "think_s": think,
        "seconds": seconds,
        "api_queue_p50_ms": statistics.median(queue_api),
        "api_queue_p95_ms": _percentile(queue_api, 0.95),
        "page_queue_p50_ms": statistics.median(queue_page),
        "page_queue_p95_ms": _percentile(queue_page, 0.95),
        "api_label_p95_ms": _percentile(label_api, 0.95),
        "page_label_p95_ms": _percentile(label_page, 0.95),
        "requests": len(queue_api) + len(queue_page) + len(label_api) + len(label_page),
        "leads_to_two_reps": len(everyone) - len(set(everyone)),
        "errors": len(errors),
        "error_kinds": sorted(set(errors)),
    }


def label_throughput(port: int, *, clients: int = 20, seconds: float = 20.0, lease: int = 50) -> dict[str, Any]:
    """20 clients posting labels as fast as the server answers: each leases ``lease`` leads with
    GET /api/queue, then POSTs a label for each. Labels per second, and every 201 stored exactly once."""
    from feedback.models import Label

    people = _reps(clients, "load-client")
    stored_before = Label.objects.count()
    created: list[int] = [0] * clients
    latencies: list[float] = []
    handed: list[set[str]] = [set() for _ in people]
    errors: list[str] = []
    warm_until = time.monotonic() + WARM_UP_SECONDS
    stop = warm_until + seconds
    counted = [0] * clients

    def client(i: int) -> None:
        http_ = _Http(port)
        headers = {"Authorization": f"Token {people[i].token}", "Content-Type": "application/json"}
        n = 0
        while time.monotonic() < stop:
            try:
                status, raw, _ = http_.call("GET", f"/api/queue?limit={lease}", None, headers)
                keys = [lead["external_id"] for lead in json.loads(raw)["leads"]] if status == 200 else []
                if not keys:
                    errors.append(f"queue {status}")
                    continue
                handed[i].update(keys)
                for key in keys:
                    if time.monotonic() >= stop:
                        break
                    outcome, reason = OUTCOMES[n % 2]
                    t0 = time.perf_counter()
                    status, _, _ = http_.call(
                        "POST", "/api/labels", json.dumps({"lead": key, "outcome": outcome, "reason": reason}), headers
                    )
                    if status == 201:
                        created[i] += 1
                        if time.monotonic() >= warm_until:
                            counted[i] += 1
                            latencies.append(1000 * (time.perf_counter() - t0))
                    else:
                        errors.append(f"label {status}")
                    n += 1
            except (OSError, http.client.HTTPException) as exc:
                errors.append(type(exc).__name__)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    everyone = [key for keys in handed for key in keys]
    return {
        "clients": clients,
        "seconds": seconds,
        "labels_per_s": sum(counted) / seconds,
        "label_p50_ms": statistics.median(latencies),
        "label_p95_ms": _percentile(latencies, 0.95),
        "labels_created": sum(created),
        "labels_stored": Label.objects.count() - stored_before,
        "leads_to_two_clients": len(everyone) - len(set(everyone)),
        "errors": len(errors),
        "error_kinds": sorted(set(errors)),
    }
