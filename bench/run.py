"""`make bench`: the loop's speed on this machine, printed as a table and written as JSON.

Uses DATABASE_URL / CELERY_BROKER_URL like the app (a separate database, leadloop_bench),
with real Celery workers. Takes no arguments; the environment sets its sizes:

    BENCH_LEADS=100000         leads imported and rescored (1000000 for the full size)
    BENCH_LABELS=10            labels timed from the API to every open lead's fresh score
    BENCH_LOAD_SECONDS=30      how long each load test (reps at the queue, labels as fast as answered) runs
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import time
from datetime import UTC, datetime

from bench.setup import OUT, bench_token, configure, loop_settled, reset, table, wait_until, workers


def label_to_fresh_scores(labels: int = 10) -> dict[str, float]:
    """The demo team: post a label through the API, wait until the other open leads carry new scores."""
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.utils import timezone

    from config.roles import Role, set_role
    from leads.demo import generate
    from leads.models import Lead, LeadStatus
    from leads.services import import_activities, import_leads

    reset()
    data = generate(n_leads=400, now=timezone.now())
    rep, _ = get_user_model().objects.get_or_create(username="bench-rep")
    set_role(user=rep, role=Role.REP)
    client = Client(headers={"Authorization": f"Token {bench_token(rep)}"})
    seconds = []
    with workers(1):
        import_leads(rows=enumerate(data.leads, start=2), outcome_column="outcome")
        import_activities(rows=enumerate(data.activities, start=2))
        from learning.services.workers import rescore_requested

        rescore_requested()
        wait_until(loop_settled)
        for i in range(labels):
            lead = client.get("/api/queue", {"limit": 1}).json()["leads"][0]
            other = Lead.objects.filter(status=LeadStatus.OPEN).exclude(external_id=lead["external_id"]).first()
            started_at = timezone.now()
            started = time.perf_counter()
            body = {
                "lead": lead["external_id"],
                "outcome": ["converted", "not_converted"][i % 2],
                "reason": ["champion", "no_budget"][i % 2],
            }
            assert client.post("/api/labels", body, content_type="application/json").status_code == 201
            wait_until(lambda o=other, t=started_at: Lead.objects.get(pk=o.pk).scored_at > t, timeout=120)
            seconds.append(time.perf_counter() - started)
            wait_until(loop_settled)
    return {
        "labels": labels,
        "p50_s": statistics.median(seconds),
        "p95_s": sorted(seconds)[math.ceil(0.95 * len(seconds)) - 1],
        "max_s": max(seconds),
    }


def _stages(timings: dict[str, float]) -> str:
    return ", ".join(f"{name} {seconds:.1f}" for name, seconds in timings.items())


def main() -> None:
    argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter).parse_args()
    configure()
    from pathlib import Path

    from django.conf import settings
    from django.db import connection

    from bench import load, scale
    from bench.data import write_csvs

    size = int(os.environ.get("BENCH_LEADS", "100000"))
    results: dict[str, object] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "database": connection.vendor,
        "broker": settings.CELERY_BROKER_URL.split("://")[0],
        "leads": size,
    }
    rows = [("what", "figure", "setting / target")]

    loop = label_to_fresh_scores()
    results["label_to_fresh_scores_demo"] = loop
    rows.append(
        (
            "label → fresh scores, demo team (400 leads)",
            f"p50 {loop['p50_s']:.2f} s, p95 {loop['p95_s']:.2f} s",
            f"{loop['labels']} labels, 1 worker",
        )
    )

    leads_csv, events_csv = write_csvs(Path(OUT / "data"), leads=size)
    imports = scale.import_figures(leads_csv, events_csv)
    results["import"] = imports
    rows.append((f"import_leads, {size:,} rows", f"{imports['leads_s']:.1f} s", f"{imports['leads']}; ≤ 60 s at 1M"))
    rows.append(("import_activities", f"{imports['activities_s']:.1f} s", imports["activities"]))

    rescore = scale.rescore_figures()
    results["rescore_one_process"] = rescore
    for name in ("cold", "warm"):
        run = rescore[name]
        rows.append(
            (
                f"rescore {run['leads']:,} open leads, one process, features {name}",
                f"{run['seconds']:.1f} s",
                _stages(run["timings"]) + "; ≤ 15 s at 1M",
            )
        )
    rows.append(("peak memory of that process", f"{rescore['peak_rss_mib']:.0f} MiB", "≤ 2 GiB"))

    fanout = scale.fanout_figures()
    results["rescore_workers"] = fanout
    for count, runs in fanout.items():
        for name in ("cold", "warm"):
            run = runs[name]
            rows.append(
                (
                    f"rescore by {count} worker{'s' if count != '1' else ''}, features {name}",
                    f"{run['seconds']:.1f} s",
                    f"chunks per worker {run['chunks_per_worker']}; " + _stages(run["timings"]),
                )
            )
        rows.append((f"peak memory of a worker ({count} running)", f"{runs['worker_peak_rss_mib']:.0f} MiB", "≤ 2 GiB"))

    labels = int(os.environ.get("BENCH_LABELS", "10"))
    for count in (2, 1):
        visible = scale.label_to_visible_scores(labels=labels, worker_count=count)
        results[f"label_to_visible_scores_{count}_workers"] = visible
        rows.append(
            (
                f"label → every open lead rescored, visible in the API ({size:,} leads)",
                f"p50 {visible['p50_s']:.1f} s, p95 {visible['p95_s']:.1f} s",
                f"{visible['labels']} labels, {count} worker{'s' if count > 1 else ''}; 100k: p50 ≤ 2 s, p95 ≤ 5 s; "
                "1M: p50 ≤ 15 s",
            )
        )

    load_seconds = float(os.environ.get("BENCH_LOAD_SECONDS", "30"))
    with load.gunicorn() as port:
        with workers(1):
            paced = load.paced_reps(port, seconds=load_seconds)
        throughput = load.label_throughput(port, seconds=load_seconds)
    results["paced_reps"] = paced
    results["label_throughput"] = throughput
    rows.append(
        (
            f"GET /api/queue, {paced['reps']} reps at work ({size:,} leads)",
            f"p50 {paced['api_queue_p50_ms']:.0f} ms, p95 {paced['api_queue_p95_ms']:.0f} ms",
            f"gunicorn 3×6 + 1 worker, {paced['think_s']:.0f} s between a rep's requests; p95 ≤ 50 ms",
        )
    )
    rows.append(
        (
            "GET /queue/ (the page), same reps",
            f"p50 {paced['page_queue_p50_ms']:.0f} ms, p95 {paced['page_queue_p95_ms']:.0f} ms",
            f"leads to two reps {paced['leads_to_two_reps']}, errors {paced['errors']}; p95 ≤ 50 ms",
        )
    )
    rows.append(
        (
            f"POST /api/labels, {throughput['clients']} clients as fast as answered",
            f"{throughput['labels_per_s']:.0f} labels/s",
            f"p95 {throughput['label_p95_ms']:.0f} ms; created {throughput['labels_created']}, stored "
            f"{throughput['labels_stored']}, leads to two clients {throughput['leads_to_two_clients']}, "
            f"errors {throughput['errors']}; gunicorn 3×6, no worker; ≥ 200/s",
        )
    )

    print()
    print(f"Leadloop benchmark, {results['date']}, {results['machine']}, {results['database']} + {results['broker']}")
    print(table(rows))
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "bench.json").write_text(json.dumps(results, indent=2))
    print(f"\nwritten to {OUT / 'bench.json'}")


if __name__ == "__main__":
    main()
