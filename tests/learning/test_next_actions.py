"""Next best action: eligibility rules on lead fields, then P(convert) x value."""

from __future__ import annotations

import re
from typing import Any

import pytest

from leads.models import Lead
from learning.core.actions import RuleSyntaxError, holds, parse_rule, rank_actions
from learning.models import NextAction
from learning.selectors import next_actions_for
from tests.scores import create_scored_lead


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("industry in software, logistics", {"field": "industry", "op": "in", "value": ["software", "logistics"]}),
        ("industry not in retail", {"field": "industry", "op": "not in", "value": ["retail"]}),
        ("employees >= 50", {"field": "employees", "op": ">=", "value": 50.0}),
        ("score < 0.2", {"field": "score", "op": "<", "value": 0.2}),
        ("country = Germany", {"field": "country", "op": "=", "value": "Germany"}),
        ("country != United States", {"field": "country", "op": "!=", "value": "United States"}),
    ],
)
def test_rules_are_written_as_field_operator_value(line: str, expected: dict[str, Any]) -> None:
    assert parse_rule(line).as_dict() == expected


@pytest.mark.parametrize("line", ["employees >= lots", "just words", ">= 5", "two words = x"])
def test_a_rule_that_cannot_be_read_says_why(line: str) -> None:
    with pytest.raises(RuleSyntaxError):
        parse_rule(line)


LEAD = {"industry": "Software", "employees": 120, "country": "Germany", "score": 0.4, "title": ""}


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ({"field": "industry", "op": "in", "value": ["software", "retail"]}, True),  # case-insensitive
        ({"field": "industry", "op": "not in", "value": ["software"]}, False),
        ({"field": "employees", "op": ">=", "value": 120}, True),
        ({"field": "employees", "op": ">", "value": 120}, False),
        ({"field": "score", "op": "<", "value": 0.5}, True),
        ({"field": "country", "op": "=", "value": "germany"}, True),
        ({"field": "country", "op": "!=", "value": "Germany"}, False),
        ({"field": "title", "op": "!=", "value": "CEO"}, False),  # an empty field satisfies no rule
        ({"field": "deal_value", "op": ">=", "value": 0}, False),  # nor does a missing one
    ],
)
def test_eligibility(rule: dict[str, Any], expected: bool) -> None:
    assert holds(rule, LEAD) is expected


def test_eligible_actions_are_ranked_by_probability_times_value() -> None:
    actions = [
        {"code": "nurture", "label": "Nurture", "value": 100, "rules": []},
        {"code": "call", "label": "Call", "value": 800, "rules": [{"field": "score", "op": ">=", "value": 0.5}]},
        {"code": "demo", "label": "Demo", "value": 600, "rules": [{"field": "employees", "op": ">=", "value": 51}]},
        {
            "code": "partner",
            "label": "Partner",
            "value": 250,
            "rules": [{"field": "employees", "op": "<=", "value": 50}],
        },
    ]

    ranked = rank_actions(lead=LEAD, probability=0.4, actions=actions)

    assert [(a.code, a.expected_value) for a in ranked] == [("demo", 240.0), ("nurture", 40.0)]


def test_an_unscored_lead_gets_zero_expected_value() -> None:
    ranked = rank_actions(lead=LEAD, probability=None, actions=[{"code": "a", "label": "A", "value": 10, "rules": []}])

    assert ranked[0].expected_value == 0.0


@pytest.mark.django_db
def test_the_migration_creates_default_actions(defaults: None) -> None:
    assert {"call_now", "nurture_email", "partner_handoff", "disqualify"} <= set(
        NextAction.objects.values_list("code", flat=True)
    )


@pytest.mark.django_db
def test_retired_actions_and_closed_leads_get_nothing(defaults: None) -> None:
    NextAction.objects.update(active=False)
    NextAction.objects.create(code="only", label="Only", value=100, rules=[])
    lead = create_scored_lead(external_id="X", score=0.5)
    closed = create_scored_lead(external_id="Y", score=0.5, status="converted")

    assert [a.code for a in next_actions_for(lead=lead)] == ["only"]
    assert next_actions_for(lead=closed) == []


@pytest.mark.django_db
def test_rules_see_custom_attributes(defaults: None) -> None:
    NextAction.objects.all().delete()
    NextAction.objects.create(
        code="q", label="Q", value=10, rules=[{"field": "crm_stage", "op": "=", "value": "qualified"}]
    )

    assert next_actions_for(lead=create_scored_lead(external_id="A", score=0.3, attributes={"crm_stage": "qualified"}))
    assert not next_actions_for(lead=create_scored_lead(external_id="B", score=0.3, attributes={"crm_stage": "new"}))


@pytest.fixture
def big_lead(defaults: None) -> Lead:
    return create_scored_lead(
        external_id="BIG-1", company="Big Co", industry="software", employees=500, score=0.6, deal_value=40000
    )


@pytest.mark.django_db
def test_the_api_gives_the_ranked_next_actions(rep: Any, api_for: Any, big_lead: Lead) -> None:
    body = api_for(rep).get("/api/leads/BIG-1").json()

    # Defaults: call now (score ≥ .5, 800) and demo (score ≥ .25 and ≥ 51 employees, 600).
    assert body["next_actions"] == [
        {"code": "call_now", "label": "Call now", "expected_value": pytest.approx(480.0)},
        {"code": "book_demo", "label": "Offer a demo", "expected_value": pytest.approx(360.0)},
    ]


@pytest.mark.django_db
def test_the_lead_page_shows_the_next_best_action(rep: Any, page_for: Any, big_lead: Lead) -> None:
    text = page_for(rep).get("/leads/BIG-1/").content.decode()

    assert "Next best action" in text
    assert text.index("Call now") < text.index("Offer a demo")


@pytest.mark.django_db
def test_the_openapi_document_describes_next_actions(rep: Any, api_for: Any) -> None:
    schema = api_for(rep).get("/api/openapi.json").json()

    assert "next_actions" in schema["components"]["schemas"]["LeadOut"]["properties"]


@pytest.mark.parametrize(
    ("line", "shown"),
    [
        ("employees >= 51", "employees >= 51"),
        ("score >= 0.3", "score >= 30%"),
        ("score >= 30%", "score >= 30%"),
        ("score < 12.5 %", "score < 12.5%"),
        ("deal_value > 1234567", "deal_value > 1234567"),
        ("industry in software,  logistics", "industry in software, logistics"),
        ("country = Germany", "country = Germany"),
    ],
)
def test_a_rule_reads_back_as_it_was_written(line: str, shown: str) -> None:
    assert str(parse_rule(line)) == shown


@pytest.mark.parametrize(
    ("line", "why"),
    [
        ("score >= 30", "a score is from 0% to 100%: write it in percent (score >= 30%)"),
        ("score < 1", "write it in percent (score < 1%)"),
        ("score = 30%", "compare a score with >=, >, <= or <"),
        ("score in 0.3, 0.4", "compare a score with >=, >, <= or <"),
        ("score < 120%", "a score is from 0% to 100%, not 120%"),
        ("score >= -5%", "a score is from 0% to 100%, not -5%"),
    ],
)
def test_a_score_rule_is_in_percent_as_every_page_shows_a_score(line: str, why: str) -> None:
    """``score >= 30`` never holds for a score of 0-1: refused with the way to write it, not stored."""
    assert parse_rule("score >= 30%").value == pytest.approx(0.3)
    with pytest.raises(RuleSyntaxError, match=re.escape(why)):
        parse_rule(line)
