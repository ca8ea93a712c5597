"""A rep marks the lines of the score's why as the real reason, by keyboard and by mouse."""

from __future__ import annotations

from typing import Any

import pytest

from feedback.models import Label
from learning.services.loop import run_learning_loop

pytestmark = [pytest.mark.browser]

MARKED = "[data-mark-fields] input[name=fields]:checked"
# queue.js fires leadloop:card each time it shows a card; kept on window so the test can wait for one.
RECORD_CARDS = "window.__cards = []; document.addEventListener('leadloop:card', (e) => window.__cards.push(e.detail));"


def shown(page: Any) -> str:
    return str(page.get_attribute("#queue-card", "data-lead"))


def next_card(page: Any, key: str, before: str) -> str:
    """Press ``key`` and wait for a card with another lead than ``before``."""
    count = page.evaluate("window.__cards.length")
    page.keyboard.press(key)
    page.wait_for_function("n => window.__cards.length > n", arg=count)
    page.wait_for_function("lead => document.getElementById('queue-card').dataset.lead !== lead", arg=before)
    return shown(page)


def line_fields(page: Any) -> list[str]:
    return list(page.eval_on_selector_all("[data-mark-fields] input[name=fields]", "els => els.map(e => e.value)"))


def marked(page: Any) -> list[str]:
    return list(page.eval_on_selector_all(MARKED, "els => els.map(e => e.value)"))


@pytest.fixture
def queue(login: Any, make_leads: Any) -> Any:
    """Riley's queue under a trained model, so every card's score has its why."""
    make_leads(60, labeled=0.6)
    run_learning_loop()
    page = login("riley")
    page.add_init_script(RECORD_CARDS)
    page.goto(page.url)
    assert page.url.endswith("/queue/")
    return page


def test_two_lines_marked_by_keyboard_land_on_the_label_and_undo_brings_them_back_to_edit(queue: Any) -> None:
    page = queue
    lead = shown(page)
    fields = line_fields(page)
    assert len(fields) >= 2
    last = min(3, len(fields))  # the queue's first pick is a draw: most cards have five lines, a few two

    page.keyboard.press("x")
    page.keyboard.press("1")
    page.keyboard.press("Shift+Digit1")
    page.keyboard.press("Shift+Digit2")
    page.keyboard.press(f"Shift+Digit{last}")
    page.keyboard.press(f"Shift+Digit{last}")  # again: back as it was
    assert marked(page) == [name for name in fields if name in fields[:2]]
    assert page.locator("[data-mark-fields] li:has(input:checked)").count() == len(marked(page))

    next_card(page, "Enter", lead)

    label = Label.objects.get(lead__external_id=lead)
    assert (label.outcome, label.reason.code if label.reason else None) == ("not_converted", "no_budget")
    assert label.fields == list(dict.fromkeys(fields[:2]))

    # u takes the label back and shows its answer for editing: the marked fields come back checked,
    # those the card still offers (undoing retrains, and the score's why may change with it).
    assert next_card(page, "u", shown(page)) == lead
    assert not Label.objects.filter(lead__external_id=lead).exists()
    offered = page.eval_on_selector_all("[data-mark-fields] input", "els => els.map(e => e.value)")
    assert set(marked(page)) == {name for name in fields[:2] if name in offered}


def test_a_label_without_marking_takes_no_extra_key_and_stores_no_fields(queue: Any) -> None:
    page = queue
    lead = shown(page)

    page.keyboard.press("c")
    page.keyboard.press("1")
    next_card(page, "Enter", lead)

    assert Label.objects.get(lead__external_id=lead).fields == []


def test_a_click_marks_a_line_and_typing_a_note_marks_nothing(queue: Any) -> None:
    page = queue
    lead = shown(page)
    fields = line_fields(page)

    page.locator("[data-mark-fields] label").nth(1).click()
    page.keyboard.press("c")
    page.keyboard.press("2")
    page.keyboard.press("n")
    page.keyboard.type("Found the pricing page twice!")  # "!" is Shift+1 on the keyboard
    assert page.input_value("textarea[name=note]") == "Found the pricing page twice!"
    assert marked(page) == [name for name in fields if name == fields[1]]

    page.keyboard.press("Escape")
    next_card(page, "Enter", lead)

    label = Label.objects.get(lead__external_id=lead)
    assert (label.fields, label.note) == ([fields[1]], "Found the pricing page twice!")


def test_fresh_scores_bring_fresh_lines_to_mark_and_keep_the_reps_marks(queue: Any) -> None:
    from learning.rescoring import rescore_open_leads

    page = queue
    fields = line_fields(page)
    assert len(fields) >= 2
    page.keyboard.press("Shift+Digit1")
    assert marked(page) == [fields[0]]
    # Stand in for lines that no longer match the score: drop the last one, and tag the fieldset.
    page.evaluate(
        "() => { const f = document.querySelector('[data-mark-fields]'); f.dataset.stale = 'yes';"
        " const items = f.querySelectorAll('li'); items[items.length - 1].remove(); }"
    )
    assert line_fields(page) == fields[:-1]

    rescore_open_leads()

    page.wait_for_selector("[data-mark-fields]:not([data-stale])", state="attached", timeout=15_000)
    lines = page.eval_on_selector_all("#queue-card .score-panel .explanation li", "els => els.map(e => e.textContent)")
    offered = page.eval_on_selector_all("[data-mark-fields] label", "els => els.map(e => e.textContent)")
    assert {text.split("⇧")[0].strip() for text in offered} <= {line.strip() for line in lines}
    assert line_fields(page) == fields
    assert marked(page) == [name for name in fields if name == fields[0]]
