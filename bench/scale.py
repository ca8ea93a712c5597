"""The scale benchmarks of `make bench`: import, rescore, label → fresh scores, queue and labels under load."""

from __future__ import annotations

import http.client
import json
import math
import os
import re
import resource
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from bench.setup import OUT, ROOT, loop_settled, production_env, reset, wait_until, workers

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
    """Train on the imported labels, then time two full rescores in one fresh process: the first
    reads every block's features from the database (cold), the second from the loop cache (warm).
    Peak memory is the process's, after both."""
    code = (
        "import django, json; django.setup()\n"
        "from learning import rescoring\n"
        "from learning.services import training\n"
        "from learning.models import RescoreRun\n"
        "from leads.models import Lead\n"
        "from leads.services import lead_blocks_touch\n"
        "training.train_model_version(labels_revision=1)\n"
        "lead_blocks_touch(lead_ids=Lead.objects.values_list('id', flat=True))\n"
        "out = {}\n"
        "for name in ('cold', 'warm'):\n"
        "    result = rescoring.rescore_open_leads()\n"
        "    run = RescoreRun.objects.latest('id')\n"
        "    out[name] = {'leads': result.leads, 'seconds': result.seconds, 'timings': run.timings}\n"
        # VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent (this benchmark, which
        # held the CSVs) across fork and exec; VmHWM is this program's own peak.
        "hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1]\n"
        "out['peak_rss_mib'] = int(hwm) / 1024\n"
        "print(json.dumps(out))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=production_env(), capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def _rescore_with_workers(*, cold: bool) -> dict[str, Any]:
    """Ask the running workers for a rescore and wait for it; what the run recorded."""
    from leads.models import Lead
    from leads.services import lead_blocks_touch
    from learning.models import RescoreChunk, RescoreRun
    from learning.services.workers import rescore_requested

    if cold:  # new block tokens: every block's features are read from the database again
        lead_blocks_touch(lead_ids=Lead.objects.values_list("id", flat=True))
    last = RescoreRun.objects.order_by("-id").values_list("id", flat=True).first() or 0
    started = time.perf_counter()
    rescore_requested()
    wait_until(lambda: RescoreRun.objects.filter(id__gt=last, finished_at__isnull=False).exists(), timeout=1800)
    elapsed = time.perf_counter() - started
    wait_until(loop_settled, timeout=1800)
    run = RescoreRun.objects.filter(id__gt=last, finished_at__isnull=False).earliest("id")
    by_worker: dict[str, int] = {}
    for claimed_by in RescoreChunk.objects.filter(run=run).values_list("claimed_by", flat=True):
        by_worker[claimed_by] = by_worker.get(claimed_by, 0) + 1
    return {
        "leads": run.leads,
        "seconds": run.seconds,
        "request_to_done_s": elapsed,
        "timings": run.timings,
        "chunks_per_worker": sorted(by_worker.values(), reverse=True),
    }


def fanout_figures(worker_counts: tuple[int, ...] = (1, 2)) -> dict[str, Any]:
    """A full rescore run by real workers, cold and warm, with 1 and with 2 worker processes: the
    loop's worker scores chunks itself and the others claim the rest."""
    out: dict[str, Any] = {}
    for count in worker_counts:
        with workers(count) as processes:
            wait_until(loop_settled, timeout=1800)
            out[str(count)] = {
                "cold": _rescore_with_workers(cold=True),
                "warm": _rescore_with_workers(cold=False),
                "worker_peak_rss_mib": worker_peak_rss_mib(processes),
            }
    return out


def label_to_visible_scores(labels: int = 5, worker_count: int = 2) -> dict[str, Any]:
    """With real workers: post a label, then poll the API until another open lead shows the new scores."""
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
    with workers(worker_count):
        from learning.services.workers import rescore_requested

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
    return {
        "labels": labels,
        "workers": worker_count,
        "p50_s": statistics.median(seconds),
        "p95_s": seconds[math.ceil(0.95 * len(seconds)) - 1],
        "max_s": seconds[-1],
    }


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
    from config.tokens import token_create

    reps = []
    for i in range(count):
        user, _ = get_user_model().objects.get_or_create(username=f"{prefix}-{i}")
        set_role(user=user, role=Role.REP)
        client = Client()
        client.force_login(user)
        reps.append(Rep(token=token_create(user=user), session=client.cookies["sessionid"].value))
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


def worker_peak_rss_mib(processes: list[subprocess.Popen[bytes]]) -> float:
    """The largest peak resident memory (VmHWM) among the worker processes and their children."""
    peak = 0.0
    pending = [p.pid for p in processes]
    while pending:
        pid = pending.pop()
        try:
            status = Path(f"/proc/{pid}/status").read_text()
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        except OSError:
            continue
        hwm = re.search(r"VmHWM:\s+(\d+) kB", status)
        if hwm:
            peak = max(peak, int(hwm.group(1)) / 1024)
        pending += [int(child) for child in children]
    return peak


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
