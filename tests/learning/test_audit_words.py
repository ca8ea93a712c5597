"""The audit log on /settings/ prints values as people read them, not as Python writes them."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from config.audit import ACTION_WORDS, audit_record, change_words
from learning.core.actions import parse_rule


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ([["seniority"], None], "seniority → —"),
        ([["seniority", "industry"], []], "seniority, industry → none"),
        ([0.5, 0.42], "0.5 → 0.42"),
        ([True, False], "yes → no"),
        (["", "Asked about pricing"], "— → Asked about pricing"),
        ([None, [{"field": "score", "op": ">=", "value": 0.5}]], "— → score >= 50%"),
        (
            [[parse_rule("score >= 25%").as_dict(), parse_rule("employees >= 51").as_dict()], None],
            "score >= 25% and employees >= 51 → —",
        ),
        ([None, [parse_rule("industry in software, retail").as_dict()]], "— → industry in software, retail"),
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


@pytest.mark.django_db
def test_a_reasons_fields_read_in_the_words_the_settings_page_names_them(admin: Any, page_for: Any) -> None:
    changes = {"fields": [["recency", "lead_age"], ["recency", "activity:call"]]}
    audit_record(user=admin, action="reason.fields", target="reason unresponsive", changes=changes)

    page = page_for(admin).get("/settings/audit/").content.decode()

    assert "fields: recent activity, lead age → recent activity, call activity" in page


def test_every_audited_action_reads_in_words_on_the_log() -> None:
    """Each action code the code records ("user.update", f"import.{kind}") has words on the log."""
    root = Path(__file__).resolve().parents[2]
    pattern = re.compile(r'"([a-z_]+\.[a-z_]+)"')
    codes = {
        code
        for app in ("config", "leads", "feedback", "learning")
        for path in (root / app).rglob("*.py")
        if "migrations" not in path.parts and path.name != "audit.py"
        for line in path.read_text().splitlines()
        if "action" in line
        for code in pattern.findall(line)
    }
    assert "user.update" in codes and "reason.retire" in codes  # the scan finds them
    assert codes - set(ACTION_WORDS) == set()
    assert {"import.leads", "import.activities"} <= set(ACTION_WORDS)  # recorded as f"import.{kind}"


@pytest.mark.django_db
def test_the_log_says_what_happened_in_words(admin: Any, page_for: Any) -> None:
    audit_record(user=admin, action="label.undo", target="label of lead L1", changes={})
    page = page_for(admin).get("/settings/audit/").content.decode()
    assert '<td title="label.undo">label undone</td>' in page
