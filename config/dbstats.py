"""Planner statistics (and dead rows) kept in check by the app, whether or not autovacuum runs.

A PostgreSQL table that was never analysed looks nearly empty to the planner: after a million
leads are imported, the queue's claim (a walk down the score table's priority index, under 1 ms)
becomes a full scan and sort (10 s). Autovacuum would analyse the table within a minute, but it
can be switched off (it is on this project's CI machine); so imports and the learning loop ask
for an ANALYZE when a tenth of a table changed since the last one, as autovacuum's defaults would.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from django.db import OperationalError, connection, transaction
from django.db.backends.utils import CursorWrapper
from django.db.models import Model

logger = logging.getLogger(__name__)

SCALE_FACTOR = 0.1  # autovacuum_analyze_scale_factor's default
THRESHOLD = 50  # autovacuum_analyze_threshold's default
VACUUM_SCALE_FACTOR = 0.2  # autovacuum_vacuum_scale_factor's default


def analyze_if_stale(models: Sequence[type[Model]], *, vacuum: bool = False) -> list[str]:
    """ANALYZE each model's table that changed by more than a tenth since its last analysis (or was
    never analysed); with ``vacuum`` (outside a transaction: the learning loop), VACUUM it too when
    a fifth of its rows are dead (leases and the loop state churn a row per label). Returns the
    tables analysed. Only on PostgreSQL; an ANALYZE of a million rows samples 30,000 of them."""
    if connection.vendor != "postgresql":
        return []
    tables = [model._meta.db_table for model in models]
    vacuum = vacuum and not connection.in_atomic_block
    # Dead rows count only when this call may vacuum.
    dead, dead_params = ("s.n_dead_tup > %s + %s * greatest(c.reltuples, 0)", [THRESHOLD, VACUUM_SCALE_FACTOR])
    if not vacuum:
        dead, dead_params = "false", []
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT s.relname, {dead} FROM pg_stat_user_tables AS s JOIN pg_class AS c ON c.oid = s.relid "
            "WHERE s.relname = ANY(%s) AND (c.reltuples < 0 OR s.n_mod_since_analyze > %s + %s * c.reltuples "
            f"OR {dead})",
            [*dead_params, tables, THRESHOLD, SCALE_FACTOR, *dead_params],
        )
        stale = cursor.fetchall()
        done = [table for table, bloated in stale if _maintain(cursor, table, vacuum=bloated)]
    if done:
        logger.info("analysed %s", ", ".join(done))
    return done


def _maintain(cursor: CursorWrapper, table: str, *, vacuum: bool) -> bool:
    """VACUUM (ANALYZE) or ANALYZE one table; a table another session holds past the lock timeout
    (its own VACUUM, an index build) is left for the next call, never failing the caller."""
    try:
        if vacuum:  # never in a transaction (VACUUM cannot be)
            cursor.execute(f'VACUUM (ANALYZE) "{table}"')
        else:
            with transaction.atomic():  # a savepoint in the caller's transaction: a timeout undoes only this
                cursor.execute(f'ANALYZE "{table}"')
    except OperationalError as exc:
        logger.info("left %s for later: %s", table, exc)
        return False
    return True
