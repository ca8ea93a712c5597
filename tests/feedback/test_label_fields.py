"""The rep points at the why: explanation lines marked as the real reason land on the label as fields."""

from __future__ import annotations

import re
from types import SimpleNamespace
from typing import Any

import pytest
from django.template import Context, Template
from django.template.loader import render_to_string

from config.models import AuditLog
from feedback.models import Label
from feedback.services import LabelError, label_submit, label_undo
from leads.models import Lead
from learning.selectors import active_model
from learning.services.loop import run_learning_loop
from learning.why import Mark, explanation_marks, known_lead_fields


def card_marks(html: str) -> list[tuple[str, str]]:
    """(field, key) of every markable line on a rendered card."""
    return re.findall(r'name="fields" value="([^"]+)" data-mark-key="(\d)"', html)


@pytest.fixture
def card(make_leads: Any, rep: Any, page_for: Any) -> tuple[Any, str, str]:
    """A rep's client, the lead on their card and the card's HTML, under a trained model."""
    make_leads(60, labeled=0.6)
    run_learning_loop()
    assert active_model() is not None
    client = page_for(rep)
    html = client.get("/queue/", headers={"X-Requested-With": "fetch"}).content.decode()
    lead = re.search(r'data-lead="([^"]+)"', html).group(1)  # type: ignore[union-attr]
    return client, lead, html


@pytest.mark.django_db
def test_the_card_offers_each_explanation_line_with_the_field_it_names(card: tuple[Any, str, str]) -> None:
    _, lead_id, html = card
    lead = Lead.objects.get(external_id=lead_id)
    assert lead.explanation, "the head of the queue is explained"

    marks = card_marks(html)

    assert marks == [(mark.field, str(mark.key)) for mark in explanation_marks(lines=lead.explanation)]
    assert len(marks) >= 2
    assert {field for field, _ in marks} <= set(known_lead_fields())
    assert "data-mark-fields" in html and "⇧1" in html


@pytest.mark.django_db
def test_lines_about_the_same_field_say_they_are_marked_together(defaults: None) -> None:
    """Two lines about one field (engagement: activities in total, days from first to last) are one
    mark: the rep sees that ticking one ticks the other, not a second reason they did not choose."""
    lines = ["▲ 38 activities in total", "▲ software industry", "▼ 8 days from first to last activity"]
    marks = [
        Mark(key=1, line=lines[0], field="engagement", words="overall engagement", together=(3,)),
        Mark(key=2, line=lines[1], field="industry", words="industry"),
        Mark(key=3, line=lines[2], field="engagement", words="overall engagement", together=(1,)),
    ]
    html = render_to_string(
        "learning/_mark_fields.html", {"lead": SimpleNamespace(external_id="L1"), "marks": marks, "checked": []}
    )

    items = re.findall(r"<li.*?</li>", html, re.S)
    assert "overall engagement, with ⇧3" in items[0] and "overall engagement, with ⇧1" in items[2]
    assert "with ⇧" not in items[1]


@pytest.mark.django_db
def test_the_lines_to_mark_come_alone_for_a_live_refresh_and_hide_without_a_why(card: tuple[Any, str, str]) -> None:
    client, lead_id, html = card

    fragment = client.get(f"/leads/{lead_id}/score/?part=marks").content.decode()

    assert fragment.lstrip().startswith("<fieldset") and card_marks(fragment) == card_marks(html)
    assert f'data-live-fragment="/leads/{lead_id}/score/?part=marks"' in fragment
    unexplained = SimpleNamespace(external_id=lead_id, explanation=None)
    empty = Template("{% load why %}{% mark_fields lead %}").render(Context({"lead": unexplained}))
    assert card_marks(empty) == [] and " hidden>" in empty


@pytest.mark.django_db
def test_marked_lines_are_stored_on_the_label_as_fields(card: tuple[Any, str, str]) -> None:
    client, lead, html = card
    (first, _), (second, _) = card_marks(html)[:2]

    response = client.post(
        "/queue/label/",
        {"lead": lead, "outcome": "converted", "reason": "champion", "fields": [first, second, first]},
        headers={"X-Requested-With": "fetch"},
    )

    assert response.status_code == 200
    assert Label.objects.get(lead__external_id=lead).fields == list(dict.fromkeys([first, second]))


@pytest.mark.django_db
def test_labeling_without_marking_stores_no_fields(card: tuple[Any, str, str]) -> None:
    client, lead, _ = card

    client.post("/queue/label/", {"lead": lead, "outcome": "not_converted", "reason": "no_budget"})

    assert Label.objects.get(lead__external_id=lead).fields == []


@pytest.mark.django_db
def test_an_unknown_field_from_the_form_is_refused_by_name(card: tuple[Any, str, str]) -> None:
    client, lead, _ = card

    response = client.post(
        "/queue/label/",
        {"lead": lead, "outcome": "converted", "reason": "champion", "fields": ["industry", "shoe_size"]},
        headers={"X-Requested-With": "fetch"},
    )

    assert response.status_code == 400
    assert "fields: unknown field &#x27;shoe_size&#x27;" in response.content.decode()
    assert not Label.objects.filter(lead__external_id=lead).exists()


@pytest.mark.django_db
def test_the_service_checks_the_fields_against_the_ones_it_is_given(make_leads: Any, rep: Any) -> None:
    lead = Lead.objects.get(external_id=make_leads(3)[0])

    with pytest.raises(LabelError) as refused:
        label_submit(user=rep, lead=lead, outcome="converted", reason_code="champion", fields=["industry"])
    assert (refused.value.field, refused.value.message) == ("fields", "unknown field 'industry'")

    with pytest.raises(LabelError, match="fields: unknown field '3'"):
        label_submit(user=rep, lead=lead, outcome="converted", reason_code="champion", fields=[3], known_fields=["3"])

    many = [f"f{i}" for i in range(21)]
    with pytest.raises(LabelError, match="fields: at most 20 fields, not 21"):
        label_submit(user=rep, lead=lead, outcome="converted", reason_code="champion", fields=many, known_fields=many)
    assert not Label.objects.exists()


@pytest.mark.django_db
def test_undo_takes_the_marked_fields_away_with_the_label_and_audits_them(card: tuple[Any, str, str], rep: Any) -> None:
    client, lead, html = card
    field = card_marks(html)[0][0]
    client.post("/queue/label/", {"lead": lead, "outcome": "converted", "reason": "champion", "fields": [field]})

    assert label_undo(user=rep, lease_minutes=15) is not None

    assert not Label.objects.filter(lead__external_id=lead).exists()
    assert AuditLog.objects.get(action="label.undo").changes["fields"] == [[field], None]
    again = client.get("/queue/", headers={"X-Requested-With": "fetch"}).content.decode()
    assert f'data-lead="{lead}"' in again
    assert 'name="fields"' in again and "checked>" not in again.split("data-mark-fields")[1].split("</fieldset>")[0]


@pytest.mark.django_db
def test_the_lead_page_says_which_fields_were_marked(card: tuple[Any, str, str], page_for: Any, rep: Any) -> None:
    client, lead, _ = card
    fields = ["activity:pricing_visit", "industry"]
    client.post("/queue/label/", {"lead": lead, "outcome": "converted", "reason": "champion", "fields": fields})

    page = page_for(rep).get(f"/leads/{lead}/").content.decode()

    assert "The real reason, as marked: <strong>pricing visit activity</strong>, <strong>industry</strong>" in page


@pytest.mark.django_db
def test_an_undone_answer_comes_back_with_its_marks(make_leads: Any) -> None:
    make_leads(3)
    lead = SimpleNamespace(explanation=["▲ industry: software", "▼ 0 × pricing visit in total"])
    html = Template("{% load why %}{% mark_fields lead %}").render(
        Context({"lead": lead, "answer": {"fields": ["activity:pricing_visit"]}})
    )

    assert re.findall(r'value="([^"]+)" data-mark-key="\d"( checked)?', html) == [
        ("industry", ""),
        ("activity:pricing_visit", " checked"),
    ]
