"""Reads of leads and activity: raw frames for the feature pipeline, lists and details for pages."""

from __future__ import annotations

import base64
import binascii
import io
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
from django.core.cache import cache
from django.db import connection
from django.db.models import F, Q, QuerySet
from django.db.models.functions import Coalesce, Greatest
from django.http import Http404

from config.pgcopy import read_fixed
from leads.models import BLOCK_SIZE, SCORE_FIELDS, Activity, Lead, LeadBlock, LeadScore, LeadStatus, ScoreEvent


def _lead_ids(where: str) -> np.ndarray:
    """Ids of the leads matching ``where``, ascending, as one array (one value on PostgreSQL)."""
    sql = f"SELECT id FROM {Lead._meta.db_table} WHERE {where} ORDER BY id"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            return read_fixed(cursor, sql, [("id", "int8")])["id"]
        cursor.execute(sql)
        return np.fromiter((row[0] for row in cursor.fetchall()), dtype=np.int64)


def open_lead_ids(*, block: int | None = None) -> np.ndarray:
    """Ids of the open leads (of one block of BLOCK_SIZE ids, or all), ascending."""
    where = f"status = '{LeadStatus.OPEN.value}'"
    if block is not None:
        where += f" AND id BETWEEN {int(block) * BLOCK_SIZE} AND {(int(block) + 1) * BLOCK_SIZE - 1}"
    return _lead_ids(where)


def lead_block_tokens() -> dict[int, str]:
    """Each block's current token (see LeadBlock)."""
    return dict(LeadBlock.objects.values_list("number", "token"))


def closed_lead_ids() -> np.ndarray:
    """Ids of every labeled (not open) lead, ascending (the ``lead_closed`` partial index)."""
    return _lead_ids(f"status <> '{LeadStatus.OPEN.value}'")


def _id_filter(column: str, lead_ids: Sequence[int]) -> str:
    """A WHERE clause for many ids: a range when they are dense (an index range scan), else a
    literal list. Ids are integers from the database, so the literal is safe to inline."""
    ids = np.asarray(lead_ids, dtype=np.int64)
    if ids.size == 0:
        return "FALSE"
    low, high = int(ids.min()), int(ids.max())
    if ids.size >= 0.5 * (high - low + 1):
        return f"{column} BETWEEN {low} AND {high}"
    listed = ",".join(map(str, ids.tolist()))
    if connection.vendor == "postgresql":
        return f"{column} = ANY('{{{listed}}}'::bigint[])"
    return f"{column} IN ({listed})"


def _read_frame(sql: str, columns: list[str], dtypes: dict[str, Any]) -> pd.DataFrame:
    """Run a query into a DataFrame. PostgreSQL: the server writes the rows as one CSV text value
    (``string_agg``), read by pandas' C parser: one message instead of one per row (a COPY sends a
    message per row, and reading a million of them costs seconds in Python). Elsewhere: fetchall."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            aliases = [f"c{j}" for j in range(len(columns))]
            fields = ", ".join(
                f"COALESCE('\"' || replace({alias}::text, '\"', '\"\"') || '\"', '')"
                if dtypes.get(name) is str
                else f"COALESCE({alias}::text, '')"
                for alias, name in zip(aliases, columns, strict=True)
            )
            cursor.execute(
                f"SELECT string_agg(concat_ws(',', {fields}), chr(10)) FROM ({sql}) AS q({', '.join(aliases)})"
            )
            text = cursor.fetchone()[0]
            if not text:
                return pd.DataFrame({name: pd.Series(dtype=dtypes.get(name, object)) for name in columns})
            return pd.read_csv(
                io.StringIO(text),
                names=columns,
                dtype=dtypes,
                keep_default_na=False,
                na_values={name: [""] for name, kind in dtypes.items() if kind is not str},
            )
        cursor.execute(sql)
        rows = cursor.fetchall()
    frame = pd.DataFrame.from_records(rows, columns=columns)
    return frame.astype({name: kind for name, kind in dtypes.items() if kind is not str})


def _sql_text(value: str) -> str:
    """A PostgreSQL string literal (standard_conforming_strings: only the quote is special)."""
    return "'" + value.replace("'", "''") + "'"


def _epoch_days_sql(column: str) -> str:
    if connection.vendor == "postgresql":
        return f"extract(epoch from {column}) / 86400.0"
    return f"(julianday({column}) - 2440587.5)"


_TEXT_COLUMNS = ["company", "industry", "title", "seniority", "department", "country", "source"]


def lead_profiles_frame(*, lead_ids: Sequence[int]) -> pd.DataFrame:
    """Profile and custom attributes, one row per lead, indexed by lead id, in ``lead_ids`` order.

    ``created_days`` is the creation time in days since the epoch. Attributes come as text on
    PostgreSQL (``->>``, one column per key present) and as their JSON types elsewhere; the
    feature pipeline reads numbers in text as numbers either way.
    """
    table = Lead._meta.db_table
    where = _id_filter("id", lead_ids)
    columns = ["id", *_TEXT_COLUMNS, "employees", "deal_value", "created_days"]
    select = f"id, {', '.join(_TEXT_COLUMNS)}, employees, deal_value, {_epoch_days_sql('created_at')}"
    dtypes: dict[str, Any] = {name: str for name in _TEXT_COLUMNS} | {
        "id": np.int64,
        "employees": float,
        "deal_value": float,
        "created_days": float,
    }
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT DISTINCT jsonb_object_keys(attributes) FROM {table} WHERE {where}")
            keys = sorted(row[0] for row in cursor.fetchall() if row[0] not in columns)
        attribute_names = [f"attr{j}" for j in range(len(keys))]
        select += "".join(f", attributes ->> {_sql_text(key)}" for key in keys)
        frame = _read_frame(
            f"SELECT {select} FROM {table} WHERE {where}",
            [*columns, *attribute_names],
            dtypes | dict.fromkeys(attribute_names, object),
        )
        frame = frame.rename(columns=dict(zip(attribute_names, keys, strict=True))).set_index("id")
    else:
        dtypes["attributes"] = str
        frame = _read_frame(
            f"SELECT {select}, CAST(attributes AS text) FROM {table} WHERE {where}", [*columns, "attributes"], dtypes
        ).set_index("id")
        attributes = frame.pop("attributes")
        filled = attributes[(attributes != "{}") & (attributes != "") & attributes.notna()]
        if len(filled):
            extra = pd.DataFrame.from_records([json.loads(text) for text in filled], index=filled.index)
            frame = frame.join(extra.drop(columns=[c for c in extra.columns if c in frame.columns]))
    return frame.reindex(pd.Index(np.asarray(lead_ids, dtype=np.int64), name="lead_id"))


def activity_events_frame(*, lead_ids: Sequence[int], activity_types: list[str] | None = None) -> pd.DataFrame:
    """Events of these leads as ``lead_id, type, occurred_days`` rows (days since the epoch).

    With ``activity_types`` (scoring, which knows the model's types) ``type`` is a categorical of
    those types, NaN for any other; on PostgreSQL it is then read as numbers by binary COPY.
    """
    table = Activity._meta.db_table
    columns = ["lead_id", "type", "occurred_days"]
    dtypes: dict[str, Any] = {"lead_id": np.int64, "type": str, "occurred_days": float}
    where = _id_filter("lead_id", lead_ids)
    if connection.vendor == "postgresql" and activity_types is not None:
        listed = ", ".join(_sql_text(kind) for kind in activity_types)
        sql = (
            f"SELECT lead_id, COALESCE(array_position(ARRAY[{listed}]::text[], type::text), 0), "
            f"(extract(epoch from occurred_at) / 86400.0)::float8 FROM {table} WHERE {where}"
        )
        with connection.cursor() as cursor:
            read = read_fixed(cursor, sql, [("lead_id", "int8"), ("code", "int4"), ("occurred_days", "float8")])
        kinds = pd.Categorical.from_codes(read["code"] - 1, categories=list(activity_types))
        return pd.DataFrame({"lead_id": read["lead_id"], "type": kinds, "occurred_days": read["occurred_days"]})
    if connection.vendor == "postgresql":
        # Activity types are normalised to [a-z0-9_] on import, so rows need no CSV quoting: the
        # server joins them into one text value, read in one message instead of one per event.
        sql = (
            "SELECT string_agg(lead_id::text || ',' || type || ',' || "
            f"(extract(epoch from occurred_at) / 86400.0)::text, chr(10)) FROM {table} WHERE {where}"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql)
            text = cursor.fetchone()[0]
        if not text:
            return pd.DataFrame({name: pd.Series(dtype=kind) for name, kind in dtypes.items()})
        return pd.read_csv(io.StringIO(text), names=columns, dtype=dtypes)
    sql = f"SELECT lead_id, type, {_epoch_days_sql('occurred_at')} FROM {table} WHERE {where}"
    return _read_frame(sql, columns, dtypes)


def lead_get(*, external_id: str) -> Lead | None:
    from leads.parsing import storable_text_problem

    if storable_text_problem(external_id):
        return None  # no stored id holds such text, and PostgreSQL refuses to compare with it
    return Lead.objects.filter(external_id=external_id).first()


def lead_to_label(*, external_id: str) -> Lead | None:
    """The lead a label is about: its id, external id, company and the score a rep saw (the label
    path reads nothing else, and every API label starts here)."""
    from leads.parsing import storable_text_problem

    if storable_text_problem(external_id):
        return None
    return (
        Lead.rows.filter(external_id=external_id)
        .annotate(score=F("current__score"), model_version=F("current__model_version"))
        .only("id", "external_id", "company")
        .order_by()
        .first()
    )


def lead_get_or_404(*, external_id: str) -> Lead:
    """For pages: the lead, or a 404 page."""
    lead = lead_get(external_id=external_id)
    if lead is None:
        raise Http404("No such lead.")
    return lead


def lead_activities(*, lead: Lead, limit: int = 200) -> list[Activity]:
    return list(lead.activities.order_by("-occurred_at")[:limit])


def lead_score_history(*, lead: Lead, limit: int = 50) -> list[ScoreEvent]:
    """Labels, undos and big score moves of a lead, newest first."""
    return list(lead.score_events.select_related("user").order_by("-recorded_at", "-id")[:limit])


SORTS = {
    "priority": ("-priority", "id"),
    "score": ("-score", "id"),
    "-score": ("score", "id"),
    "expected_value": ("-expected_value", "id"),
    "uncertainty": ("-uncertainty", "id"),
    "created": ("-created_at", "id"),
    "company": ("company", "id"),
}


@dataclass(frozen=True)
class LeadFilters:
    status: str = "open"
    industry: str = ""
    source: str = ""
    q: str = ""
    sort: str = "score"
    score_min: float | None = None  # P(convert), 0..1
    score_max: float | None = None
    expected_value_min: float | None = None
    uncertainty_min: float | None = None  # 0..0.5
    reason: str = ""  # a reason code of the lead's label


def _common_filters(leads: QuerySet[Lead], filters: LeadFilters | SyncFilters) -> QuerySet[Lead]:
    """The filters the lead list, the CSV export and CRM sync share."""
    if filters.status in LeadStatus.values:
        leads = leads.filter(status=filters.status)
    if filters.industry:
        leads = leads.filter(industry=filters.industry)
    if filters.source:
        leads = leads.filter(source=filters.source)
    if filters.score_min is not None:
        leads = leads.filter(score__gte=filters.score_min)
    if filters.score_max is not None:
        leads = leads.filter(score__lte=filters.score_max)
    return leads


def lead_list(*, filters: LeadFilters) -> QuerySet[Lead]:
    leads = _common_filters(Lead.objects.all(), filters)
    if filters.expected_value_min is not None:
        leads = leads.filter(expected_value__gte=filters.expected_value_min)
    if filters.uncertainty_min is not None:
        leads = leads.filter(uncertainty__gte=filters.uncertainty_min)
    if filters.reason:
        leads = leads.filter(label__reason__code=filters.reason)
    if filters.q:
        leads = leads.filter(Q(external_id__iexact=filters.q) | Q(company__icontains=filters.q))
    return leads.order_by(*SORTS.get(filters.sort, SORTS["score"]))


def _fields(columns: Sequence[str]) -> list[str]:
    """The lead's own fields among ``columns`` (score columns are always read, through LeadManager)."""
    return [name for name in columns if name not in SCORE_FIELDS]


LIST_COLUMNS = (
    "external_id",
    "company",
    "industry",
    "source",
    "status",
    "score",
    "fit_score",
    "behavior_score",
    "expected_value",
    "uncertainty",
)


def lead_page(*, filters: LeadFilters, number: int, size: int) -> tuple[list[Lead], bool]:
    """One page of the list and whether another follows: reads ``size + 1`` rows and never counts
    the whole match (a COUNT(*) over 100k leads costs more than the page itself)."""
    start = (max(number, 1) - 1) * size
    leads = lead_list(filters=filters).only(*_fields(LIST_COLUMNS))
    if SORTS.get(filters.sort, SORTS["score"])[0].lstrip("-") not in SCORE_FIELDS:
        rows = list(leads[start : start + size + 1])
        return rows[:size], len(rows) > size
    # A score sort walks that column's index in the score table (an inner join; over the LEFT JOIN
    # every lead would be sorted: 0.5 s at 1M); leads not scored yet follow the scored ones.
    rows = list(leads.scored()[start : start + size + 1])
    if len(rows) <= size:
        scored_total = start + len(rows) if rows else leads.scored().count()
        unscored = leads.filter(current__isnull=True).order_by("id")
        skip = max(start - scored_total, 0)
        rows += list(unscored[skip : skip + size + 1 - len(rows)])
    return rows[:size], len(rows) > size


def lead_facets() -> dict[str, list[str]]:
    """Industries and sources to filter by; a DISTINCT over every lead, so cached for a few minutes."""
    from django.core.cache import cache

    return cache.get_or_set("leads:facets", _lead_facets, timeout=300)


def _lead_facets() -> dict[str, list[str]]:
    return {
        "industry": list(
            Lead.objects.exclude(industry="").order_by().values_list("industry", flat=True).distinct()[:200]
        ),
        "source": list(Lead.objects.exclude(source="").order_by().values_list("source", flat=True).distinct()[:200]),
    }


def lead_counts() -> dict[str, int]:
    from django.db.models import Count

    return {row["status"]: row["n"] for row in Lead.objects.values("status").annotate(n=Count("id")).order_by()}


def open_lead_scores() -> list[tuple[float | None, float | None]]:
    """(score, deal value) of every open lead."""
    return list(Lead.objects.filter(status=LeadStatus.OPEN).values_list("score", "deal_value"))


def lead_summaries(*, lead_ids: Sequence[int]) -> dict[int, dict[str, object]]:
    rows = Lead.objects.filter(id__in=list(lead_ids)).values("id", "external_id", "company", "industry", "score")
    return {row["id"]: {**row, "current": row["score"]} for row in rows}


# --- The integration API's reads: a filtered list with a stable cursor, and CSV export ---------

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
    leads = _common_filters(Lead.objects.annotate(changed_at=_changed_at()), filters)
    if filters.changed_since is not None:
        leads = leads.filter(changed_at__gt=filters.changed_since)
    return leads.order_by("changed_at", "id")


def lead_sync_page(
    *, filters: SyncFilters, after: SyncCursor | None, limit: int
) -> tuple[list[Lead], SyncCursor | None]:
    """One page of ``lead_sync_list`` and the cursor of the next (None on the last page)."""
    leads = lead_sync_list(filters=filters).only(*_fields(SYNC_COLUMNS))
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


def open_lead_keys_and_scores() -> pd.DataFrame:
    """``external_id`` and current ``score`` of every open lead, indexed by id (for the webhook's diff)."""
    sql = (
        f"SELECT l.id, l.external_id, s.score FROM {Lead._meta.db_table} AS l LEFT JOIN {LeadScore._meta.db_table} "
        f"AS s ON s.lead_id = l.id WHERE l.status = '{LeadStatus.OPEN.value}'"
    )
    frame = _read_frame(sql, ["id", "external_id", "score"], {"id": np.int64, "external_id": str, "score": float})
    return frame.set_index("id")


FIELD_SAMPLE = 2000


def attribute_names(*, sample: int = FIELD_SAMPLE) -> list[str]:
    """The custom attribute names of the newest ``sample`` leads, sorted (cached a few minutes)."""

    def read() -> list[str]:
        names: set[str] = set()
        for attributes in Lead.rows.order_by("-id").values_list("attributes", flat=True)[:sample]:
            names.update(attributes or {})
        return sorted(names)

    return list(cache.get_or_set("leads:attribute-names", read, timeout=300))


def activity_type_names(*, sample: int = 10 * FIELD_SAMPLE) -> list[str]:
    """The activity types among the newest ``sample`` events, sorted (cached a few minutes)."""

    def read() -> list[str]:
        return sorted(set(Activity.objects.order_by("-id").values_list("type", flat=True)[:sample]))

    return list(cache.get_or_set("leads:activity-types", read, timeout=300))
