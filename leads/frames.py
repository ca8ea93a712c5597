"""Bulk reads of leads and activity for the learning loop: ids of open leads, raw frames for the
feature pipeline, scores for the webhook's diff. Read in one message per query on PostgreSQL."""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from django.db import connection

from config.pgcopy import read_fixed
from leads.models import BLOCK_SIZE, PROFILE_FIELDS, Activity, Lead, LeadBlock, LeadScore, LeadStatus
from leads.parsing import PROFILE_TEXT_FIELDS

# Lead ids as a list or as the array a rescore block carries.
LeadIds = Sequence[int] | np.ndarray


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


def _id_filter(column: str, lead_ids: LeadIds) -> str:
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


_TEXT_COLUMNS = [name for name in PROFILE_FIELDS if name in PROFILE_TEXT_FIELDS]


def lead_profiles_frame(*, lead_ids: LeadIds) -> pd.DataFrame:
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


def activity_events_frame(*, lead_ids: LeadIds, activity_types: list[str] | None = None) -> pd.DataFrame:
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


def open_lead_scores() -> list[tuple[float | None, float | None]]:
    """(score, deal value) of every open lead."""
    return list(Lead.objects.filter(status=LeadStatus.OPEN).values_list("score", "deal_value"))  # type: ignore[misc]  # LeadManager's annotation


def open_lead_keys_and_scores() -> pd.DataFrame:
    """``external_id`` and current ``score`` of every open lead, indexed by id (for the webhook's diff)."""
    sql = (
        f"SELECT l.id, l.external_id, s.score FROM {Lead._meta.db_table} AS l LEFT JOIN {LeadScore._meta.db_table} "
        f"AS s ON s.lead_id = l.id WHERE l.status = '{LeadStatus.OPEN.value}'"
    )
    frame = _read_frame(sql, ["id", "external_id", "score"], {"id": np.int64, "external_id": str, "score": float})
    return frame.set_index("id")
