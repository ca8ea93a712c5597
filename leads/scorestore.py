"""Writing the current scores of many leads at once (the ``LeadScore`` table).

PostgreSQL: the new scores go into a fresh table by binary COPY, get their indexes and
statistics, and the table is renamed into place in the same transaction, which holds an
exclusive lock on the live table for milliseconds. Readers see all the old scores or all the
new ones. Updating a million rows in place costs ~23 s on this kind of machine (a new tuple and
five index entries per row); this costs ~3 s. Leads the write does not cover keep their score.

Other databases (SQLite, the embedded default): one upsert per lead in one transaction.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
from django.db import OperationalError, connection, transaction
from django.db.models import Field

from config.pgcopy import Column, copy_in
from leads.frames import closed_lead_ids
from leads.models import SCORE_HISTORY_KEEP, SCORE_MOVE, LeadScore, ScoreEvent

logger = logging.getLogger(__name__)

LIVE = LeadScore._meta.db_table
NEXT = f"{LIVE}_next"
PRIMARY_KEY = f"{LIVE}_pkey"  # PostgreSQL's name for the primary key Django's CREATE TABLE made
# The swap's exclusive lock waits for the live table's readers, and new readers queue behind it: so
# one attempt waits at most SWAP_LOCK_TIMEOUT (readers are delayed at most that long), and a long
# reader (a CSV export holds the table while it streams) makes the swap try again, for about a minute.
SWAP_LOCK_TIMEOUT = "100ms"
SWAP_ATTEMPTS = 300
SWAP_RETRY_PAUSE = 0.1
FLOAT_COLUMNS = ("score", "fit_score", "behavior_score", "expected_value", "uncertainty", "priority", "propensity")


@dataclass
class ScoreRows:
    """New scores: one entry per lead in every array; ``explanations`` maps a few lead ids to
    their explanation as JSON text (the rest get theirs on first read)."""

    lead_ids: np.ndarray
    score: np.ndarray
    fit_score: np.ndarray
    behavior_score: np.ndarray
    expected_value: np.ndarray
    uncertainty: np.ndarray
    priority: np.ndarray
    queue_reason: np.ndarray
    explanations: dict[int, str] = field(default_factory=dict)
    # Per lead: one draw's probability of picking it under the queue's sampling distribution (none: NULL).
    propensity: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.propensity is None:
            self.propensity = np.full(len(self.lead_ids), np.nan)

    def __len__(self) -> int:
        return len(self.lead_ids)


def _index_sql(table: str, suffix: str) -> list[str]:
    """CREATE INDEX statements for ``table`` with the live table's index definitions."""
    statements = []
    for index in LeadScore._meta.indexes:
        parts = []
        for name in index.fields:
            descending = name.startswith("-")
            field = LeadScore._meta.get_field(name.lstrip("-"))
            assert isinstance(field, Field), f"index field {name} is not a column"
            column = field.column
            parts.append(f'"{column}"{" DESC" if descending else ""}')
        statements.append(f'CREATE INDEX "{index.name}{suffix}" ON "{table}" ({", ".join(parts)})')
    return statements


def _copy_rows(cursor: Any, rows: ScoreRows, *, model_version: int | None, scored_at: datetime) -> None:
    explained = np.isin(rows.lead_ids, np.fromiter(rows.explanations, dtype=np.int64, count=len(rows.explanations)))
    plain = ~explained
    columns = [Column("lead_id", "int8", rows.lead_ids[plain])]
    columns += [Column(name, "float8", np.asarray(getattr(rows, name), dtype=float)[plain]) for name in FLOAT_COLUMNS]
    columns += [
        Column("queue_reason", "text", np.asarray(rows.queue_reason, dtype=object)[plain]),
        Column("model_version", "int4", model_version),
        Column("scored_at", "timestamptz", scored_at),
    ]
    copy_in(cursor, NEXT, columns, int(plain.sum()))
    if explained.any():  # the queue's head, with variable-length explanations: a small text COPY
        head = pd.DataFrame({name: np.asarray(getattr(rows, name))[explained] for name in FLOAT_COLUMNS})
        head.insert(0, "lead_id", rows.lead_ids[explained])
        head["queue_reason"] = np.asarray(rows.queue_reason, dtype=object)[explained]
        head["model_version"] = model_version
        head["scored_at"] = scored_at.isoformat()
        head["explanation"] = [rows.explanations[int(i)] for i in head["lead_id"]]
        names = ", ".join(head.columns)
        with cursor.cursor.copy(
            f"COPY {NEXT} ({names}) FROM STDIN WITH (FORMAT csv, FORCE_NOT_NULL (queue_reason))"
        ) as copy:
            copy.write(head.to_csv(header=False, index=False))


def _record_moves(cursor: Any, *, model_version: int | None, scored_at: datetime) -> None:
    """Score history: one INSERT … SELECT of the leads whose score moved by more than SCORE_MOVE."""
    events = ScoreEvent._meta.db_table
    cursor.execute(
        f"INSERT INTO {events} (lead_id, cause, score, previous_score, model_version, outcome, reason, recorded_at) "
        f"SELECT n.lead_id, 'rescore', n.score, o.score, %s, '', '', %s FROM {NEXT} AS n "
        f"JOIN {LIVE} AS o ON o.lead_id = n.lead_id WHERE n.scored_at = %s "
        "AND o.score IS NOT NULL AND n.score IS NOT NULL AND abs(n.score - o.score) > %s",
        [model_version, scored_at, scored_at, SCORE_MOVE],
    )
    if cursor.rowcount:
        score_history_prune(cursor, since=scored_at)


def _swap(cursor: Any) -> None:
    """Rename the new table into place. Each attempt waits at most SWAP_LOCK_TIMEOUT for readers;
    meanwhile new readers queue behind it, so a long reader (an export) makes us retry instead."""
    for attempt in range(1, SWAP_ATTEMPTS + 1):
        try:
            with transaction.atomic():  # a savepoint: a lock timeout undoes only this attempt
                cursor.execute(f"SET LOCAL lock_timeout = '{SWAP_LOCK_TIMEOUT}'")
                cursor.execute(f"LOCK TABLE {LIVE} IN ACCESS EXCLUSIVE MODE")
                break
        except OperationalError:
            if attempt == SWAP_ATTEMPTS:
                raise
            logger.info("score table busy (attempt %s); retrying the swap", attempt)
            time.sleep(SWAP_RETRY_PAUSE)
    cursor.execute("SET LOCAL lock_timeout = 0")
    cursor.execute(f"DROP TABLE {LIVE}")
    cursor.execute(f"ALTER TABLE {NEXT} RENAME TO {LIVE}")
    cursor.execute(f"ALTER TABLE {LIVE} RENAME CONSTRAINT {NEXT}_pkey TO {PRIMARY_KEY}")
    for index in LeadScore._meta.indexes:
        cursor.execute(f'ALTER INDEX "{index.name}_next" RENAME TO "{index.name}"')


def scores_replace(
    *,
    rows: ScoreRows,
    model_version: int | None,
    scored_at: datetime,
    on_swap: Callable[[], None] | None = None,
    pause: Callable[[], None] | None = None,
) -> int:
    """Make ``rows`` the current scores of their leads, all at once; labeled leads keep their last
    score, and a lead in neither set (deleted, or imported after the rescore began) has none until
    the next rescore. ``on_swap`` runs in the same transaction, just before it commits (the loop's scores
    version, webhook deliveries); ``pause`` is the fault-injection hook of the reliability tests.
    Returns the number of leads written.
    """
    if connection.vendor != "postgresql":
        with transaction.atomic():
            _upsert_rows(rows, model_version=model_version, scored_at=scored_at)
            if pause:
                pause()
            if on_swap:
                on_swap()
        return len(rows)
    with transaction.atomic(), connection.cursor() as cursor:
        # Foreign keys checked as rows go in, not at COMMIT: the history rows' checks share-lock
        # their leads, and at COMMIT this transaction holds the loop state row, which a rep's label
        # (holding its lead) waits for: a deadlock. Checked now, we wait for the label instead.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        # One core for the index builds (measured no faster with PostgreSQL's parallel workers on
        # two cores), the other stays with the web tier.
        cursor.execute("SET LOCAL max_parallel_maintenance_workers = 0")
        cursor.execute(f"DROP TABLE IF EXISTS {NEXT}")
        # Everything of the live table but its indexes (built after the rows are in). Grants are not
        # copied by LIKE: give a reporting role access through a view or default privileges.
        cursor.execute(f"CREATE TABLE {NEXT} (LIKE {LIVE} INCLUDING ALL EXCLUDING INDEXES)")
        _copy_rows(cursor, rows, model_version=model_version, scored_at=scored_at)
        # Labeled leads keep the score they had (the lead page and the API still show it), out of
        # the queue (no priority).
        keep = np.setdiff1d(closed_lead_ids(), rows.lead_ids)
        if len(keep):
            carried = [f.column for f in LeadScore._meta.concrete_fields if f.column]
            values = [
                "NULL" if name in ("priority", "propensity") else "''" if name == "queue_reason" else name
                for name in carried
            ]
            cursor.execute(
                f"INSERT INTO {NEXT} ({', '.join(carried)}) SELECT {', '.join(values)} FROM {LIVE} "
                "WHERE lead_id = ANY(%s::bigint[])",
                [keep.tolist()],
            )
        cursor.execute(f"ALTER TABLE {NEXT} ADD CONSTRAINT {NEXT}_pkey PRIMARY KEY (lead_id)")
        for statement in _index_sql(NEXT, "_next"):
            cursor.execute(statement)
        cursor.execute(f"ANALYZE {NEXT}")
        _record_moves(cursor, model_version=model_version, scored_at=scored_at)
        if pause:
            pause()
        _swap(cursor)
        if on_swap:
            on_swap()
    return len(rows)


def _upsert_rows(rows: ScoreRows, *, model_version: int | None, scored_at: datetime) -> None:
    events = []
    ids = rows.lead_ids.tolist()
    old: dict[int, float | None] = {}
    for start in range(0, len(ids), 900):  # SQLite caps the parameters of one statement
        old.update(LeadScore.objects.filter(lead_id__in=ids[start : start + 900]).values_list("lead_id", "score"))
    for lead_id, new in zip(ids, np.asarray(rows.score, dtype=float).tolist(), strict=True):
        previous = old.get(lead_id)
        if previous is not None and abs(new - previous) > SCORE_MOVE:
            events.append(
                ScoreEvent(
                    lead_id=lead_id,
                    cause=ScoreEvent.Cause.RESCORE,
                    score=new,
                    previous_score=previous,
                    model_version=model_version,
                    recorded_at=scored_at,
                )
            )
    stamp = connection.ops.adapt_datetimefield_value(scored_at)
    values = [
        [None if isinstance(v, float) and np.isnan(v) else v for v in row]
        for row in zip(
            rows.lead_ids.tolist(),
            *[np.asarray(getattr(rows, name), dtype=float).tolist() for name in FLOAT_COLUMNS],
            np.asarray(rows.queue_reason, dtype=object).tolist(),
            strict=True,
        )
    ]
    with connection.cursor() as cursor:
        if events:
            ScoreEvent.objects.bulk_create(events, batch_size=2000)
            score_history_prune(cursor, since=scored_at)
        cursor.executemany(
            f"INSERT INTO {LIVE} (lead_id, score, fit_score, behavior_score, expected_value, uncertainty, priority, "
            "propensity, queue_reason, model_version, scored_at, explanation) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (lead_id) DO UPDATE SET score = excluded.score, fit_score = excluded.fit_score, "
            "behavior_score = excluded.behavior_score, expected_value = excluded.expected_value, "
            "uncertainty = excluded.uncertainty, priority = excluded.priority, propensity = excluded.propensity, "
            "queue_reason = excluded.queue_reason, model_version = excluded.model_version, "
            "scored_at = excluded.scored_at, explanation = excluded.explanation",
            [
                (*row, model_version, stamp, rows.explanations.get(lead_id))
                for lead_id, row in zip(rows.lead_ids.tolist(), values, strict=True)
            ],
        )


def score_history_prune(cursor: Any, *, since: datetime) -> None:
    """Keep the last ``SCORE_HISTORY_KEEP`` rescore moves of each lead that just moved (one statement)."""
    events = ScoreEvent._meta.db_table
    cursor.execute(
        f"DELETE FROM {events} WHERE id IN (SELECT id FROM (SELECT id, row_number() OVER "
        f"(PARTITION BY lead_id ORDER BY recorded_at DESC, id DESC) AS n FROM {events} WHERE cause = 'rescore' "
        f"AND lead_id IN (SELECT lead_id FROM {events} WHERE cause = 'rescore' AND recorded_at = %s)) AS ranked "
        "WHERE n > %s)",
        [connection.ops.adapt_datetimefield_value(since), SCORE_HISTORY_KEEP],
    )


def leads_leave_queue(*, lead_ids: list[int]) -> None:
    """Labeled leads have no queue priority until a rescore scores them again (if they reopen): the
    queue's walk down the priority index does not step over the leads labeled since the last
    rescore."""
    LeadScore.objects.filter(lead_id__in=lead_ids).update(priority=None, propensity=None)
