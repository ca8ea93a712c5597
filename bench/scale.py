"""The scale benchmarks of `make bench`: import, rescore, label → fresh scores (the load under many
reps is in ``bench.load``)."""

from __future__ import annotations

import json
import math
import os
import re
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.setup import ROOT, bench_token, loop_settled, production_env, reset, wait_until, workers


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
    from leads.models import Lead, LeadStatus

    rep, _ = get_user_model().objects.get_or_create(username="bench-rep")
    set_role(user=rep, role=Role.REP)
    client = Client(headers={"Authorization": f"Token {bench_token(rep)}"})
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
