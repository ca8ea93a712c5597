"""Planner statistics kept fresh by the app, whether or not the server's autovacuum runs.

A PostgreSQL table that was never analysed looks nearly empty to the planner: after a million
leads are imported, the queue's claim (a walk down the score table's priority index, under 1 ms)
becomes a full scan and sort (10 s). Autovacuum would analyse the table within a minute, but it
can be switched off (it is on this project's CI machine); so imports and the learning loop ask
for an ANALYZE when a tenth of a table changed since the last one, as autovacuum's defaults would.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from django.db import connection
from django.db.models import Model

logger = logging.getLogger(__name__)

SCALE_FACTOR = 0.1  # autovacuum_analyze_scale_factor's default
THRESHOLD = 50  # autovacuum_analyze_threshold's default


def analyze_if_stale(models: Sequence[type[Model]]) -> list[str]:
    """ANALYZE each model's table that changed by more than a tenth since its last analysis (or was
    never analysed); returns the tables analysed. Only on PostgreSQL; outside a transaction's
    critical path (an ANALYZE of a million rows samples 30,000 of them: well under a second)."""
    if connection.vendor != "postgresql":
        return []
    tables = [model._meta.db_table for model in models]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT s.relname FROM pg_stat_user_tables AS s JOIN pg_class AS c ON c.oid = s.relid "
            "WHERE s.relname = ANY(%s) AND (c.reltuples < 0 OR s.n_mod_since_analyze > %s + %s * c.reltuples)",
            [tables, THRESHOLD, SCALE_FACTOR],
        )
        stale = [row[0] for row in cursor.fetchall()]
        for table in stale:
            cursor.execute(f'ANALYZE "{table}"')
    if stale:
        logger.info("analysed %s (changed by more than a tenth since the last analysis)", ", ".join(stale))
    return stale
