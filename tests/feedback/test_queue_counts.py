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
