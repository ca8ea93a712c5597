"""The queue bar's counts: what is left for this rep, and what they labeled today."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.feedback.test_pages import label_body, shown_lead


def counts(response: Any) -> tuple[int, int]:
    html = response.content.decode()
    left = re.search(r'id="queue-left">(\d+)<', html)
    today = re.search(r'id="labeled-today">(\d+)<', html)
    assert left and today, "no counts on the queue card"
    return int(left.group(1)), int(today.group(1))


@pytest.mark.django_db
def test_the_count_left_includes_the_lead_on_screen_and_drops_as_the_rep_labels(
    rep: Any, page_for: Any, make_leads: Any
) -> None:
    make_leads(5)
    client = page_for(rep)
    first = client.get("/queue/")
    assert counts(first) == (5, 0)

    client.post("/queue/label/", label_body(shown_lead(first)))

    assert counts(client.get("/queue/")) == (4, 1)


@pytest.mark.django_db
def test_leads_held_by_another_rep_or_skipped_are_not_left_for_this_rep(
    rep: Any, rep2: Any, page_for: Any, make_leads: Any
) -> None:
    make_leads(5)
    client = page_for(rep)
    page_for(rep2).get("/queue/")  # rep2 holds one
    lead = shown_lead(client.get("/queue/"))

    client.post("/queue/skip/", {"lead": lead})

    assert counts(client.get("/queue/"))[0] == 3


@pytest.mark.django_db
def test_an_undone_label_no_longer_counts_as_labeled_today(rep: Any, page_for: Any, make_leads: Any) -> None:
    make_leads(3)
    client = page_for(rep)
    client.post("/queue/label/", label_body(shown_lead(client.get("/queue/"))))

    client.post("/queue/undo/")

    assert counts(client.get("/queue/")) == (3, 0)


def left_text(response: Any) -> str:
    match = re.search(r'id="queue-left">([^<]*)<', response.content.decode())
    assert match, "no count on the queue card"
    return match.group(1)


@pytest.fixture
def cap_of_three(monkeypatch: pytest.MonkeyPatch) -> int:
    """The queue bar's cap at 3 instead of 1,000, so a handful of leads goes past it."""
    import feedback.selectors
    import feedback.views

    monkeypatch.setattr(feedback.selectors, "QUEUE_COUNT_CAP", 3)
    monkeypatch.setattr(feedback.views, "QUEUE_COUNT_CAP", 3)
    return 3


@pytest.mark.django_db
def test_counting_what_is_left_stops_one_past_the_cap(rep: Any, make_leads: Any) -> None:
    from feedback.selectors import queue_remaining

    make_leads(6)

    assert queue_remaining(cap=3) == 4
    assert queue_remaining(user=rep, cap=3) == 4
    assert queue_remaining(cap=6) == 6
    assert queue_remaining(user=rep, cap=100) == queue_remaining(user=rep) == 6


@pytest.mark.django_db
def test_the_queue_bar_says_the_cap_and_a_plus_beyond_the_cap(
    rep: Any, page_for: Any, make_leads: Any, cap_of_three: int
) -> None:
    make_leads(5)

    assert left_text(page_for(rep).get("/queue/")) == "3+"


@pytest.mark.django_db
def test_the_queue_bar_gives_the_exact_count_up_to_the_cap(
    rep: Any, page_for: Any, make_leads: Any, cap_of_three: int
) -> None:
    make_leads(3)
    client = page_for(rep)
    assert left_text(client.get("/queue/")) == "3"

    make_leads(4)  # the three again and a fourth

    assert left_text(client.get("/queue/")) == "3+"


def test_past_the_real_cap_the_queue_bar_reads_1000_plus() -> None:
    from django.template.loader import render_to_string

    from feedback.selectors import QUEUE_COUNT_CAP

    html = render_to_string(
        "feedback/_queue_card.html", {"remaining": QUEUE_COUNT_CAP + 1, "remaining_cap": QUEUE_COUNT_CAP, "today": 0}
    )

    assert 'id="queue-left">1000+<' in html
