"""One label per reason of an outcome: an admin cannot add, rename or restore a reason into a twin."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from django.contrib.messages import get_messages

from config.models import AuditLog
from feedback.models import Reason
from feedback.selectors import reason_keys, reasons_by_outcome
from feedback.services import LabelError, reason_add, reason_rename, reason_set_active
from feedback.taxonomy import OTHER_POSITION


def flashed(response: Any) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def refused_beside_the_form(response: Any) -> list[str]:
    """The errors the settings page shows beside the add-reason form it renders again (400)."""
    assert response.status_code == 400
    lists = re.findall(r'<ul class="errorlist[^"]*"[^>]*>(.*?)</ul>', response.content.decode(), flags=re.S)
    return [
        html.unescape(re.sub(r"<[^>]+>", "", item)) for block in lists for item in re.findall(r"<li>(.*?)</li>", block)
    ]


@pytest.mark.django_db
def test_it_refuses_to_rename_a_reason_to_the_label_of_another_of_its_outcome(admin: Any, page_for: Any) -> None:
    response = page_for(admin).post("/settings/reasons/no_budget/rename/", {"label": "  bad TIMING "})

    assert response.status_code == 302
    assert response["Location"] == "/settings/", "a refusal goes back to the top, where its message shows"
    assert Reason.objects.get(code="no_budget").label == "No budget"
    assert flashed(response) == [
        "Reason no_budget: label: 'bad TIMING' is already the label of reason bad_timing (not converted); "
        "pick another wording"
    ]
    assert not AuditLog.objects.exists()


@pytest.mark.django_db
def test_it_refuses_to_add_a_reason_with_a_label_its_outcome_already_has(admin: Any, page_for: Any) -> None:
    response = page_for(admin).post(
        "/settings/reasons/", {"code": "rival", "label": "Chose a competitor", "outcome": "not_converted"}
    )

    assert not Reason.objects.filter(code="rival").exists()
    assert refused_beside_the_form(response) == [
        "'Chose a competitor' is already the label of reason competitor (not converted); pick another wording"
    ]
    labels = [r.label for r in reasons_by_outcome()["not_converted"]]
    assert len(labels) == len(set(labels))


@pytest.mark.django_db
def test_the_same_label_may_serve_the_other_outcome_or_a_retired_reason(admin: Any) -> None:
    reason_add(user=admin, code="timing_won", label="Bad timing", outcome="converted")  # the other outcome
    bad_timing = Reason.objects.get(code="bad_timing")
    reason_set_active(user=admin, reason=bad_timing, active=False)

    reason_add(user=admin, code="timing", label="Bad timing", outcome="not_converted")  # the first is retired

    assert Reason.objects.filter(label="Bad timing").count() == 3


@pytest.mark.django_db
def test_a_reason_keeps_its_own_label_in_another_case(admin: Any) -> None:
    reason = reason_rename(user=admin, reason=Reason.objects.get(code="bad_timing"), label="Bad Timing")

    assert reason.label == "Bad Timing"


@pytest.mark.django_db
def test_a_retired_reason_whose_label_was_taken_is_not_restored(admin: Any, page_for: Any) -> None:
    bad_timing = Reason.objects.get(code="bad_timing")
    reason_set_active(user=admin, reason=bad_timing, active=False)
    reason_add(user=admin, code="timing", label="bad timing", outcome="not_converted")

    response = page_for(admin).post("/settings/reasons/bad_timing/retire/", {"restore": "1"})

    assert not Reason.objects.get(code="bad_timing").active
    assert flashed(response) == [
        "Reason bad_timing not restored: label: 'Bad timing' is already the label of reason timing (not converted); "
        "rename one of them first"
    ]
    with pytest.raises(LabelError, match=r"^label: "):
        reason_set_active(user=admin, reason=bad_timing, active=True)


@pytest.mark.django_db
def test_an_empty_rename_names_the_field(admin: Any, page_for: Any) -> None:
    response = page_for(admin).post("/settings/reasons/no_budget/rename/", {"label": "   "})

    assert flashed(response) == ["Reason no_budget: label: This field is required."]
    assert Reason.objects.get(code="no_budget").label == "No budget"


@pytest.mark.django_db
def test_a_change_goes_back_to_the_taxonomy(admin: Any, page_for: Any) -> None:
    response = page_for(admin).post("/settings/reasons/no_budget/rename/", {"label": "No budget this year"})

    assert response["Location"] == "/settings/#reasons"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("label", "words"),
    [("A" * 100, "at most 60 characters"), ("Lost to " + "x" * 31, "words of at most 30 characters")],
)
def test_a_reason_a_rep_cannot_read_at_a_glance_is_refused(admin: Any, page_for: Any, label: str, words: str) -> None:
    response = page_for(admin).post("/settings/reasons/", {"code": "long", "label": label, "outcome": "not_converted"})

    assert not Reason.objects.filter(code="long").exists()
    assert any(words in message for message in refused_beside_the_form(response))
    with pytest.raises(LabelError, match=words):
        reason_rename(user=admin, reason=Reason.objects.get(code="no_budget"), label=label)
    assert Reason.objects.get(code="no_budget").label == "No budget"


@pytest.mark.django_db
def test_a_refused_new_reason_comes_back_as_typed_beside_its_form(admin: Any, page_for: Any) -> None:
    """The admin sees why at the form, with what they typed, not a blank form at the page's top."""
    response = page_for(admin).post(
        "/settings/reasons/", {"code": "Bad Code!", "label": "Legal said no", "outcome": "not_converted"}
    )

    assert refused_beside_the_form(response) == ["use only letters, digits, _ or - (e.g. no_budget), no spaces"]
    page = response.content.decode()
    assert 'action="/settings/reasons/#reasons"' in page, "the browser lands on the form, not the page's top"
    assert 'value="Bad Code!"' in page and 'value="Legal said no"' in page
    assert '<option value="not_converted" selected>' in page
    assert not Reason.objects.filter(label="Legal said no").exists()
    assert not AuditLog.objects.exists()


@pytest.mark.django_db
def test_a_refused_candidate_reason_goes_back_to_the_top_with_its_message_even_unfiled(
    admin: Any, page_for: Any
) -> None:
    """A candidate's row (its 'file the labels' box unticked) is not the taxonomy's form: its refusal
    is the message at the top, not errors beside a form it never filled."""
    body = {"from": "notes", "code": "legal_review", "outcome": "not_converted", "label": "No budget"}

    response = page_for(admin).post("/settings/reasons/", body)

    assert response.status_code == 302
    assert flashed(response) == [
        "label: 'No budget' is already the label of reason no_budget (not converted); pick another wording"
    ]


@pytest.mark.django_db
def test_adding_a_reason_tells_the_admin_the_keys_it_moves(admin: Any, page_for: Any) -> None:
    before = reason_keys("not_converted")
    other = Reason.objects.get(outcome="not_converted", position=OTHER_POSITION)

    response = page_for(admin).post(
        "/settings/reasons/",
        {"code": "in_house", "label": "Built it in-house", "outcome": "not_converted"},
        follow=True,
    )

    after = reason_keys("not_converted")
    assert after["in_house"] == before[other.code] and after[other.code] != before[other.code]
    assert {code: key for code, key in after.items() if code not in ("in_house", other.code)} == {
        code: key for code, key in before.items() if code != other.code
    }  # the others keep theirs
    shown = html.unescape(response.content.decode())
    assert (
        f"Reps press {after['in_house']} for it; '{other.label}' moves to {after[other.code]}: tell your reps." in shown
    )
