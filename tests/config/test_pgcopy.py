"""PostgreSQL's binary COPY built with NumPy, and fixed-width reads parsed with NumPy.

The payload tests need no database: they parse the bytes back. The round trips through a
temporary table and ``read_fixed`` need PostgreSQL (the functions are PostgreSQL-only by design).
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import numpy as np
import pytest
from django.db import connection

from config.pgcopy import (
    HEADER,
    POSTGRES_EPOCH,
    SIGNATURE,
    TRAILER,
    Column,
    binary_copy_payload,
    copy_in,
    read_fixed,
    timestamp_value,
)

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="binary COPY and read_fixed are PostgreSQL-only"
)

AT = datetime(2026, 11, 1, 12, 0, 7, 123457, tzinfo=UTC)


def payload(columns: Sequence[Column], rows: int) -> bytes:
    return b"".join(binary_copy_payload(columns, rows))


def parse(data: bytes) -> list[tuple[bytes | None, ...]]:
    """The rows of a binary COPY stream: each field's bytes, or None for NULL."""
    assert data.startswith(SIGNATURE)
    flags, extension = struct.unpack_from(">ii", data, len(SIGNATURE))
    assert flags == 0
    position = len(SIGNATURE) + 8 + extension
    rows = []
    while True:
        (count,) = struct.unpack_from(">h", data, position)
        position += 2
        if count == -1:
            break
        fields: list[bytes | None] = []
        for _ in range(count):
            (length,) = struct.unpack_from(">i", data, position)
            position += 4
            if length == -1:
                fields.append(None)
                continue
            fields.append(data[position : position + length])
            position += length
        rows.append(tuple(fields))
    assert position == len(data), "nothing may follow the trailer"
    return rows


def decode(field: bytes | None, kind: str) -> Any:
    if field is None:
        return None
    if kind == "text":
        return field.decode()
    fmt = {"int8": ">q", "int4": ">i", "float8": ">d", "timestamptz": ">q"}[kind]
    assert len(field) == struct.calcsize(fmt)
    return struct.unpack(fmt, field)[0]


def mixed_columns() -> tuple[list[Column], list[tuple[Any, ...]]]:
    """Six rows in several layouts (NULL floats, a few texts and a NULL text), with constant
    int4, timestamptz and NULL columns; and the rows as they should come out."""
    ids = np.array([11, 12, 13, 14, 15, 16], dtype=np.int64)
    score = np.array([0.25, np.nan, 0.5, np.nan, 1e-300, -2.5])
    reason = np.array(["high score", "exploration", None, "high score", "", "café ▲"], dtype=object)
    columns = [
        Column("lead_id", "int8", ids),
        Column("score", "float8", score),
        Column("queue_reason", "text", reason),
        Column("model_version", "int4", 7),
        Column("scored_at", "timestamptz", AT),
        Column("nothing", "int8", None),
    ]
    expected = [
        (int(i), None if np.isnan(s) else float(s), r, 7, AT, None)
        for i, s, r in zip(ids.tolist(), score.tolist(), reason.tolist(), strict=True)
    ]
    return columns, expected


# --- The payload, without a database ------------------------------------------------------------


def test_zero_rows_are_the_header_and_the_trailer_alone() -> None:
    data = payload([Column("lead_id", "int8", np.zeros(0, dtype=np.int64))], 0)

    assert data == HEADER + TRAILER
    assert parse(data) == []


def test_the_header_is_the_signature_with_no_flags_and_no_extension_and_the_trailer_is_minus_one() -> None:
    data = payload([Column("lead_id", "int8", np.array([1]))], 1)

    assert data[:11] == b"PGCOPY\n\xff\r\n\x00"
    assert data[11:19] == b"\x00" * 8
    assert data[-2:] == b"\xff\xff"


def test_a_null_float_is_a_field_of_length_minus_one_with_no_bytes() -> None:
    data = payload([Column("score", "float8", np.array([np.nan]))], 1)

    assert data == HEADER + struct.pack(">hi", 1, -1) + TRAILER


def test_a_float_is_its_field_count_its_length_and_eight_big_endian_bytes() -> None:
    data = payload([Column("score", "float8", np.array([0.75]))], 1)

    assert data == HEADER + struct.pack(">hid", 1, 8, 0.75) + TRAILER


def test_every_row_of_mixed_layouts_comes_out_once_with_its_values() -> None:
    columns, expected = mixed_columns()
    kinds = [column.kind for column in columns]

    rows = parse(payload(columns, len(expected)))

    decoded = [tuple(decode(field, kind) for field, kind in zip(row, kinds, strict=True)) for row in rows]
    stamp = timestamp_value(AT)
    want = [(*row[:4], stamp, row[5]) for row in expected]
    assert sorted(decoded, key=lambda row: row[0]) == want


def test_text_is_utf8_with_its_length_in_bytes_and_an_empty_text_is_not_null() -> None:
    data = payload([Column("queue_reason", "text", np.array(["café ▲", "", None], dtype=object))], 3)

    assert struct.pack(">i", 9) + "café ▲".encode() in data, "9 bytes, 6 characters"
    assert sorted(parse(data), key=lambda row: (row[0] is None, row[0] or b"")) == [
        (b"",),
        ("café ▲".encode(),),
        (None,),
    ]


def test_a_constant_column_repeats_on_every_row_and_a_constant_none_is_null_everywhere() -> None:
    columns = [
        Column("lead_id", "int8", np.arange(4)),
        Column("model_version", "int4", 3),
        Column("queue_reason", "text", "high score"),
        Column("scored_at", "timestamptz", None),
        Column("label", "text", None),
    ]

    rows = parse(payload(columns, 4))

    assert len(rows) == 4
    for row in rows:
        assert row[1:] == (struct.pack(">i", 3), b"high score", None, None)


def test_a_timestamp_is_microseconds_since_2000_in_utc() -> None:
    assert timestamp_value(POSTGRES_EPOCH) == 0
    assert timestamp_value(POSTGRES_EPOCH + timedelta(microseconds=1)) == 1
    assert timestamp_value(POSTGRES_EPOCH - timedelta(microseconds=1)) == -1
    assert timestamp_value(datetime(2000, 1, 1, 2, 0, tzinfo=timezone(timedelta(hours=2)))) == 0
    assert timestamp_value(datetime(2000, 1, 2, tzinfo=UTC)) == 86_400_000_000


def test_an_unknown_kind_or_a_varying_timestamp_column_is_refused() -> None:
    with pytest.raises(ValueError, match="unsupported kind"):
        payload([Column("flag", "bool", np.array([True]))], 1)
    with pytest.raises(ValueError, match="only a constant timestamptz"):
        payload([Column("scored_at", "timestamptz", np.array([AT, AT]))], 2)


def test_a_constant_nan_float_column_is_null_like_a_nan_in_an_array() -> None:
    rows = parse(payload([Column("expected_value", "float8", float("nan"))], 2))

    assert rows == [(None,), (None,)]


def test_a_none_in_an_integer_column_is_null() -> None:
    rows = parse(payload([Column("model_version", "int8", np.array([1, None], dtype=object))], 2))

    assert sorted(rows, key=lambda row: row[0] is None) == [(struct.pack(">q", 1),), (None,)]


# --- Through PostgreSQL ---------------------------------------------------------------------------


def create_temp_table() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE copy_probe (lead_id bigint, score double precision, queue_reason text, "
            "model_version integer, scored_at timestamptz, nothing bigint) ON COMMIT DROP"
        )


def read_back() -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT lead_id, score, queue_reason, model_version, scored_at, nothing FROM copy_probe ORDER BY lead_id"
        )
        return cursor.fetchall()


@postgresql_only
@pytest.mark.django_db
def test_mixed_layouts_round_trip_through_postgresql_with_nulls_texts_and_exact_timestamps() -> None:
    create_temp_table()
    columns, expected = mixed_columns()

    with connection.cursor() as cursor:
        copy_in(cursor, "copy_probe", columns, len(expected))

    assert read_back() == expected
    assert read_back()[0][4].microsecond == 123457


@postgresql_only
@pytest.mark.django_db
def test_a_timestamp_before_2000_round_trips_to_the_microsecond() -> None:
    create_temp_table()
    before = datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)

    with connection.cursor() as cursor:
        copy_in(
            cursor,
            "copy_probe",
            [Column("lead_id", "int8", np.array([1, 2])), Column("scored_at", "timestamptz", before)],
            2,
        )

    assert [row[4] for row in read_back()] == [before, before]


@postgresql_only
@pytest.mark.django_db
def test_copying_zero_rows_leaves_the_table_empty() -> None:
    create_temp_table()

    with connection.cursor() as cursor:
        copy_in(
            cursor,
            "copy_probe",
            [Column("lead_id", "int8", np.zeros(0, dtype=np.int64)), Column("scored_at", "timestamptz", AT)],
            0,
        )

    assert read_back() == []


@postgresql_only
@pytest.mark.django_db
def test_read_fixed_returns_int8_int4_and_float8_columns_as_arrays_in_row_order() -> None:
    create_temp_table()
    columns, expected = mixed_columns()
    with connection.cursor() as cursor:
        copy_in(cursor, "copy_probe", columns, len(expected))

        read = read_fixed(
            cursor,
            "SELECT lead_id, model_version, COALESCE(score, -1) FROM copy_probe ORDER BY lead_id",
            [("id", "int8"), ("version", "int4"), ("score", "float8")],
        )

    assert read["id"].dtype == np.int64 and read["version"].dtype == np.int32 and read["score"].dtype == np.float64
    assert read["id"].tolist() == [11, 12, 13, 14, 15, 16]
    assert read["version"].tolist() == [7] * 6
    assert read["score"].tolist() == [0.25, -1.0, 0.5, -1.0, 1e-300, -2.5]


@postgresql_only
@pytest.mark.django_db
def test_read_fixed_of_no_rows_returns_empty_arrays_of_the_right_types() -> None:
    create_temp_table()

    with connection.cursor() as cursor:
        read = read_fixed(
            cursor,
            "SELECT lead_id, model_version, score FROM copy_probe",
            [("id", "int8"), ("version", "int4"), ("score", "float8")],
        )

    assert {name: (len(values), values.dtype) for name, values in read.items()} == {
        "id": (0, np.dtype(np.int64)),
        "version": (0, np.dtype(np.int32)),
        "score": (0, np.dtype(np.float64)),
    }


@postgresql_only
@pytest.mark.django_db
def test_read_fixed_reads_large_and_negative_numbers_exactly() -> None:
    with connection.cursor() as cursor:
        read = read_fixed(
            cursor,
            "SELECT * FROM (VALUES (9007199254740993::bigint, -2147483648, -0.1::float8), "
            "(-1::bigint, 2147483647, 'Infinity'::float8)) AS v",
            [("big", "int8"), ("small", "int4"), ("x", "float8")],
        )

    assert read["big"].tolist() == [9007199254740993, -1]
    assert read["small"].tolist() == [-2147483648, 2147483647]
    assert read["x"].tolist() == [-0.1, float("inf")]
