"""The audit log's two lists (imports, and every other change) are read newest first off a partial
index each, so a CRM posting every minute buries neither the changes nor the page that shows them."""

from __future__ import annotations

import pytest
from django.db import connection

from config.audit import audit_entries
from config.models import AuditLog

pytestmark = pytest.mark.django_db

INDEXES = {"auditlog_changes_newest", "auditlog_imports_newest"}


def test_each_list_has_its_index_in_the_database() -> None:
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, AuditLog._meta.db_table)

    assert set(found) >= INDEXES
    for name in INDEXES:
        assert found[name]["columns"] == ["created_at", "id"] and found[name]["orders"] == ["DESC", "DESC"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the plan asked about is PostgreSQL's")
@pytest.mark.parametrize(("imports", "index"), [(False, "auditlog_changes_newest"), (True, "auditlog_imports_newest")])
def test_postgresql_reads_a_page_of_either_list_off_its_index(imports: bool, index: str) -> None:
    # 300 entries of the list asked for, then 20,000 of the other, one a minute (settings changes
    # buried by a CRM's imports every minute for two weeks, or the other way round): without its index,
    # the list's first page walks every later entry back to them.
    asked, other = ("import.activities", "settings.update") if imports else ("settings.update", "import.activities")
    with connection.cursor() as cursor:
        cursor.execute(
            f"""INSERT INTO {AuditLog._meta.db_table} (action, target, changes, created_at)
            SELECT CASE WHEN g <= 300 THEN %s ELSE %s END, '', '{{}}', now() - (20300 - g) * interval '1 minute'
            FROM generate_series(1, 20300) AS g""",
            [asked, other],
        )
        cursor.execute(f"ANALYZE {AuditLog._meta.db_table}")

    plan = audit_entries(imports=imports)[:50].explain()

    assert f"Index Scan using {index}" in plan and "Sort" not in plan
