"""The field vocabulary reasons, reps and training share."""

from __future__ import annotations

from learning.core.fields import columns_of, field_of, field_words, known_fields

COLUMNS = [
    "industry",
    "deal_value",
    "crm_stage",
    "lead_age_days",
    "act_total",
    "act_last_7d",
    "act_last_30d",
    "act_decayed",
    "act_days_since_last",
    "act_span_days",
    "act_active_days",
    "count__pricing_visit",
    "recent30__pricing_visit",
    "count__demo",
    "recent30__demo",
    "_as_of_days",
]


def test_each_column_belongs_to_one_field() -> None:
    assert field_of("industry") == "industry"
    assert field_of("crm_stage") == "crm_stage"
    assert field_of("count__pricing_visit") == "activity:pricing_visit"
    assert field_of("recent30__pricing_visit") == "activity:pricing_visit"
    assert field_of("act_days_since_last") == "recency"
    assert field_of("act_total") == "engagement"
    assert field_of("lead_age_days") == "lead_age"


def test_a_field_covers_its_columns_and_only_those() -> None:
    assert columns_of("activity:pricing_visit", COLUMNS) == ["count__pricing_visit", "recent30__pricing_visit"]
    assert columns_of("recency", COLUMNS) == ["act_last_7d", "act_last_30d", "act_decayed", "act_days_since_last"]
    assert columns_of("engagement", COLUMNS) == ["act_total", "act_span_days", "act_active_days"]
    assert columns_of("deal_value", COLUMNS) == ["deal_value"]
    assert columns_of("revenue", COLUMNS) == []


def test_known_fields_lists_each_field_once_in_column_order_without_internal_columns() -> None:
    assert known_fields(COLUMNS) == [
        "industry",
        "deal_value",
        "crm_stage",
        "lead_age",
        "engagement",
        "recency",
        "activity:pricing_visit",
        "activity:demo",
    ]


def test_fields_in_plain_words() -> None:
    assert field_words("activity:pricing_visit") == "pricing visit activity"
    assert field_words("recency") == "recent activity"
    assert field_words("deal_value") == "deal value"
