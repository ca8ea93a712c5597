"""The queue without rough edges, in a real browser: no cached leases, undo of a label or a skip,
the undone answer back for editing, reasons for the chosen outcome only, plain words, currency,
column names in words, labeling from the lead page, an "Other" reason that asks for its note, and
no sideways scroll at 390 px."""

from __future__ import annotations

from typing import Any

import pytest

from config.roles import Role
from config.site import currency_set
from feedback.models import Label, Skip
from leads.models import Lead
from tests.browser.conftest import PASSWORD
from tests.browser.pages import PAGES, fill_the_app
from tests.browser.pages import login as sign_in
from tests.conftest import make_user

pytestmark = [pytest.mark.browser]

RECORD_CARDS = """
window.__cards = [];
document.addEventListener('leadloop:card', (e) => window.__cards.push(e.detail));
"""


def shown(page: Any) -> str:
    return str(page.get_attribute("#queue-card", "data-lead"))


def press_for_card(page: Any, key: str) -> str:
    """Press ``key`` and wait for the next card; returns its lead."""
    count = page.evaluate("window.__cards.length")
    page.keyboard.press(key)
    page.wait_for_function("n => window.__cards.length > n", arg=count)
    return shown(page)


def queue_of(login: Any, username: str = "riley") -> Any:
    page = login(username)
    page.add_init_script(RECORD_CARDS)
    page.goto(page.url)
    assert page.url.endswith("/queue/")
    return page


def visible_reasons(page: Any) -> list[tuple[str, str]]:
    """(outcome, number) of each reason the rep can see."""
    return page.evaluate(
        """() => [...document.querySelectorAll('.label-form input[name=reason]')]
            .filter((input) => input.offsetParent !== null)
            .map((input) => [input.dataset.outcome, input.closest('label').querySelector('kbd').textContent])"""
    )


def test_pages_that_show_leases_are_never_cached(login: Any, make_leads: Any, site: str) -> None:
    ids = make_leads(5)
    page = login("riley")
    for path in ("/queue/", f"/leads/{ids[0]}/"):
        response = page.goto(site + path)
        assert "no-store" in response.headers["cache-control"], path


def test_u_after_s_brings_the_skipped_lead_back(login: Any, make_leads: Any) -> None:
    make_leads(10)
    page = queue_of(login)
    skipped = shown(page)
    after = press_for_card(page, "s")
    assert after != skipped
    assert Skip.objects.filter(lead__external_id=skipped).exists()

    assert press_for_card(page, "u") == skipped
    assert not Skip.objects.filter(lead__external_id=skipped).exists()
    assert "Undid the skip" in page.locator("#queue-card").inner_text()


def test_u_undoes_the_latest_action_a_skip_after_a_label(login: Any, make_leads: Any) -> None:
    make_leads(10)
    page = queue_of(login)
    labeled = shown(page)
    page.keyboard.press("c")
    page.keyboard.press("1")
    skipped = press_for_card(page, "Enter")
    press_for_card(page, "s")

    assert press_for_card(page, "u") == skipped  # the skip, not the label before it
    assert Label.objects.filter(lead__external_id=labeled).exists()


def test_an_undone_label_comes_back_with_its_answer_to_edit(login: Any, make_leads: Any) -> None:
    make_leads(10)
    page = queue_of(login)
    lead = shown(page)
    page.keyboard.press("x")
    page.keyboard.press("2")
    second_reason = page.locator(".reason-group:not([hidden]) input[name=reason]").nth(1).get_attribute("value")
    page.keyboard.press("n")
    page.keyboard.type("CFO froze the budget")
    count = page.evaluate("window.__cards.length")
    page.keyboard.press("Enter")  # Enter in the note saves
    page.wait_for_function("n => window.__cards.length > n", arg=count)
    assert Label.objects.get(lead__external_id=lead).note == "CFO froze the budget"

    assert press_for_card(page, "u") == lead
    assert page.is_checked("input[name=outcome][value=not_converted]")
    assert page.is_checked(f"input[name=reason][value={second_reason}]")
    assert page.input_value("textarea[name=note]") == "CFO froze the budget"

    page.keyboard.press("c")
    page.keyboard.press("1")
    press_for_card(page, "Enter")
    label = Label.objects.get(lead__external_id=lead)
    assert (label.outcome, label.note) == ("converted", "CFO froze the budget")


def test_reasons_show_only_for_the_chosen_outcome_each_numbered_once(login: Any, make_leads: Any) -> None:
    make_leads(5)
    page = queue_of(login)
    assert visible_reasons(page) == []
    assert page.locator(".reason-hint").is_visible()

    page.keyboard.press("c")
    converted = visible_reasons(page)
    assert {outcome for outcome, _ in converted} == {"converted"}
    assert [n for _, n in converted] == [str(i) for i in range(1, len(converted) + 1)]
    assert not page.locator(".reason-hint").is_visible()

    page.keyboard.press("x")
    lost = visible_reasons(page)
    assert {outcome for outcome, _ in lost} == {"not_converted"}
    assert [n for _, n in lost] == [str(i) for i in range(1, len(lost) + 1)]


def test_the_card_explains_its_numbers_in_plain_words(login: Any, make_leads: Any) -> None:
    make_leads(30, labeled=0.5)
    page = queue_of(login)
    text = page.locator("#queue-card").inner_text()
    assert "Why this lead:" in text
    assert "exploration" not in text.lower()
    assert "/ 100" in text  # fit and behaviour have a scale
    assert "The chance this lead becomes a customer" in text
    assert "Model is" in text and "Uncertainty" not in text
    assert "Scored " in text and " by model v" in text


def test_money_is_shown_in_the_currency_the_admin_chose(login: Any, make_leads: Any, site: str) -> None:
    ids = make_leads(5)
    page = login("alex", Role.ADMIN)
    page.goto(f"{site}/settings/")
    page.select_option("select[name=currency]", "EUR")
    page.click("#settings-form button.primary")
    page.wait_for_load_state()
    assert "Amounts are shown in EUR" in page.inner_text("main")

    page.goto(f"{site}/leads/{ids[0]}/")
    deal = page.locator("dt:text-is('Deal value') + dd").inner_text()
    assert deal.startswith("€"), deal


def test_custom_column_names_read_as_words(login: Any, make_leads: Any) -> None:
    ids = make_leads(1)
    Lead.objects.filter(external_id=ids[0]).update(attributes={"crm_stage": "demo booked"})
    page = queue_of(login)
    facts = page.locator(".facts").inner_text()
    assert "CRM stage" in facts and "crm_stage" not in facts


def test_a_rep_labels_a_lead_from_its_page_with_the_same_form(login: Any, make_leads: Any, site: str) -> None:
    ids = make_leads(3)
    page = login("riley")
    page.goto(f"{site}/leads/{ids[1]}/")
    form = page.locator(".label-box form.label-form")
    form.locator("input[name=outcome][value=not_converted]").check()
    reason = form.locator(".reason-group[data-outcome=not_converted] input[name=reason]").first
    reason.check()
    form.locator("textarea[name=note]").fill("Went with a competitor")
    form.locator("button.primary").click()
    page.wait_for_load_state()

    assert page.url.endswith(f"/leads/{ids[1]}/")
    label = Label.objects.get(lead__external_id=ids[1])
    assert (label.outcome, label.note, label.user.username) == ("not_converted", "Went with a competitor", "riley")
    assert "Labeled" in page.inner_text("main")


def test_the_lead_pages_form_takes_the_keys_it_shows(login: Any, make_leads: Any, site: str) -> None:
    ids = make_leads(3)
    page = login("riley")
    page.goto(f"{site}/leads/{ids[2]}/")
    page.keyboard.press("x")
    page.keyboard.press("2")
    second = page.locator(".reason-group[data-outcome=not_converted] input[name=reason]").nth(1)
    assert second.is_checked() and second.locator("xpath=..").locator("kbd").inner_text() == "2"
    chosen = second.get_attribute("value")
    page.keyboard.press("n")
    page.keyboard.type("Chose the incumbent")
    with page.expect_navigation():
        page.keyboard.press("Enter")

    assert page.url.endswith(f"/leads/{ids[2]}/")
    label = Label.objects.get(lead__external_id=ids[2])
    assert (label.outcome, label.reason.code, label.note) == ("not_converted", chosen, "Chose the incumbent")


def test_an_other_reason_asks_for_its_note_before_anything_is_sent(login: Any, make_leads: Any) -> None:
    make_leads(3)
    page = queue_of(login)
    lead = shown(page)
    page.keyboard.press("x")
    other = page.locator(".reason-group[data-outcome=not_converted] input[data-needs-note]")
    page.keyboard.press(other.locator("xpath=..").locator("kbd").inner_text())
    assert other.is_checked() and other.get_attribute("value") == "other_not_converted"
    assert page.locator(".label-form .note-need").inner_text() == "(needed: say why)"

    page.keyboard.press("Enter")

    note = page.locator("textarea[name=note]")
    assert note.evaluate("(el) => el === document.activeElement && el.validationMessage") == (
        "Say why: this reason needs a note."
    )
    assert page.evaluate("window.__cards.length") == 0 and not Label.objects.exists()
    page.keyboard.type("bought a bundle from their parent company")
    assert press_for_card(page, "Enter") != lead
    label = Label.objects.get()
    assert (label.lead.external_id, label.reason.code) == (lead, "other_not_converted")
    assert label.note == "bought a bundle from their parent company"


def test_no_page_scrolls_sideways_on_a_390_px_phone(browser: Any, site: str, make_leads: Any) -> None:
    labeler = make_user("riley", Role.REP, PASSWORD)
    ids = fill_the_app(make_leads, labeler)
    make_user("morgan", Role.MANAGER, PASSWORD)
    make_user("alex", Role.ADMIN, PASSWORD)
    currency_set(user=labeler, code="EUR")
    wide: list[str] = []
    for role, username, paths in PAGES:
        context = browser.new_context(viewport={"width": 390, "height": 844})
        page = context.new_page()
        if role is not None:
            sign_in(page, site, username, PASSWORD)
        for path in paths:
            page.goto(site + path.format(**ids))
            page.wait_for_load_state("networkidle")
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > 390:
                wide.append(f"{role or 'anonymous'} {path}: {width} px")
            nav_rows = page.evaluate(
                """() => { const links = [...document.querySelectorAll('header nav[aria-label=Main] a')];
                    return new Set(links.map((a) => Math.round(a.getBoundingClientRect().top))).size; }"""
            )
            assert nav_rows <= 1, f"{path}: the menu wraps onto {nav_rows} rows"
        context.close()
    assert not wide, wide
