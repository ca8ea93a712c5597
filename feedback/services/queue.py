"""The queue: lease the next leads to a rep, and skips."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from feedback.models import SKIP_COOLDOWN, Lease, Skip
from leads.models import Lead, LeadStatus

CLAIM_ATTEMPTS = 3


def lease_next_leads(*, user: User, limit: int, lease_minutes: int) -> list[Lead]:
    """The user's queue: leads already leased to them, then the highest-priority free leads,
    claimed for ``lease_minutes`` (the loop settings'), so that two reps asking at the same instant
    never get the same lead."""
    now = timezone.now()
    minutes = lease_minutes
    with transaction.atomic():
        own = list(
            # Most recently leased first, so an undone lead is shown again at once.
            Lead.objects.filter(status=LeadStatus.OPEN, lease__user=user, lease__expires_at__gt=now).order_by(  # type: ignore[misc]  # priority: LeadManager's annotation
                "-lease__leased_at", "-priority", "id"
            )[:limit]
        )
        wanted = limit - len(own)
        claimed: list[Lead] = []
        if wanted > 0:
            leased = Lease.objects.filter(lead=OuterRef("pk"), expires_at__gt=now)
            skipped = Skip.objects.filter(lead=OuterRef("pk"), user=user, created_at__gt=now - SKIP_COOLDOWN)
            free = Lead.objects.filter(status=LeadStatus.OPEN).filter(~Exists(leased), ~Exists(skipped))
            seen: set[int] = set()
            for _ in range(CLAIM_ATTEMPTS):
                candidates = _lockable_candidates(free.exclude(pk__in=seen), count=wanted * 2)
                if not candidates:
                    break
                seen.update(lead.pk for lead in candidates)
                # Re-read leases after locking: a rep who committed a lease since our snapshot wins
                # (all our candidates may be theirs: then look further down the queue).
                taken = set(
                    Lease.objects.filter(lead_id__in=[lead.pk for lead in candidates], expires_at__gt=now).values_list(
                        "lead_id", flat=True
                    )
                )
                claimed += [lead for lead in candidates if lead.pk not in taken][: wanted - len(claimed)]
                if len(claimed) >= wanted:
                    break
            if claimed:
                Lease.objects.bulk_create(
                    [
                        Lease(
                            lead=lead,
                            user=user,
                            leased_at=now,
                            expires_at=now + timedelta(minutes=minutes),
                            propensity=lead.propensity,  # the pick probability of the rescore that ranked it
                        )
                        for lead in claimed
                    ],
                    update_conflicts=True,
                    unique_fields=["lead"],
                    update_fields=["user", "leased_at", "expires_at", "propensity"],
                )
    return own + claimed


def leases_release(*, user: User) -> int:
    """Hand the leads leased to ``user`` back to the queue (they can no longer work them); returns how many."""
    released, _ = Lease.objects.filter(user=user).delete()
    return released


def _lockable_candidates(free: QuerySet[Lead], *, count: int) -> list[Lead]:
    """Up to ``count`` free leads, best first, locked (rows other reps hold locked are skipped)."""
    # Scored leads by priority: a walk down the score table's priority index.
    candidates = list(
        free.filter(priority__isnull=False)  # type: ignore[misc]  # LeadManager's annotation, unseen by the plugin
        .order_by("-priority", "id")
        .select_for_update(skip_locked=True, of=("self",))[:count]
    )
    if len(candidates) < count:  # the scored pool ran dry (or nothing is scored yet)
        candidates += list(
            free.filter(current__isnull=True)
            .order_by("id")
            .select_for_update(skip_locked=True, of=("self",))[: count - len(candidates)]
        )
    return candidates


def lead_skip(*, user: User, lead: Lead) -> None:
    """Pass on a lead: release the user's lease; it goes back to the pool for the others."""
    with transaction.atomic():
        Lease.objects.filter(lead=lead, user=user).delete()
        Skip.objects.create(lead=lead, user=user)
