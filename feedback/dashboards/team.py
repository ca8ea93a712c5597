"""The team's labeling activity: labels per rep per day, time per label, skips."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Count
from django.db.models.functions import TruncDate
from django.utils import timezone

from feedback.models import Label, Lease, Skip
from feedback.selectors import queue_remaining


def _median(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def team_activity(*, since: date, until: date) -> dict[str, Any]:
    """Labels per rep per day, median seconds per label, skip rate, from ``since`` to ``until`` (inclusive)."""
    tz = timezone.get_current_timezone()
    start = datetime.combine(since, time.min, tzinfo=tz)
    end = datetime.combine(until + timedelta(days=1), time.min, tzinfo=tz)
    labels = Label.objects.filter(user__isnull=False, created_at__gte=start, created_at__lt=end)
    per_day = (
        labels.annotate(day=TruncDate("created_at", tzinfo=tz))
        .values("day", "user__username")
        .annotate(n=Count("id"))
        .order_by("day", "user__username")
    )
    days = [since + timedelta(days=i) for i in range((until - since).days + 1)]
    reps = sorted({row["user__username"] for row in per_day})
    grid = {rep: [0] * len(days) for rep in reps}
    for row in per_day:
        grid[row["user__username"]][(row["day"] - since).days] = row["n"]
    seconds: dict[str, list[float]] = {}
    for rep, value in labels.filter(seconds_to_label__isnull=False).values_list("user__username", "seconds_to_label"):
        seconds.setdefault(rep, []).append(value or 0.0)
    label_counts = dict(labels.values("user__username").annotate(n=Count("id")).values_list("user__username", "n"))
    skip_counts = dict(
        Skip.objects.filter(created_at__gte=start, created_at__lt=end)
        .values("user__username")
        .annotate(n=Count("id"))
        .values_list("user__username", "n")
    )
    everyone = sorted(set(label_counts) | set(skip_counts))
    per_rep = []
    for rep in everyone:
        n_labels, n_skips = label_counts.get(rep, 0), skip_counts.get(rep, 0)
        per_rep.append(
            {
                "rep": rep,
                "labels": n_labels,
                "skips": n_skips,
                "skip_rate": n_skips / (n_labels + n_skips) if n_labels + n_skips else 0.0,
                "median_seconds": _median(seconds.get(rep, [])),
                "per_day": n_labels / len(days),
            }
        )
    now = timezone.now()
    return {
        "days": days,
        "grid": grid,
        "per_rep": per_rep,
        "queue_free": queue_remaining(),
        "leased": Lease.objects.filter(expires_at__gt=now).count(),
    }
