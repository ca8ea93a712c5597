"""A rep works the queue in a real browser: keyboard only, no page reloads, live scores."""

from __future__ import annotations

import statistics
from typing import Any

import pytest

from feedback.models import Label, Lease, Skip
from learning.selectors import loop_state

pytestmark = [pytest.mark.browser]

# Fired by queue.js each time a new card is shown; kept on window so the test can read it.
RECORD_CARDS = """
window.__cards = [];
document.addEventListener('leadloop:card', (e) => window.__cards.push(e.detail));
window.__scores = [];
document.addEventListener('leadloop:scores', (e) => window.__scores.push(e.detail));
"""


def shown(page: Any) -> str:
    return str(page.get_attribute("#queue-card", "data-lead"))


def next_card(page: Any, key: str, before: str) -> str:
    """Press ``key`` and wait for a card with another lead than ``before``."""
    count = page.evaluate("window.__cards.length")
    page.keyboard.press(key)
    page.wait_for_function("n => window.__cards.length > n", arg=count)
    page.wait_for_function("lead => document.getElementById('queue-card').dataset.lead !== lead", arg=before)
    return shown(page)


def test_a_rep_labels_five_leads_undoes_one_and_skips_one_with_the_keyboard_alone(login: Any, make_leads: Any) -> None:
    make_leads(30)
    page = login("riley")
    page.add_init_script(RECORD_CARDS)
    page.goto(page.url)  # the queue, with the recorder in place
    assert page.url.endswith("/queue/")
    page.evaluate("window.__marker = 'no reload since here'")
    scores_before = loop_state().scores_version

    labeled: list[str] = []
    keys = [("c", "1"), ("x", "2"), ("c", "2"), ("x", "1"), ("c", "3")]
    for outcome_key, reason_key in keys:
        lead = shown(page)
        page.keyboard.press(outcome_key)
        page.keyboard.press(reason_key)
        next_card(page, "Enter", lead)
        labeled.append(lead)

    assert page.locator("#labeled-today").inner_text() == "5"
    rows = {label.lead.external_id: label for label in Label.objects.select_related("lead", "reason")}
    assert sorted(rows) == sorted(labeled)
    assert [rows[lead].outcome for lead in labeled] == [
        "converted",
        "not_converted",
        "converted",
        "not_converted",
        "converted",
    ]
    assert all(label.user.username == "riley" and label.seconds_to_label is not None for label in rows.values())
    # Each label ran the learning loop after commit (Celery is eager in tests): scores were republished.
    assert loop_state().scores_version > scores_before

    # u: the last label is taken back and its lead is shown again.
    assert next_card(page, "u", shown(page)) == labeled[-1]
    assert not Label.objects.filter(lead__external_id=labeled[-1]).exists()
    assert page.locator("#labeled-today").inner_text() == "4"

    # s: the lead is passed on, not labeled, and another one is shown.
    skipped = shown(page)
    after_skip = next_card(page, "s", skipped)
    assert after_skip not in labeled
    assert Skip.objects.filter(lead__external_id=skipped, user__username="riley").exists()
    assert not Label.objects.filter(lead__external_id=skipped).exists()
    assert Label.objects.count() == 4

    assert page.evaluate("window.__marker") == "no reload since here"
    timings = [card["ms"] for card in page.evaluate("window.__cards")[:5]]
    print(f"\nkeypress (Enter) → next lead shown, median of {len(timings)}: {statistics.median(timings):.0f} ms")


def test_open_queue_page_shows_fresh_scores_after_the_loop_runs(login: Any, make_leads: Any) -> None:
    from learning.rescoring import rescore_open_leads

    make_leads(30, labeled=0.5)
    page = login("riley")
    page.add_init_script(RECORD_CARDS)
    page.goto(page.url)
    page.evaluate("window.__marker = 'no reload since here'")
    lead = shown(page)
    page.keyboard.press("x")
    page.keyboard.press("1")
    next_card(page, "Enter", lead)
    # The label's loop has run; wait until the page has seen that version, then publish another.
    page.wait_for_function("v => window.__scores.some(s => s.scores_version >= v)", arg=loop_state().scores_version)
    page.evaluate("document.querySelector('#queue-card .score-panel').dataset.stale = 'yes'")

    version = rescore_open_leads().scores_version

    page.wait_for_function("v => window.__scores.some(s => s.scores_version === v)", arg=version)
    page.wait_for_selector("#queue-card .score-panel:not([data-stale])")
    notice = page.locator("#live-notice")
    assert notice.is_visible()
    assert "Scores updated" in notice.inner_text()
    assert "AUC" not in notice.inner_text()  # a rep is told the scores moved, not the model's metric
    notice_top = notice.bounding_box()["y"]
    assert notice_top < page.locator("#queue-card textarea[name=note]").bounding_box()["y"]  # it never covers the note
    assert page.evaluate("window.__marker") == "no reload since here"


def test_another_rep_never_sees_the_first_reps_leased_leads(login: Any, make_leads: Any) -> None:
    make_leads(12)
    riley = login("riley")
    riley_saw = {shown(riley)}
    riley.add_init_script(RECORD_CARDS)
    riley.goto(riley.url)
    riley_saw.add(shown(riley))
    sam = login("sam")
    sam.add_init_script(RECORD_CARDS)
    sam.goto(sam.url)

    sam_saw = {shown(sam)}
    for _ in range(3):
        riley.keyboard.press("s")  # skipping hands riley a fresh lead each time
        riley.wait_for_function("l => document.getElementById('queue-card').dataset.lead !== l", arg=shown(riley))
        riley_saw.add(shown(riley))
        sam_saw.add(next_card(sam, "s", shown(sam)))

    leased = {lease.lead.external_id: lease.user.username for lease in Lease.objects.select_related("lead", "user")}
    assert leased[shown(riley)] == "riley"
    assert leased[shown(sam)] == "sam"
    # A lead riley was shown and still holds is never shown to sam.
    riley_holds = {lead for lead, user in leased.items() if user == "riley"}
    assert not (riley_holds & sam_saw)


def test_enter_pressed_twice_fast_stores_one_label(login: Any, make_leads: Any) -> None:
    make_leads(10)
    page = login("riley")
    page.add_init_script(RECORD_CARDS)
    page.goto(page.url)
    lead = shown(page)
    page.keyboard.press("c")
    page.keyboard.press("1")

    page.keyboard.press("Enter")
    page.keyboard.press("Enter")
    page.wait_for_function("l => document.getElementById('queue-card').dataset.lead !== l", arg=lead)
    page.wait_for_timeout(300)  # let a second request, if one was sent, land

    assert Label.objects.count() == 1
    assert Label.objects.get().lead.external_id == lead
    assert page.locator("#labeled-today").inner_text() == "1"


def test_question_mark_shows_the_shortcuts_and_escape_closes_them(login: Any, make_leads: Any) -> None:
    make_leads(3)
    page = login("riley")
    lead = shown(page)

    page.keyboard.press("?")
    dialog = page.locator("dialog#shortcuts")
    assert dialog.is_visible()
    assert "undo your last label or skip" in dialog.inner_text()
    page.keyboard.press("c")  # keys do not act on the card behind the dialog
    page.keyboard.press("Escape")

    assert not dialog.is_visible()
    assert page.locator("input[name=outcome]:checked").count() == 0
    assert shown(page) == lead


def test_n_goes_to_the_note_and_enter_in_the_note_saves(login: Any, make_leads: Any) -> None:
    make_leads(5)
    page = login("riley")
    lead = shown(page)

    page.keyboard.press("x")
    page.keyboard.press("2")
    page.keyboard.press("n")
    page.keyboard.type("cfo said next year")
    page.keyboard.press("Enter")
    page.wait_for_function("l => document.getElementById('queue-card').dataset.lead !== l", arg=lead)

    label = Label.objects.get()
    assert (label.lead.external_id, label.outcome, label.note) == (lead, "not_converted", "cfo said next year")
    assert label.reason.outcome == "not_converted"


def test_after_a_note_far_down_the_card_the_next_lead_starts_at_its_top(login: Any, make_leads: Any) -> None:
    make_leads(5)
    page = login("riley")
    page.set_viewport_size({"width": 1280, "height": 500})  # short: the note is below the fold
    lead = shown(page)

    page.keyboard.press("x")
    page.keyboard.press("2")
    page.keyboard.press("n")  # the browser scrolls down to the note
    page.keyboard.type("cfo said next year")
    scrolled = page.evaluate("window.scrollY")
    page.keyboard.press("Enter")
    page.wait_for_function("l => document.getElementById('queue-card').dataset.lead !== l", arg=lead)

    assert scrolled > 0
    assert (
        page.evaluate("document.getElementById('queue-card').getBoundingClientRect().top") > -2
    )  # at its top (to a pixel)


def test_the_mouse_works_too(login: Any, make_leads: Any) -> None:
    make_leads(5)
    page = login("riley")
    lead = shown(page)

    page.get_by_label("Converted", exact=False).first.check()
    page.locator(".reason-group:not([hidden]) input[name=reason]").first.check()
    page.get_by_role("button", name="Save label").click()
    page.wait_for_function("l => document.getElementById('queue-card').dataset.lead !== l", arg=lead)

    assert Label.objects.get().lead.external_id == lead


def test_the_queue_works_as_plain_forms_without_javascript(login: Any, make_leads: Any) -> None:
    make_leads(5)
    page = login("riley", javascript=False)
    lead = shown(page)

    page.locator("input[name=outcome][value=not_converted]").check()
    page.locator(".reason-group[data-outcome=not_converted] input[name=reason]").first.check()
    page.locator("textarea[name=note]").fill("no budget this year")
    page.get_by_role("button", name="Save label").click()
    page.wait_for_load_state()

    assert page.url.endswith("/queue/")
    assert shown(page) not in ("", lead)
    assert "Labeled" in page.locator(".flash").first.inner_text()
    label = Label.objects.get()
    assert (label.lead.external_id, label.outcome, label.note) == (lead, "not_converted", "no budget this year")

    page.get_by_role("button", name="Undo label of").click()
    page.wait_for_load_state()
    assert shown(page) == lead
    assert not Label.objects.exists()

    page.get_by_role("button", name="Skip").click()
    page.wait_for_load_state()
    assert shown(page) not in ("", lead)
    assert Skip.objects.filter(lead__external_id=lead).exists()


def test_zero_picks_the_tenth_reason(login: Any, make_leads: Any) -> None:
    """An admin adds reasons until a lost deal has ten: "Other", kept last, is the tenth, and 0 picks
    it (its hint says 0, not 10, which no key could type)."""
    from feedback.models import Reason
    from feedback.services import reason_create

    make_leads(12)
    have = Reason.objects.filter(outcome="not_converted", active=True).count()
    for i in range(10 - have):
        reason_create(code=f"extra_{i}", label=f"Extra reason {i}", outcome="not_converted")
    page = login("riley")
    tenth = page.locator(".reason-group[data-outcome=not_converted] label").nth(9)
    assert tenth.locator("kbd").inner_text() == "0"
    assert "Other" in tenth.inner_text()

    page.keyboard.press("x")
    page.keyboard.press("0")

    assert tenth.locator("input").is_checked()
