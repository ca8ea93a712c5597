"""Which field an explanation line speaks about: column_of_line inverts describe and the rule lines."""

from __future__ import annotations

import pytest

from learning.core.explain import column_of_line, describe
from learning.core.fields import field_of
from learning.core.model import Factor
from learning.core.rules import PointRules, ProfileRule, score_by_rules

COLUMNS = [
    "industry",
    "employees",
    "deal_value",
    "crm_stage",
    "count__pricing_visit",
    "recent30__pricing_visit",
    "count__demo-request",
    "count__page_visit",
    "recent30__page_visit",
    "act_total",
    "act_last_7d",
    "act_last_30d",
    "act_active_days",
    "act_days_since_last",
    "act_span_days",
    "act_decayed",
    "lead_age_days",
]


@pytest.mark.parametrize("column", COLUMNS)
@pytest.mark.parametrize("value", [3.0, 1.0, 0.5, "software", None, 1250.0])
@pytest.mark.parametrize("weight", [0.4, -0.4])
def test_every_line_describe_writes_names_its_own_column(column: str, value: object, weight: float) -> None:
    line = describe(Factor(column, value, weight))
    compared = describe(Factor(column, value, weight, typical=14.0))

    assert column_of_line(line, COLUMNS) == column
    assert column_of_line(compared, COLUMNS) == column  # "(typical: 14)" after a number changes nothing


def test_a_number_says_how_it_compares_with_the_typical_lead() -> None:
    assert describe(Factor("act_active_days", 9.0, -0.3, typical=14.0)) == "▼ 9 days with activity (typical: 14)"
    assert describe(Factor("recent30__email_click", 2.0, 0.3, typical=0.0)) == (
        "▲ 2 × email click in the last 30 days (typical: 0)"
    )
    assert describe(Factor("act_active_days", 14.0, 0.3, typical=14.0)) == "▲ 14 days with activity"  # as usual
    assert describe(Factor("industry", "retail", -0.3, typical=None)) == "▼ industry: retail"
    assert describe(Factor("employees", None, -0.3, typical=125.0)) == "▼ employees unknown"


@pytest.mark.parametrize(
    ("column", "one", "three"),
    [
        ("act_last_7d", "▲ 1 activity in the last 7 days", "▲ 3 activities in the last 7 days"),
        ("act_active_days", "▲ 1 day with activity", "▲ 3 days with activity"),
        ("act_days_since_last", "▲ last activity 1 day ago", "▲ last activity 3 days ago"),
        ("act_span_days", "▲ 1 day from first to last activity", "▲ 3 days from first to last activity"),
        ("lead_age_days", "▲ lead created 1 day ago", "▲ lead created 3 days ago"),
    ],
)
def test_a_count_of_one_reads_in_the_singular(column: str, one: str, three: str) -> None:
    assert (describe(Factor(column, 1.0, 0.4)), describe(Factor(column, 3, 0.4))) == (one, three)


def test_a_number_that_rounds_to_a_whole_one_reads_without_a_trailing_zero() -> None:
    assert describe(Factor("act_days_since_last", 66.96, 0.4)) == "▲ last activity 67 days ago"  # not 67.0
    assert describe(Factor("lead_age_days", 0.97, 0.4)) == "▲ lead created 1 day ago"  # and agrees in the singular
    assert describe(Factor("act_days_since_last", 2.5, 0.4)) == "▲ last activity 2.5 days ago"


def test_the_fields_of_the_lines_follow_the_field_vocabulary() -> None:
    lines = [describe(Factor(c, 2.0, 1.0)) for c in ["recent30__pricing_visit", "act_last_30d", "deal_value"]]

    assert [field_of(column_of_line(line, COLUMNS) or "") for line in lines] == [
        "activity:pricing_visit",
        "recency",
        "deal_value",
    ]


def test_the_cold_start_rules_lines_name_their_column_too() -> None:
    import pandas as pd

    rules = PointRules(
        activity_points={"pricing_visit": 10.0, "demo-request": 20.0},
        profile_rules=[ProfileRule(field="industry", value="software", points=15.0)],
    )
    frame = pd.DataFrame(
        {"industry": ["software"], "count__pricing_visit": [3.0], "count__demo-request": [1.0]},
    )
    lines = score_by_rules(frame, rules).explanations[0]

    assert sorted(column_of_line(line, COLUMNS) for line in lines) == [
        "count__demo-request",
        "count__pricing_visit",
        "industry",
    ]


def test_a_line_no_column_fits_names_none() -> None:
    assert column_of_line("▲ region: EMEA", COLUMNS) is None
    assert column_of_line("▲ 3 × webinar in total", COLUMNS) is None
    assert column_of_line("", COLUMNS) is None


def test_a_custom_column_that_reads_like_a_behaviour_line_does_not_take_it() -> None:
    columns = ["lead_created", "lead_age_days"]

    assert column_of_line(describe(Factor("lead_age_days", 12.0, 1.0)), columns) == "lead_age_days"
    assert column_of_line(describe(Factor("lead_created", "yes", 1.0)), columns) == "lead_created"


def test_a_span_reads_in_whole_days_and_a_stored_older_line_still_finds_its_column() -> None:
    assert describe(Factor("act_span_days", 24.2, 0.4)) == "▲ 24 days from first to last activity"
    assert describe(Factor("act_span_days", float("nan"), -0.4)) == "▼ 0 days from first to last activity"
    assert column_of_line("▲ engaged over 24.2 days", COLUMNS) == "act_span_days"
