"""The integration API's reads: a filtered list with a stable cursor, and CSV export."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import F, Q, QuerySet
from django.db.models.functions import Coalesce, Greatest

from leads.models import Lead
from leads.selectors import common_filters, stored_fields

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
    status: str = ""  # "" for every status
    industry: str = ""
    source: str = ""
    score_min: float | None = None
    score_max: float | None = None
    changed_since: datetime | None = None


@dataclass(frozen=True)
class SyncCursor:
    """Where a page ended: the last lead's (changed_at, id); the next page starts strictly after it."""

    changed_at: datetime
    lead_id: int

    def encode(self) -> str:
        raw = f"{self.changed_at.isoformat()}|{self.lead_id}".encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str) -> SyncCursor:
        """Raises ValueError for a cursor this API did not hand out."""
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
            when, lead_id = raw.rsplit("|", 1)
            changed_at = datetime.fromisoformat(when)
            if changed_at.tzinfo is None:
                raise ValueError
            return cls(changed_at=changed_at, lead_id=int(lead_id))
        except (ValueError, UnicodeDecodeError, binascii.Error):
            raise ValueError("not a cursor this API handed out") from None


def _changed_at() -> Greatest:
    """When a lead last changed for a CRM: rescored (scored_at) or updated (import, label, undo)."""
    return Greatest(Coalesce("scored_at", "updated_at"), F("updated_at"))


def lead_sync_list(*, filters: SyncFilters) -> QuerySet[Lead]:
    """Leads matching ``filters``, ordered by (changed_at, id): a stable order for cursor paging."""
    leads = common_filters(Lead.objects.get_queryset(), filters).annotate(changed_at=_changed_at())
    if filters.changed_since is not None:
        leads = leads.filter(changed_at__gt=filters.changed_since)
    return leads.order_by("changed_at", "id")


def lead_sync_page(
    *, filters: SyncFilters, after: SyncCursor | None, limit: int
) -> tuple[list[Lead], SyncCursor | None]:
    """One page of ``lead_sync_list`` and the cursor of the next (None on the last page)."""
    leads = lead_sync_list(filters=filters).only(*stored_fields(SYNC_COLUMNS))
    if after is not None:
        leads = leads.filter(Q(changed_at__gt=after.changed_at) | Q(changed_at=after.changed_at, id__gt=after.lead_id))
    rows = list(leads[: limit + 1])
    page = rows[:limit]
    if len(rows) <= limit:
        return page, None
    last = page[-1]
    return page, SyncCursor(changed_at=last.changed_at, lead_id=last.pk)  # type: ignore[attr-defined]


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
