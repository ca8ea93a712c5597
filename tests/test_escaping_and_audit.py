"""Imported text, notes and reasons are HTML-escaped on every page; label edits and token changes
are in the audit log."""

from __future__ import annotations

from typing import Any

import pytest

from config.models import AuditLog
from feedback.services import label_submit, label_undo, reason_add
from leads.models import Lead
from leads.services import import_leads
from learning.rescoring import rescore_open_leads

pytestmark = pytest.mark.django_db
SCRIPT = '<script>alert("owned")</script>'
IMG = "<img src=x onerror=alert(1)>"


@pytest.fixture
def hostile(admin: Any, rep: Any) -> None:
    rows = [
        {"external_id": f"X{i}", "company": SCRIPT, "industry": IMG, "title": SCRIPT, "crm_note": SCRIPT}
        for i in range(1, 4)
    ]
    result = import_leads(rows=enumerate(rows, start=2))
    assert result.imported == 3
    rescore_open_leads()
    reason = reason_add(user=admin, code="hostile", label=IMG, outcome="converted")
    label_submit(
        user=rep, lead=Lead.objects.get(external_id="X2"), outcome="converted", reason_code=reason.code, note=SCRIPT
    )


PAGES = [
    ("rep", "/queue/"),
    ("rep", "/leads/"),
    ("rep", "/leads/X1/"),
    ("rep", "/leads/X2/"),
    ("rep", "/leads/X1/score/"),
    ("manager", "/dashboards/"),
    ("manager", "/dashboards/reasons/?outcome=converted&reason=hostile"),
    ("admin", "/settings/"),
    ("admin", "/leads/?status=all"),
]


@pytest.mark.parametrize(("who", "url"), PAGES)
def test_hostile_text_is_escaped(who: str, url: str, hostile: None, request: Any, page_for: Any) -> None:
    response = page_for(request.getfixturevalue(who)).get(url)

    assert response.status_code == 200
    html = response.content.decode()
    assert SCRIPT not in html and IMG not in html
    if "/score/" not in url:  # the score panel shows no imported text
        assert "&lt;script&gt;" in html or "&lt;img" in html, f"{url} shows the text, escaped"


def test_an_undo_is_a_label_edit_in_the_audit_log(hostile: None, rep: Any) -> None:
    lead = label_undo(user=rep, lease_minutes=15)

    assert lead is not None and lead.external_id == "X2"
    entry = AuditLog.objects.get(action="label.undo")
    assert entry.user == rep and "X2" in entry.target
    assert entry.changes["outcome"] == ["converted", None]
    assert entry.changes["reason"] == ["hostile", None]
    assert entry.changes["note"] == [SCRIPT, None]
    assert "fields" not in entry.changes  # none were marked: not shown as "none → —"


def test_settings_promotion_and_token_changes_are_audited(admin: Any, api_for: Any) -> None:
    from config.tokens import token_create, token_revoke
    from learning.services.admin import loop_settings_update

    loop_settings_update(user=admin, changes={"hot_threshold": 0.42})
    token_create(user=admin, name="crm", by=admin)
    token_revoke(user=admin, name="crm", by=admin)

    actions = set(AuditLog.objects.values_list("action", flat=True))
    assert {"settings.update", "token.create", "token.revoke"} <= actions
