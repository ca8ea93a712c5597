"""The integration API's reads: a filtered list with a stable cursor, and CSV export."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from django.db.models import F, Max, QuerySet
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from leads.models import Lead
from leads.selectors import LeadFilters, leads_matching, stored_fields

SYNC_COLUMNS = (
    "external_id",
    "company",
    "industry",
    "source",
    "status",
    "deal_value",
    "score",
    "fit_score",
    "behavior_score",
    "expected_value",
    "uncertainty",
    "model_version",
    "scored_at",
    "updated_at",
)


@dataclass(frozen=True)
class SyncFilters:
    """The lead list's filters (every status unless one is given) and, for a sync, when a lead last changed."""

    leads: LeadFilters = field(default_factory=lambda: LeadFilters(status=""))
    changed_since: datetime | None = None


@dataclass(frozen=True)
class SyncCursor:
    """A sync is a snapshot: the leads that existed when its first page was read (ids up to
    ``max_id``), walked in id order, so it ends after about total/limit pages whatever changes
    meanwhile, and returns each of them that matches the filters. ``after_id`` is where the last
    page ended. What changed or arrived after ``started_at`` is the next sync's, from that time."""

    started_at: datetime
    max_id: int
    after_id: int = 0

    FORMAT = "s1"

    def encode(self) -> str:
        raw = f"{self.FORMAT}|{self.started_at.isoformat()}|{self.max_id}|{self.after_id}".encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str) -> SyncCursor:
        """Raises ValueError for a cursor this API did not hand out."""
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
            kind, when, max_id, after_id = raw.split("|")
            started_at = datetime.fromisoformat(when)
            if kind != cls.FORMAT or started_at.tzinfo is None:
                raise ValueError
            return cls(started_at=started_at, max_id=int(max_id), after_id=int(after_id))
        except (ValueError, UnicodeDecodeError, binascii.Error):
            raise ValueError("not a cursor this API handed out (start the sync again without one)") from None

    @classmethod
    def start(cls) -> SyncCursor:
        """A new snapshot: now, and the highest lead id so far."""
        started_at = timezone.now()
        return cls(started_at=started_at, max_id=Lead.objects.aggregate(top=Max("id"))["top"] or 0)


def _changed_at() -> Greatest:
    """When a lead last changed for a CRM: rescored (scored_at) or updated (import, label, undo)."""
    return Greatest(Coalesce("scored_at", "updated_at"), F("updated_at"))


def lead_sync_list(*, filters: SyncFilters) -> QuerySet[Lead]:
    """Leads matching ``filters``, ordered by (changed_at, id) (the CSV export's order)."""
    leads = leads_matching(Lead.objects.get_queryset(), filters.leads).annotate(changed_at=_changed_at())
    if filters.changed_since is not None:
        leads = leads.filter(changed_at__gt=filters.changed_since)
    return leads.order_by("changed_at", "id")


def lead_sync_page(*, filters: SyncFilters, after: SyncCursor | None, limit: int) -> tuple[list[Lead], SyncCursor]:
    """One page of a sync (a new snapshot without ``after``): the matching leads of the snapshot
    past ``after.after_id`` in id order, and the cursor the page ends at (``more`` tells whether
    another page follows: see ``sync_more``). Filters are read at each page, so a lead that stops
    matching mid-sync is not returned by the pages after."""
    cursor = after or SyncCursor.start()
    leads = (
        lead_sync_list(filters=filters)
        .filter(id__gt=cursor.after_id, id__lte=cursor.max_id)
        .order_by("id")
        .only(*stored_fields(SYNC_COLUMNS))
    )
    rows = list(leads[: limit + 1])
    page = rows[:limit]
    more = len(rows) > limit
    return page, replace(cursor, after_id=page[-1].pk if more else cursor.max_id)


def sync_more(cursor: SyncCursor) -> bool:
    """Whether the snapshot has leads past the cursor."""
    return cursor.after_id < cursor.max_id


EXPORT_COLUMNS = (
    "external_id",
    "company",
    "industry",
    "employees",
    "title",
    "country",
    "source",
    "deal_value",
    "status",
    "score",
    "fit_score",
    "behavior_score",
    "expected_value",
    "uncertainty",
    "model_version",
    "scored_at",
)


def lead_export_rows(*, filters: SyncFilters) -> Iterator[tuple[Any, ...]]:
    """Every matching lead as a tuple of EXPORT_COLUMNS, streamed from the database in chunks."""
    return lead_sync_list(filters=filters).values_list(*EXPORT_COLUMNS).iterator(chunk_size=2000)
