"""Settings people can read, in a real browser: thresholds as percentages, a preview that warns on
few labels, one wording per bad value, strategies explained, the loop's status in words, and
every score saying when it was computed."""

from __future__ import annotations

from typing import Any

import pytest

from config.roles import Role
from feedback.models import Label
from leads.models import Lead
from learning.forms import STRATEGY_WORDS
from learning.models import LoopSettings

pytestmark = [pytest.mark.browser]


def settings_page(login: Any, site: str) -> Any:
    page = login("alex", Role.ADMIN)
    page.goto(f"{site}/settings/")
    return page


def test_the_hot_threshold_is_typed_and_previewed_as_a_percentage_with_a_small_sample_warning(
    login: Any, make_leads: Any, site: str
) -> None:
    ids = make_leads(12)
    for n, lead in enumerate(Lead.objects.filter(external_id__in=ids[:8])):
        Label.objects.create(lead=lead, outcome="converted" if n % 2 else "not_converted", score_seen=0.1 * n + 0.1)
    page = settings_page(login, site)
    assert page.input_value("input[name=hot_threshold]") == "50"
    assert page.input_value("input[name=exploration]") == "20"

    page.fill("input[name=hot_threshold]", "35")
    page.wait_for_selector("#threshold-preview .preview")
    preview = page.inner_text("#threshold-preview")
    assert "35.0%" in preview
    assert "Small sample" in preview and "only 8 labels" in preview

    page.click("#settings-form button.primary")
    page.wait_for_load_state()
    assert LoopSettings.objects.get().hot_threshold == pytest.approx(0.35)
    assert page.input_value("input[name=hot_threshold]") == "35"


def test_a_bad_threshold_reads_the_same_in_the_preview_and_on_save(login: Any, site: str, defaults: None) -> None:
    page = settings_page(login, site)
    page.fill("input[name=hot_threshold]", "150")
    page.wait_for_function("() => document.getElementById('threshold-preview').textContent.includes('percentage')")
    live = page.inner_text("#threshold-preview")
    assert live == "Hot lead at a chance to convert of at least: enter a percentage from 1 to 99"
    assert page.get_attribute("#threshold-preview p", "class") == "flash error"  # read as an error, not a preview

    page.click("#settings-form button.primary")
    page.wait_for_load_state()
    assert page.inner_text("#settings-form .errorlist") == "enter a percentage from 1 to 99"
    assert LoopSettings.objects.get().hot_threshold == 0.5


def test_each_strategy_is_explained_and_the_loop_status_is_in_words(login: Any, make_leads: Any, site: str) -> None:
    make_leads(40, labeled=0.5)
    page = settings_page(login, site)
    page.click("details.strategies summary")
    explained = page.inner_text("details.strategies")
    for words in STRATEGY_WORDS.values():
        assert words in explained
    status = page.inner_text("#loop-status")
    assert "All labels learned; scores from" in status and "(model v" in status
    assert " r" not in status.split(":", 1)[1]  # no "labels r22 · trained r22" revision jargon


def test_every_score_shown_says_when_it_was_computed(login: Any, make_leads: Any, site: str) -> None:
    make_leads(40, labeled=0.5)
    page = login("riley")
    assert "Scored " in page.inner_text("#queue-card .score-panel")
    page.goto(f"{site}/leads/")
    assert "Scores on this page computed" in page.inner_text("main")
    page.goto(f"{site}/leads/{Lead.objects.filter(status='open').exclude(lease=None).first().external_id}/")
    assert "Scored " in page.inner_text(".score-panel")
