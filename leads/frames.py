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


TEXT_KINDS = (str, object)


def _read_frame(sql: str, columns: list[str], dtypes: dict[str, Any]) -> pd.DataFrame:
    """Run a query into a DataFrame. PostgreSQL: the server writes the rows as one CSV text value
    (``string_agg``), read by pandas' C parser: one message instead of one per row (a COPY sends a
    message per row, and reading a million of them costs seconds in Python). Elsewhere: fetchall.

    Every text column (``str``, or ``object`` for attribute values) is quoted the CSV way, so a
    value holds any comma, quote, newline or tab; NULL is an unquoted empty field. A ``str`` column
    reads NULL as "", an ``object`` column as NaN (a lead without that attribute)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            aliases = [f"c{j}" for j in range(len(columns))]
            fields = ", ".join(
                f"COALESCE('\"' || replace({alias}::text, '\"', '\"\"') || '\"', '')"
                if dtypes.get(name, object) in TEXT_KINDS
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
                dtype={name: dtypes.get(name, object) for name in columns},
                keep_default_na=False,
                na_values={name: [""] for name in columns if dtypes.get(name, object) is not str},
            )
        cursor.execute(sql)
        rows = cursor.fetchall()
    frame = pd.DataFrame.from_records(rows, columns=columns)
    return frame.astype({name: kind for name, kind in dtypes.items() if kind not in TEXT_KINDS})


def _sql_text(value: str) -> str:
    """A PostgreSQL string literal, quoted by psycopg for this connection (``sql.Literal``): for the
    attribute keys and activity types a COPY or a wrapped query takes as text, not as parameters."""
    from psycopg import sql

    connection.ensure_connection()
    return sql.Literal(value).as_string(connection.connection)


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
    wanted = pd.Index(np.asarray(lead_ids, dtype=np.int64), name="lead_id")
    if connection.vendor == "postgresql":
        # Only objects have keys; a lead whose attributes are not one (never stored by an import) is
        # flagged, and refused below if it is one of ``lead_ids`` (the range read may hold others).
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT DISTINCT jsonb_object_keys(attributes) FROM {table} "
                f"WHERE {where} AND jsonb_typeof(attributes) = 'object'"
            )
            keys = sorted(row[0] for row in cursor.fetchall() if row[0] not in columns)
        attribute_names = [f"attr{j}" for j in range(len(keys))]
        select += ", (jsonb_typeof(attributes) = 'object')::int"
        select += "".join(f", attributes ->> {_sql_text(key)}" for key in keys)
        frame = _read_frame(
            f"SELECT {select} FROM {table} WHERE {where}",
            [*columns, "attributes_object", *attribute_names],
            dtypes | {"attributes_object": float} | dict.fromkeys(attribute_names, object),
        )
        frame = frame.rename(columns=dict(zip(attribute_names, keys, strict=True))).set_index("id")
        frame = frame.reindex(wanted)
        not_objects = frame.index[frame.pop("attributes_object") == 0]
        if len(not_objects):
            raise ValueError(f"attributes: expected an object (leads {', '.join(map(str, not_objects[:5]))})")
        return frame
    dtypes["attributes"] = str
    frame = _read_frame(
        f"SELECT {select}, CAST(attributes AS text) FROM {table} WHERE {where}", [*columns, "attributes"], dtypes
    ).set_index("id")
    frame = frame[frame.index.isin(wanted)]  # a range read may hold leads not asked for
    attributes = frame.pop("attributes")
    filled = attributes[(attributes != "{}") & (attributes != "") & attributes.notna()]
    if len(filled):
        extra = pd.DataFrame.from_records([_attribute_texts(text) for text in filled], index=filled.index)
        frame = frame.join(extra.drop(columns=[c for c in extra.columns if c in frame.columns]))
    return frame.reindex(wanted)


def _attribute_texts(text: str) -> dict[str, Any]:
    """One lead's stored attributes as PostgreSQL's ``->>`` reads them: text and numbers as they
    are, a nested value as its JSON text. Attributes that are not an object raise ValueError (as
    PostgreSQL's ``jsonb_object_keys`` refuses them)."""
    parsed = json.loads(text)
    if not isinstance(parsed, dict):
        raise ValueError(f"attributes: expected an object, got {type(parsed).__name__}")
    return {
        key: json.dumps(value, ensure_ascii=False) if isinstance(value, (dict, list)) else value
        for key, value in parsed.items()
    }


def lead_attributes(*, lead_id: int) -> Any:
    """A lead's attributes as stored (whatever JSON they hold), for telling what cannot be read."""
    return Lead.objects.filter(pk=lead_id).values_list("attributes", flat=True).first()


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
