"""The audit log on /settings/ prints values as people read them, not as Python writes them."""

from __future__ import annotations

from typing import Any

import pytest

from config.audit import audit_record, change_words


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ([["seniority"], None], "seniority → —"),
        ([["seniority", "industry"], []], "seniority, industry → none"),
        ([0.5, 0.42], "0.5 → 0.42"),
        ([True, False], "yes → no"),
        (["", "Asked about pricing"], "— → Asked about pricing"),
        ([None, [{"field": "score", "op": ">=", "value": 0.5}]], "— → score >= 50%"),
        ([None, [{"field": "employees", "op": ">=", "value": 50}]], "— → employees >= 50"),
        ({"rows": 12}, "12"),
        ({"imported": 14276}, "14,276"),
        ([50, 1000], "50 → 1,000"),
    ],
)
def test_a_change_reads_in_words(change: Any, words: str) -> None:
    assert change_words(change) == words


def test_a_share_reads_as_the_percentage_the_settings_page_shows() -> None:
    assert change_words([0.5, 0.6], "hot_threshold") == "50% → 60%"
    assert change_words([0.2, 0.125], "exploration") == "20% → 12.5%"
    assert change_words([0.5, 0.6], "cost_per_lead") == "0.5 → 0.6"


@pytest.mark.django_db
def test_the_audit_log_prints_a_list_as_its_items(admin: Any, page_for: Any) -> None:
    audit_record(user=admin, action="label.undo", target="label of lead L1", changes={"fields": [["seniority"], None]})

    page = page_for(admin).get("/settings/").content.decode()

    assert "fields: seniority → —" in page
    assert "[&#x27;seniority&#x27;]" not in page
