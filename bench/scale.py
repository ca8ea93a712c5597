"""The scale benchmarks of `make bench`: import, rescore, label → fresh scores, queue and labels under load."""

from __future__ import annotations

import http.client
import json
import math
import os
import resource
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from bench.setup import OUT, ROOT, loop_settled, reset, wait_until, workers

WARM_UP_SECONDS = 5.0


def _manage(*args: str) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=os.environ, capture_output=True, text=True, check=True
    )
    return time.perf_counter() - started, done.stdout.strip().splitlines()[-1]


def import_figures(leads_csv: Path, events_csv: Path) -> dict[str, Any]:
    reset()
    seconds, summary = _manage("import_leads", str(leads_csv), "--outcome-column", "outcome")
    events_seconds, events_summary = _manage("import_activities", str(events_csv))
    return {"leads_s": seconds, "leads": summary, "activities_s": events_seconds, "activities": events_summary}


def rescore_figures() -> dict[str, Any]:
    """Train on the imported labels, then time a full rescore in a fresh process (its peak memory too)."""
    code = (
        "import django, json, resource, time; django.setup()\n"
        "from learning import services\n"
        "services.train_model_version(labels_revision=1)\n"
        "result = services.rescore_open_leads()\n"
        "print(json.dumps({'leads': result.leads, 'seconds': result.seconds,"
        " 'peak_rss_mib': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=os.environ, capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def label_to_visible_scores(labels: int = 5) -> dict[str, Any]:
    """With a real worker: post a label, then poll the API until another open lead shows the new scores."""
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.utils.dateparse import parse_datetime

    from config.roles import Role, set_role
    from config.tokens import token_create
    from leads.models import Lead, LeadStatus

    rep, _ = get_user_model().objects.get_or_create(username="bench-rep")
    set_role(user=rep, role=Role.REP)
    client = Client(headers={"Authorization": f"Token {token_create(user=rep)}"})
    seconds = []
    with workers(1):
        from learning.services import rescore_requested

        rescore_requested()
        wait_until(loop_settled, timeout=1800)
        for i in range(labels):
            lead = client.get("/api/queue", {"limit": 1}).json()["leads"][0]
            other = (
                Lead.objects.filter(status=LeadStatus.OPEN)
                .exclude(external_id=lead["external_id"])
                .order_by("?")
                .first()
            )
            before = client.get(f"/api/leads/{other.external_id}").json()["scored_at"]
            started = time.perf_counter()
            body = {
                "lead": lead["external_id"],
                "outcome": ["converted", "not_converted"][i % 2],
                "reason": ["champion", "no_budget"][i % 2],
            }
            assert client.post("/api/labels", body, content_type="application/json").status_code == 201

            def visible(key: str = other.external_id, old: str = before) -> bool:
                now = client.get(f"/api/leads/{key}").json()["scored_at"]
                return now is not None and (old is None or parse_datetime(now) > parse_datetime(old))

            wait_until(visible, timeout=1800)
            seconds.append(time.perf_counter() - started)
            wait_until(loop_settled, timeout=1800)
    seconds.sort()
    return {"labels": labels, "p50_s": statistics.median(seconds), "p95_s": seconds[math.ceil(0.95 * len(seconds)) - 1]}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def concurrent_reps(reps: int = 20, seconds: float = 20.0) -> dict[str, Any]:
    """20 reps against gunicorn over HTTP on loopback: GET /api/queue?limit=1, then POST /api/labels,
    for ``seconds``. Latencies, label throughput, and the check that no lead went to two reps."""
    from django.contrib.auth import get_user_model

    from config.roles import Role, set_role
    from config.tokens import token_create
    from feedback.models import Label

    tokens = []
    for i in range(reps):
        user, _ = get_user_model().objects.get_or_create(username=f"load-rep-{i}")
        set_role(user=user, role=Role.REP)
        tokens.append(token_create(user=user))
    labels_before = Label.objects.count()
    port = _free_port()
    log = open(OUT / "gunicorn.log", "wb")  # noqa: SIM115
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi",
            "--workers",
            "4",
            "--threads",
            "4",
            "--bind",
            f"127.0.0.1:{port}",
        ],
        cwd=ROOT,
        env=os.environ,
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
        queue_ms: list[float] = []
        label_ms: list[float] = []
        handed: list[set[str]] = [set() for _ in range(reps)]
        errors: list[str] = []
        warm_until = time.monotonic() + WARM_UP_SECONDS  # first requests load code and the model per process
        stop = warm_until + seconds

        def call(
            conn: http.client.HTTPConnection, method: str, path: str, body: str | None, headers: dict[str, str]
        ) -> tuple[int, bytes]:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            return response.status, response.read()

        def rep(i: int) -> None:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            headers = {"Authorization": f"Token {tokens[i]}", "Content-Type": "application/json"}
            n = 0
            while time.monotonic() < stop:
                measuring = time.monotonic() >= warm_until
                try:
                    t0 = time.perf_counter()
                    status, raw = call(conn, "GET", "/api/queue?limit=1", None, headers)
                    if measuring:
                        queue_ms.append(1000 * (time.perf_counter() - t0))
                    leads = json.loads(raw)["leads"] if status == 200 else []
                    if not leads:
                        errors.append(f"queue {status}")
                        continue
                    key = leads[0]["external_id"]
                    handed[i].add(key)
                    body = json.dumps(
                        {
                            "lead": key,
                            "outcome": ["converted", "not_converted"][n % 2],
                            "reason": ["champion", "no_budget"][n % 2],
                        }
                    )
                    t0 = time.perf_counter()
                    status, _ = call(conn, "POST", "/api/labels", body, headers)
                    if measuring:
                        label_ms.append(1000 * (time.perf_counter() - t0))
                    if status != 201:
                        errors.append(f"label {status}")
                    n += 1
                except (OSError, http.client.HTTPException) as exc:  # a closed keep-alive: reconnect
                    errors.append(type(exc).__name__)
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

        threads = [threading.Thread(target=rep, args=(i,)) for i in range(reps)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = seconds
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
    everyone = [key for keys in handed for key in keys]
    stored = Label.objects.count() - labels_before
    queue_ms.sort()
    label_ms.sort()
    return {
        "reps": reps,
        "seconds": elapsed,
        "queue_p50_ms": statistics.median(queue_ms),
        "queue_p95_ms": queue_ms[math.ceil(0.95 * len(queue_ms)) - 1],
        "label_p50_ms": statistics.median(label_ms),
        "label_p95_ms": label_ms[math.ceil(0.95 * len(label_ms)) - 1],
        "labels_per_s": len(label_ms) / elapsed,
        "labels_posted": len(label_ms),
        "labels_stored": stored,
        "leads_to_two_reps": len(everyone) - len(set(everyone)),
        "errors": len(errors),
        "error_kinds": sorted(set(errors)),
    }


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
