"""The models and the migrations agree: a schema change ships with its migration."""

from __future__ import annotations

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_every_model_change_has_its_migration() -> None:
    try:
        call_command("makemigrations", "--check", "--dry-run", verbosity=0)
    except SystemExit as exit_:  # makemigrations --check exits 1 when a migration is missing
        pytest.fail(f"a model changed without a migration (exit {exit_.code}): run manage.py makemigrations")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("table", "column"), [("feedback_label", "completes_import"), ("learning_loopstate", "retrain_requested")]
)
def test_a_column_added_since_the_first_release_has_a_database_default(table: str, column: str) -> None:
    """An upgrade migrates while the previous version's processes still run, and they write rows
    without the new column: a NOT NULL column needs a default in the database itself."""
    from django.db import connection

    with connection.cursor() as cursor:
        described = {info.name: info for info in connection.introspection.get_table_description(cursor, table)}

    assert described[column].default is not None, f"{table}.{column} has no database default"
