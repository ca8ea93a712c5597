"""The pages: login first, roles enforced on the server, and labeling from the queue page."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from feedback.models import Label, Lease, Skip
from leads.models import Lead

FETCH = {"X-Requested-With": "fetch"}


def shown_lead(response: Any) -> str:
    """The external_id of the lead on the queue card ('' when the queue is empty)."""
    match = re.search(r'<div id="queue-card" data-lead="([^"]*)"', response.content.decode())
    assert match, "no queue card on the page"
    return match.group(1)


def label_body(lead: str, outcome: str = "converted", reason: str = "champion", **extra: str) -> dict[str, str]:
    return {"lead": lead, "outcome": outcome, "reason": reason, "note": "", "seconds": "2.5", **extra}


PAGES = ["/queue/", "/leads/", "/leads/S0000/", "/dashboards/", "/settings/", "/leads/import/", "/scores/state/"]


@pytest.mark.django_db
@pytest.mark.parametrize("path", PAGES)
def test_every_page_sends_an_anonymous_visitor_to_the_login_page(path: str, make_leads: Any) -> None:
    make_leads(1)

    response = Client().get(path)

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={path}"


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/queue/label/", "/queue/skip/", "/queue/undo/"])
def test_an_anonymous_post_is_sent_to_the_login_page_and_stores_nothing(path: str, make_leads: Any) -> None:
    ids = make_leads(1)

    response = Client().post(path, label_body(ids[0]))

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert not Label.objects.exists()
    assert not Skip.objects.exists()


@pytest.mark.django_db
def test_a_rep_signs_in_with_the_login_form_and_lands_on_the_queue(rep: Any) -> None:
    client = Client()

    response = client.post("/accounts/login/", {"username": "rep1", "password": "password-123"})

    assert response.status_code == 302
    assert client.get("/", follow=True).redirect_chain[-1][0] == "/queue/"


@pytest.mark.django_db
def test_a_wrong_password_does_not_sign_in(rep: Any) -> None:
    client = Client()

    response = client.post("/accounts/login/", {"username": "rep1", "password": "nope"})

    assert response.status_code == 200
    assert client.get("/queue/").status_code == 302


ROLE_MATRIX = [
    ("rep", "/queue/", 200),
    ("rep", "/leads/", 200),
    ("rep", "/leads/S0000/", 200),
    ("rep", "/scores/state/", 200),
    ("rep", "/dashboards/", 403),
    ("rep", "/settings/", 403),
    ("rep", "/leads/import/", 403),
    ("manager", "/dashboards/", 200),
    ("manager", "/leads/", 200),
    ("manager", "/leads/S0000/", 200),
    ("manager", "/queue/", 403),
    ("manager", "/settings/", 403),
    ("manager", "/leads/import/", 403),
    ("nobody", "/queue/", 403),
    ("nobody", "/leads/", 403),
    ("nobody", "/dashboards/", 403),
    ("nobody", "/settings/", 403),
    *(("admin", path, 200) for path in PAGES),
]


@pytest.fixture
def nobody(defaults: None) -> Any:
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_user(username="nobody", password="password-123")


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "path", "status"), ROLE_MATRIX)
def test_each_role_reaches_only_its_pages(
    role: str, path: str, status: int, request: pytest.FixtureRequest, page_for: Any, make_leads: Any
) -> None:
    make_leads(2)

    response = page_for(request.getfixturevalue(role)).get(path)

    assert response.status_code == status


@pytest.mark.django_db
def test_an_unknown_lead_page_is_404(rep: Any, page_for: Any, make_leads: Any) -> None:
    make_leads(1)

    assert page_for(rep).get("/leads/NOPE-1/").status_code == 404


@pytest.mark.django_db
def test_the_queue_page_shows_a_lead_leased_to_the_rep(rep: Any, page_for: Any, make_leads: Any) -> None:
    ids = make_leads(3)

    response = page_for(rep).get("/queue/")

    assert response.status_code == 200
    lead = shown_lead(response)
    assert lead in ids
    assert Lead.objects.get(external_id=lead).company in response.content.decode()
    assert Lease.objects.get(lead__external_id=lead).user == rep


@pytest.mark.django_db
def test_two_reps_are_shown_different_leads(rep: Any, rep2: Any, page_for: Any, make_leads: Any) -> None:
    make_leads(3)

    first = shown_lead(page_for(rep).get("/queue/"))
    second = shown_lead(page_for(rep2).get("/queue/"))

    assert first != second


@pytest.mark.django_db
def test_an_empty_queue_says_so(rep: Any, page_for: Any, defaults: None) -> None:
    response = page_for(rep).get("/queue/")

    assert response.status_code == 200
    assert shown_lead(response) == ""
    assert "Your queue is empty" in response.content.decode()


@pytest.mark.django_db
def test_a_plain_post_stores_the_label_and_redirects_to_the_queue(rep: Any, page_for: Any, make_leads: Any) -> None:
    make_leads(3)
    client = page_for(rep)
    lead = shown_lead(client.get("/queue/"))

    response = client.post("/queue/label/", label_body(lead, note="Met the CFO"))

    assert response.status_code == 302
    assert response["Location"] == "/queue/"
    label = Label.objects.get()
    assert (label.lead.external_id, label.outcome, label.reason.code) == (lead, "converted", "champion")
    assert (label.user, label.source, label.note, label.seconds_to_label) == (rep, "rep", "Met the CFO", 2.5)
    assert Lead.objects.get(external_id=lead).status == "converted"
    follow = client.get("/queue/")
    assert shown_lead(follow) not in ("", lead)
    assert "Labeled" in follow.content.decode()


@pytest.mark.django_db
def test_a_fetch_post_answers_the_next_lead_as_a_fragment(rep: Any, page_for: Any, make_leads: Any) -> None:
    make_leads(3)
    client = page_for(rep)
    lead = shown_lead(client.get("/queue/"))

    response = client.post("/queue/label/", label_body(lead, "not_converted", "no_budget"), headers=FETCH)

    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="queue-card"')
    assert "<html" not in html
    assert shown_lead(response) not in ("", lead)
    assert Label.objects.get().outcome == "not_converted"


@pytest.mark.django_db
def test_a_fetch_get_of_the_queue_answers_the_fragment(rep: Any, page_for: Any, make_leads: Any) -> None:
    make_leads(2)

    response = page_for(rep).get("/queue/", headers=FETCH)

    assert response.status_code == 200
    assert "<html" not in response.content.decode()
    assert shown_lead(response)


@pytest.mark.django_db
def test_the_same_label_posted_twice_is_stored_once(rep: Any, page_for: Any, make_leads: Any) -> None:
    make_leads(2)
    client = page_for(rep)
    lead = shown_lead(client.get("/queue/"))

    client.post("/queue/label/", label_body(lead), headers=FETCH)
    response = client.post("/queue/label/", label_body(lead), headers=FETCH)

    assert response.status_code == 200
    assert Label.objects.count() == 1


@pytest.mark.django_db
def test_another_outcome_on_a_labeled_lead_answers_409(rep: Any, page_for: Any, make_leads: Any) -> None:
    make_leads(2)
    client = page_for(rep)
    lead = shown_lead(client.get("/queue/"))
    client.post("/queue/label/", label_body(lead))

    response = client.post("/queue/label/", label_body(lead, "not_converted", "no_budget"), headers=FETCH)

    assert response.status_code == 409
    assert Label.objects.get().outcome == "converted"


@pytest.mark.django_db
def test_skip_releases_the_lead_and_shows_another(rep: Any, rep2: Any, page_for: Any, make_leads: Any) -> None:
    make_leads(3)
    client = page_for(rep)
    lead = shown_lead(client.get("/queue/"))

    response = client.post("/queue/skip/", {"lead": lead})

    assert response.status_code == 302
    assert Skip.objects.filter(lead__external_id=lead, user=rep).exists()
    assert not Lease.objects.filter(lead__external_id=lead).exists()
    assert not Label.objects.exists()
    assert Lead.objects.get(external_id=lead).status == "open"
    assert shown_lead(client.get("/queue/")) not in ("", lead)
    assert shown_lead(page_for(rep2).get("/queue/")) == lead


@pytest.mark.django_db
def test_skip_with_fetch_answers_the_next_lead(rep: Any, page_for: Any, make_leads: Any) -> None:
    make_leads(2)
    client = page_for(rep)
    lead = shown_lead(client.get("/queue/"))

    response = client.post("/queue/skip/", {"lead": lead}, headers=FETCH)

    assert response.status_code == 200
    assert shown_lead(response) not in ("", lead)


@pytest.mark.django_db
def test_undo_takes_back_the_last_label_and_shows_its_lead_again(rep: Any, page_for: Any, make_leads: Any) -> None:
    make_leads(3)
    client = page_for(rep)
    lead = shown_lead(client.get("/queue/"))
    client.post("/queue/label/", label_body(lead))

    response = client.post("/queue/undo/")

    assert response.status_code == 302
    assert not Label.objects.exists()
    assert Lead.objects.get(external_id=lead).status == "open"
    assert shown_lead(client.get("/queue/")) == lead


@pytest.mark.django_db
def test_an_undone_answer_stays_filled_in_on_reload_until_the_queue_moves_on(
    rep: Any, page_for: Any, make_leads: Any
) -> None:
    make_leads(3)
    client = page_for(rep)
    lead = shown_lead(client.get("/queue/"))
    client.post("/queue/label/", label_body(lead, note="Signed after the demo"))
    client.post("/queue/undo/")

    for _ in range(2):  # the page after the undo, then a reload
        response = client.get("/queue/")
        assert shown_lead(response) == lead and "Signed after the demo</textarea>" in response.content.decode()
    client.post("/queue/label/", label_body(lead, note="Signed after the demo"))

    response = client.get("/queue/")
    assert shown_lead(response) != lead and "Signed after the demo" not in response.content.decode()


@pytest.mark.django_db
def test_undo_with_nothing_to_undo_answers_409(rep: Any, page_for: Any, make_leads: Any) -> None:
    make_leads(1)

    response = page_for(rep).post("/queue/undo/", headers=FETCH)

    assert response.status_code == 409
    assert "Nothing to undo" in response.content.decode()


@pytest.mark.django_db
def test_undo_never_takes_back_another_reps_label(rep: Any, rep2: Any, page_for: Any, make_leads: Any) -> None:
    make_leads(2)
    client = page_for(rep)
    lead = shown_lead(client.get("/queue/"))
    client.post("/queue/label/", label_body(lead))

    assert page_for(rep2).post("/queue/undo/").status_code == 409
    assert Label.objects.count() == 1


BAD_LABELS = [
    pytest.param({"outcome": "maybe"}, "outcome", id="bad outcome"),
    pytest.param({"outcome": ""}, "outcome", id="missing outcome"),
    pytest.param({"reason": ""}, "reason", id="missing reason"),
    pytest.param({"reason": "telepathy"}, "reason", id="unknown reason"),
    pytest.param({"reason": "no_budget"}, "reason", id="reason of the other outcome"),
    pytest.param({"seconds": "-1"}, "seconds", id="negative seconds"),
    pytest.param({"outcome": "not_converted", "reason": "other_not_converted"}, "note", id="other without a note"),
    pytest.param({"reason": "other_converted", "note": "  "}, "note", id="other with a blank note"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("change", "field"), BAD_LABELS)
@pytest.mark.parametrize("headers", [{}, FETCH], ids=["plain", "fetch"])
def test_a_bad_label_answers_400_naming_the_field(
    change: dict[str, str], field: str, headers: dict[str, str], rep: Any, page_for: Any, make_leads: Any
) -> None:
    make_leads(2)
    client = page_for(rep)
    lead = shown_lead(client.get("/queue/"))

    response = client.post("/queue/label/", {**label_body(lead), **change}, headers=headers)

    assert response.status_code == 400
    assert f"{field}: " in response.content.decode()
    assert not Label.objects.exists()
    assert shown_lead(response) == lead


@pytest.mark.django_db
def test_an_other_reason_without_a_note_says_why_on_the_queue_card(rep: Any, page_for: Any, make_leads: Any) -> None:
    make_leads(2)
    client = page_for(rep)
    lead = shown_lead(client.get("/queue/"))

    response = client.post("/queue/label/", label_body(lead, reason="other_converted"), headers=FETCH)

    assert response.status_code == 400
    assert "note: say why — this reason needs a note" in response.content.decode()
    assert not Label.objects.exists()
    saved = client.post("/queue/label/", label_body(lead, reason="other_converted", note="a referral"))
    assert saved.status_code == 302
    assert Label.objects.get().note == "a referral"


@pytest.mark.django_db
def test_the_lead_pages_form_refuses_an_other_reason_without_a_note(rep: Any, page_for: Any, make_leads: Any) -> None:
    [lead, *_] = make_leads(2)
    client = page_for(rep)

    response = client.post(f"/leads/{lead}/label/", label_body(lead, reason="other_converted"), follow=True)

    assert response.redirect_chain == [(f"/leads/{lead}/", 302)]
    assert "note: say why — this reason needs a note" in response.content.decode()
    assert not Label.objects.exists()
    assert Lead.objects.get(external_id=lead).status == "open"


@pytest.mark.django_db
def test_a_refused_label_comes_back_with_the_reps_answer_filled_in(rep: Any, page_for: Any, make_leads: Any) -> None:
    make_leads(2)
    client = page_for(rep)
    lead = shown_lead(client.get("/queue/"))

    refused = client.post("/queue/label/", label_body(lead, outcome="not_converted", reason="other_not_converted"))
    again = client.get("/queue/").content.decode()  # a reload still shows it

    for page in (refused.content.decode(), again):
        assert 'value="not_converted" required checked' in page
        assert re.search(r'value="other_not_converted"[^>]*required checked', page)
        assert '(needed: say why)</span> <textarea name="note"' in page and 'required aria-invalid="true"' in page


@pytest.mark.django_db
def test_the_lead_page_shows_a_refused_answer_once(rep: Any, page_for: Any, make_leads: Any) -> None:
    [lead, *_] = make_leads(2)
    client = page_for(rep)

    shown = client.post(f"/leads/{lead}/label/", label_body(lead, reason="other_converted"), follow=True)
    later = client.get(f"/leads/{lead}/").content.decode()

    assert re.search(r'value="other_converted"[^>]*required checked', shown.content.decode())
    assert 'value="converted" required checked' in shown.content.decode()
    assert "required checked" not in later  # shown once: a later visit starts afresh


@pytest.mark.django_db
def test_the_label_form_marks_the_other_reasons_as_needing_a_note(rep: Any, page_for: Any, make_leads: Any) -> None:
    make_leads(2)
    page = page_for(rep).get("/queue/").content.decode()

    marked = re.findall(r'<input type="radio" name="reason" value="([^"]+)"[^>]* data-needs-note', page)
    assert sorted(marked) == ["other_converted", "other_not_converted"]


@pytest.mark.django_db
def test_labeling_an_unknown_lead_is_404(rep: Any, page_for: Any, make_leads: Any) -> None:
    make_leads(1)

    response = page_for(rep).post("/queue/label/", label_body("NOPE-1"))

    assert response.status_code == 404
    assert not Label.objects.exists()


@pytest.mark.django_db
def test_a_manager_cannot_label(manager: Any, page_for: Any, make_leads: Any) -> None:
    ids = make_leads(1)

    assert page_for(manager).post("/queue/label/", label_body(ids[0])).status_code == 403
    assert not Label.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/queue/label/", "/queue/skip/", "/queue/undo/"])
def test_a_get_on_a_queue_action_is_405(path: str, rep: Any, page_for: Any, make_leads: Any) -> None:
    make_leads(1)

    assert page_for(rep).get(path).status_code == 405


@pytest.mark.django_db
def test_a_post_on_the_queue_page_is_405(rep: Any, page_for: Any, make_leads: Any) -> None:
    make_leads(1)

    assert page_for(rep).post("/queue/", {}).status_code == 405


@pytest.mark.django_db
def test_pages_never_break_on_an_imported_external_id_with_a_slash(rep: Any, page_for: Any, defaults: None) -> None:
    """CRM exports carry ids such as ``ACME/42``; the importer accepts them, so every page must show them."""
    from leads.services import import_leads

    import_leads(rows=[(2, {"external_id": "ACME/42", "company": "Slash Inc"})])
    client = page_for(rep)

    assert client.get("/queue/").status_code == 200
    assert client.get("/leads/").status_code == 200
