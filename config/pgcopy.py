"""PostgreSQL's binary COPY format, built and parsed with NumPy instead of row by row.

A million score rows leave Python as one ``bytes`` object in well under a second, and a million
event rows come back as arrays without a text parser. Rows whose layout is fixed (the same
columns NULL, the same text) share one NumPy record type, so a column of a few distinct texts
(``queue_reason``) or of sometimes-missing numbers (``expected_value``) is written in a handful
of groups. See https://www.postgresql.org/docs/current/sql-copy.html#id-1.9.3.55.9.4.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

SIGNATURE = b"PGCOPY\n\xff\r\n\x00"
HEADER = SIGNATURE + struct.pack(">ii", 0, 0)
TRAILER = struct.pack(">h", -1)
POSTGRES_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
WRITE_CHUNK = 8 << 20

# kind -> (big-endian NumPy type of the value, its width in bytes)
FIXED = {"int8": (">i8", 8), "int4": (">i4", 4), "float8": (">f8", 8)}


@dataclass(frozen=True)
class Column:
    """One column to write: ``kind`` is int8, int4, float8, timestamptz or text.

    ``values`` is an array with one value per row, or a scalar for a column that is the same on
    every row. NULL is NaN for float8 and None for the others.
    """

    name: str
    kind: str
    values: Any


def timestamp_value(when: datetime) -> int:
    """A timestamptz in binary COPY: microseconds since 2000-01-01 UTC."""
    delta = when - POSTGRES_EPOCH
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds


def _per_row(column: Column, n: int) -> tuple[np.ndarray | None, np.ndarray, list[bytes | None]]:
    """(values as a NumPy array or None for text, NULL mask, the distinct encoded texts)."""
    values = column.values
    scalar = np.ndim(values) == 0
    if column.kind == "text":
        if scalar:
            text = None if values is None else str(values).encode()
            return None, np.zeros(n, dtype=np.int64) if text is not None else np.full(n, -1), [text]
        codes, uniques = pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=True)
        return None, codes.astype(np.int64), [str(u).encode() for u in uniques]
    if column.kind == "timestamptz":
        if scalar:
            if values is None:
                return np.zeros(n, dtype=np.int64), np.ones(n, dtype=bool), []
            return np.full(n, timestamp_value(values), dtype=np.int64), np.zeros(n, dtype=bool), []
        raise ValueError(f"{column.name}: only a constant timestamptz column is supported")
    if column.kind not in FIXED:
        raise ValueError(f"{column.name}: unsupported kind {column.kind!r}")
    if scalar:
        if values is None or (isinstance(values, float) and np.isnan(values)):
            return np.zeros(n), np.ones(n, dtype=bool), []
        return np.full(n, values), np.zeros(n, dtype=bool), []
    array = np.asarray(values)
    if array.dtype == object:  # None (or NaN) marks NULL among numbers
        nulls = pd.isna(array)
        array = np.where(nulls, 0, array).astype(np.float64 if column.kind == "float8" else np.int64)
        return array, np.asarray(nulls, dtype=bool), []
    nulls = np.isnan(array) if array.dtype.kind == "f" else np.zeros(n, dtype=bool)
    return array, nulls, []


def binary_copy_payload(columns: Sequence[Column], rows: int) -> Iterator[bytes]:
    """The COPY … FROM STDIN (FORMAT binary) stream of ``rows`` rows, in parts."""
    prepared = [_per_row(column, rows) for column in columns]
    # A row's layout: which columns are NULL and, for text, which text. Rows of one layout are
    # written as one NumPy record array.
    keys = []
    for column, (_, mask_or_codes, _) in zip(columns, prepared, strict=True):
        keys.append(mask_or_codes.astype(np.int64) if column.kind != "text" else mask_or_codes + 1)
    yield HEADER
    if rows == 0:
        yield TRAILER
        return
    # One integer per row for its layout (mixed radix over the columns), so grouping is a 1-D sort.
    radices = [int(key.max()) + 1 if len(key) else 1 for key in keys]
    combined = np.zeros(rows, dtype=np.int64)
    for key, radix in zip(keys, radices, strict=True):
        combined = combined * radix + key
    distinct, inverse = np.unique(combined, return_inverse=True)
    layouts = np.zeros((len(distinct), len(keys)), dtype=np.int64)
    rest = distinct.copy()
    for j in range(len(keys) - 1, -1, -1):
        layouts[:, j] = rest % radices[j]
        rest //= radices[j]
    order = np.argsort(inverse, kind="stable")
    bounds = np.searchsorted(inverse[order], np.arange(len(layouts) + 1))
    for g, layout in enumerate(layouts):
        members = order[bounds[g] : bounds[g + 1]]
        fields: list[tuple[str, str]] = [("count", ">i2")]
        fills: list[tuple[str, Any]] = [("count", len(columns))]
        for j, (column, (values, _, texts)) in enumerate(zip(columns, prepared, strict=True)):
            length_field = f"l{j}"
            fields.append((length_field, ">i4"))
            if column.kind == "text":
                code = int(layout[j]) - 1
                if code < 0:
                    fills.append((length_field, -1))
                    continue
                text = texts[code]
                assert text is not None
                fills.append((length_field, len(text)))
                if text:
                    fields.append((f"v{j}", f"S{len(text)}"))
                    fills.append((f"v{j}", text))
                continue
            if layout[j]:  # NULL
                fills.append((length_field, -1))
                continue
            kind, width = FIXED.get(column.kind, (">i8", 8))
            fields.append((f"v{j}", kind))
            fills.append((length_field, width))
            assert values is not None
            fills.append((f"v{j}", values[members]))
        records = np.empty(len(members), dtype=np.dtype(fields))
        for name, value in fills:
            records[name] = value
        data = memoryview(records.tobytes())
        for start in range(0, len(data), WRITE_CHUNK):
            yield bytes(data[start : start + WRITE_CHUNK])
    yield TRAILER


def copy_in(cursor: Any, table: str, columns: Sequence[Column], rows: int) -> None:
    """``COPY table (columns) FROM STDIN`` in binary, ``cursor`` being Django's cursor on PostgreSQL."""
    names = ", ".join(f'"{column.name}"' for column in columns)
    with cursor.cursor.copy(f'COPY "{table}" ({names}) FROM STDIN WITH (FORMAT binary)') as copy:
        for part in binary_copy_payload(columns, rows):
            copy.write(part)


SEND = {"int8": "int8send", "int4": "int4send", "float8": "float8send"}


def read_fixed(cursor: Any, sql: str, kinds: Sequence[tuple[str, str]]) -> dict[str, np.ndarray]:
    """Run ``sql`` and return one array per column, read as one value instead of one row at a time.

    The server packs each row into its binary representation and joins them (``string_agg`` of
    ``int8send(…) || float8send(…)``): one message however many rows, parsed by one
    ``np.frombuffer``. A COPY sends a message per row, and reading a million of them costs seconds
    in Python. Every column must be int8, int4 or float8 and never NULL (COALESCE in ``sql``).
    """
    aliases = [f"c{j}" for j in range(len(kinds))]
    packed = " || ".join(f"{SEND[kind]}({alias})" for alias, (_, kind) in zip(aliases, kinds, strict=True))
    import psycopg

    # Django's cursors bind parameters on the client, and those cannot fetch binary results.
    with psycopg.Cursor(cursor.cursor.connection) as binary:
        binary.execute(f"SELECT string_agg({packed}, ''::bytea) FROM ({sql}) AS q({', '.join(aliases)})", binary=True)
        row = binary.fetchone()  # an aggregate: always one row
        raw = (row[0] if row else None) or b""
    record = np.dtype([(f"v{j}", FIXED[kind][0]) for j, (_, kind) in enumerate(kinds)])
    if len(raw) % record.itemsize:
        raise ValueError("rows are not of the expected fixed width")
    records = np.frombuffer(raw, dtype=record)
    return {name: records[f"v{j}"].astype(FIXED[kind][0][1:]) for j, (name, kind) in enumerate(kinds)}
