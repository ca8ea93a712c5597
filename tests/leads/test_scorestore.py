"""Writing the current scores of many leads at once: read back through ``Lead.objects``, labeled
leads keep theirs, explanations where given, the loop's hook in the same transaction; on
PostgreSQL a new table swapped in whole, with the model's indexes."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pytest
from django.db import connection

from leads.models import Lead, LeadScore, LeadStatus
from leads.scorestore import ScoreRows, leads_leave_queue, scores_replace

pytestmark = pytest.mark.django_db

on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="the table swap is PostgreSQL's")
not_on_postgresql = pytest.mark.skipif(connection.vendor == "postgresql", reason="the upsert is the other databases'")

AT = datetime(2026, 11, 1, 12, 0, 7, 123457, tzinfo=UTC)
LATER = datetime(2026, 11, 1, 12, 5, 0, 654321, tzinfo=UTC)


def make_leads(n: int) -> list[int]:
    return [Lead.objects.create(external_id=f"L{i}", company=f"Company {i}").pk for i in range(n)]


def rows_for(
    scores: dict[int, float],
    *,
    priority: dict[int, float] | None = None,
    expected_value: dict[int, float] | None = None,
    explanations: dict[int, list[str]] | None = None,
    reason: str = "model unsure",
) -> ScoreRows:
    ids = list(scores)
    priority = priority or {}
    expected_value = expected_value or {}
    return ScoreRows(
        lead_ids=np.array(ids, dtype=np.int64),
        score=np.array([scores[i] for i in ids], dtype=float),
        fit_score=np.array([100 * scores[i] for i in ids], dtype=float),
        behavior_score=np.array([50.0 + i % 7 for i in ids], dtype=float),
        expected_value=np.array([expected_value.get(i, math.nan) for i in ids], dtype=float),
        uncertainty=np.array([1 - max(scores[i], 1 - scores[i]) for i in ids], dtype=float),
        priority=np.array([priority.get(i, scores[i]) for i in ids], dtype=float),
        queue_reason=np.array([reason] * len(ids), dtype=object),
        explanations={i: json.dumps(lines, ensure_ascii=False) for i, lines in (explanations or {}).items()},
    )


def score_of(lead_id: int) -> float | None:
    return Lead.objects.get(pk=lead_id).score


def next_table_left() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('leads_leadscore_next') IS NOT NULL")
        return bool(cursor.fetchone()[0])


def test_new_scores_are_read_through_lead_objects_column_by_column() -> None:
    a, b = make_leads(2)

    written = scores_replace(
        rows=rows_for({a: 0.8, b: 0.3}, expected_value={a: 1200.5}, reason="high score"),
        model_version=4,
        scored_at=AT,
    )

    assert written == 2
    lead = Lead.objects.get(pk=a)
    assert (lead.score, lead.fit_score, lead.behavior_score) == (0.8, 80.0, 50.0 + a % 7)
    assert (lead.expected_value, lead.uncertainty, lead.priority) == (1200.5, pytest.approx(0.2), 0.8)
    assert (lead.queue_reason, lead.model_version, lead.scored_at, lead.explanation) == ("high score", 4, AT, None)
    assert Lead.objects.get(pk=b).expected_value is None, "NaN is written as NULL"


def test_leads_sort_by_the_new_score_and_by_the_new_priority() -> None:
    a, b, c = make_leads(3)
    scores_replace(rows=rows_for({a: 0.2, b: 0.9, c: 0.5}), model_version=1, scored_at=AT)

    scores_replace(
        rows=rows_for({a: 0.6, b: 0.1, c: 0.3}, priority={a: 0.2, b: 0.9, c: 0.5}), model_version=2, scored_at=LATER
    )

    assert list(Lead.objects.order_by("-score").values_list("pk", flat=True)) == [a, c, b]
    assert list(Lead.objects.scored().order_by("-priority").values_list("pk", flat=True)) == [b, c, a]
    assert set(Lead.objects.values_list("model_version", flat=True)) == {2}


def test_a_labeled_lead_left_out_of_the_rows_keeps_its_previous_score() -> None:
    labeled, other = make_leads(2)
    scores_replace(rows=rows_for({labeled: 0.7, other: 0.4}), model_version=1, scored_at=AT)
    Lead.rows.filter(pk=labeled).update(status=LeadStatus.CONVERTED)

    scores_replace(rows=rows_for({other: 0.45}), model_version=2, scored_at=LATER)

    lead = Lead.objects.get(pk=labeled)
    assert (lead.score, lead.model_version, lead.scored_at) == (0.7, 1, AT)
    assert score_of(other) == 0.45


@on_postgresql
def test_a_labeled_lead_carried_over_a_rescore_is_out_of_the_queue() -> None:
    labeled, other = make_leads(2)
    scores_replace(rows=rows_for({labeled: 0.7, other: 0.4}), model_version=1, scored_at=AT)
    Lead.rows.filter(pk=labeled).update(status=LeadStatus.CONVERTED)

    scores_replace(rows=rows_for({other: 0.45}), model_version=2, scored_at=LATER)

    assert Lead.objects.get(pk=labeled).priority is None
    assert Lead.objects.get(pk=labeled).queue_reason == ""


def test_leads_leave_the_queue_at_once_when_labeled() -> None:
    first, second = make_leads(2)
    scores_replace(rows=rows_for({first: 0.7, second: 0.4}), model_version=1, scored_at=AT)

    leads_leave_queue(lead_ids=[first])

    assert Lead.objects.get(pk=first).priority is None
    assert Lead.objects.get(pk=first).score == 0.7, "the score stays for the lead page"
    assert Lead.objects.get(pk=second).priority == 0.4


@on_postgresql
def test_on_postgresql_an_open_lead_left_out_of_the_rows_has_no_score_until_the_next_rescore() -> None:
    kept, left_out = make_leads(2)
    scores_replace(rows=rows_for({kept: 0.7, left_out: 0.4}), model_version=1, scored_at=AT)

    scores_replace(rows=rows_for({kept: 0.75}), model_version=2, scored_at=LATER)

    lead = Lead.objects.get(pk=left_out)
    assert (lead.score, lead.scored_at, lead.queue_reason) == (None, None, "")
    assert not LeadScore.objects.filter(lead_id=left_out).exists()
    assert list(Lead.objects.scored().values_list("pk", flat=True)) == [kept]


@not_on_postgresql
def test_on_other_databases_an_open_lead_left_out_of_the_rows_keeps_its_score() -> None:
    kept, left_out = make_leads(2)
    scores_replace(rows=rows_for({kept: 0.7, left_out: 0.4}), model_version=1, scored_at=AT)

    scores_replace(rows=rows_for({kept: 0.75}), model_version=2, scored_at=LATER)

    lead = Lead.objects.get(pk=left_out)
    assert (lead.score, lead.model_version, lead.scored_at) == (0.4, 1, AT)


def test_a_rescore_of_no_open_leads_still_keeps_the_labeled_leads_scores() -> None:
    (labeled,) = make_leads(1)
    scores_replace(rows=rows_for({labeled: 0.66}), model_version=1, scored_at=AT)
    Lead.rows.filter(pk=labeled).update(status=LeadStatus.NOT_CONVERTED)

    assert scores_replace(rows=rows_for({}), model_version=2, scored_at=LATER) == 0

    assert score_of(labeled) == 0.66


@pytest.mark.parametrize("version", [None, 5])
def test_the_explanations_given_are_stored_and_the_other_leads_have_none(version: int | None) -> None:
    explained, plain = make_leads(2)
    lines = ['▲ 3 pricing visits, "recent"', "▼ retail, small"]

    scores_replace(
        rows=rows_for({explained: 1 / 3, plain: 1 / 3}, explanations={explained: lines}, reason="exploration"),
        model_version=version,
        scored_at=AT,
    )

    fields = ["score", "fit_score", "behavior_score", "expected_value", "uncertainty", "priority"]
    fields += ["queue_reason", "model_version", "scored_at"]
    first, second = (Lead.objects.values(*fields, "explanation").get(pk=pk) for pk in (explained, plain))
    assert first.pop("explanation") == lines
    assert second.pop("explanation") is None
    second["behavior_score"] = first["behavior_score"]  # the one column rows_for varies by id
    assert first == second
    assert (first["expected_value"], first["model_version"], first["scored_at"]) == (None, version, AT)


def test_on_swap_runs_in_the_same_transaction_and_sees_the_new_scores() -> None:
    (lead,) = make_leads(1)
    scores_replace(rows=rows_for({lead: 0.2}), model_version=1, scored_at=AT)
    seen: list[Any] = []

    def on_swap() -> None:
        seen.append((connection.in_atomic_block, score_of(lead)))

    scores_replace(rows=rows_for({lead: 0.9}), model_version=2, scored_at=LATER, on_swap=on_swap)

    assert seen == [(True, 0.9)]


def test_an_error_in_on_swap_leaves_the_old_scores_in_place() -> None:
    a, b = make_leads(2)
    scores_replace(rows=rows_for({a: 0.2, b: 0.3}), model_version=1, scored_at=AT)

    def on_swap() -> None:
        raise RuntimeError("the loop state could not be updated")

    with pytest.raises(RuntimeError):
        scores_replace(rows=rows_for({a: 0.9}), model_version=2, scored_at=LATER, on_swap=on_swap)

    assert {pk: (score_of(pk), Lead.objects.get(pk=pk).model_version) for pk in (a, b)} == {a: (0.2, 1), b: (0.3, 1)}
    if connection.vendor == "postgresql":
        assert not next_table_left()


def table_shape() -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The live table's columns (type, nullability, default) and constraints (kind, definition)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT column_name, data_type, is_nullable, column_default FROM information_schema.columns "
            "WHERE table_name = %s ORDER BY ordinal_position",
            [LeadScore._meta.db_table],
        )
        columns = cursor.fetchall()
        cursor.execute(
            "SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass "
            "ORDER BY conname",
            [LeadScore._meta.db_table],
        )
        return columns, cursor.fetchall()


@on_postgresql
def test_after_two_replaces_the_live_table_has_exactly_the_models_indexes_and_its_primary_key() -> None:
    a, b, c = make_leads(3)
    shape = table_shape()

    scores_replace(rows=rows_for({a: 0.2, b: 0.3, c: 0.4}), model_version=1, scored_at=AT)
    scores_replace(rows=rows_for({a: 0.5, b: 0.6, c: 0.7}), model_version=2, scored_at=LATER)

    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = %s", [LeadScore._meta.db_table])
        indexes = {row[0] for row in cursor.fetchall()}
        cursor.execute(
            "SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'p'",
            [LeadScore._meta.db_table],
        )
        primary_keys = [row[0] for row in cursor.fetchall()]
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [LeadScore._meta.db_table])
        estimated_rows = cursor.fetchone()[0]
    assert indexes == {index.name for index in LeadScore._meta.indexes} | {"leads_leadscore_pkey"}
    assert primary_keys == ["leads_leadscore_pkey"]
    assert estimated_rows == 3, "the new table was analyzed"
    assert not next_table_left()
    assert table_shape() == shape, "the same columns and constraints as the table Django made"
    assert list(Lead.objects.order_by("-score").values_list("score", flat=True)) == [0.7, 0.6, 0.5]
