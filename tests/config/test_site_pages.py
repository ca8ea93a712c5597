"""Site-wide pieces: money in the admin's currency, column names in words, the styled 500 page."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from config.models import AuditLog
from config.site import currency, currency_set, format_money
from leads.templatetags.leadloop import humanize_name, sureness, why_picked


@pytest.mark.parametrize(
    ("value", "code", "shown"),
    [(12345.6, "USD", "$12,346"), (50, "EUR", "€50"), (-137255.0, "GBP", "−£137,255"), (9, "CHF", "CHF 9")],
)
def test_money_is_formatted_in_its_currency(value: float, code: str, shown: str) -> None:
    assert format_money(value, code) == shown


@pytest.mark.django_db
def test_the_admin_sets_the_currency_audited_and_an_unknown_one_is_refused(admin: Any) -> None:
    assert currency() == "USD"
    assert currency_set(user=admin, code="EUR") is True
    assert currency() == "EUR"
    assert AuditLog.objects.get(action="settings.update").changes == {"currency": ["USD", "EUR"]}
    assert currency_set(user=admin, code="EUR") is False
    with pytest.raises(ValueError, match="currency: 'XYZ'"):
        currency_set(user=admin, code="XYZ")


@pytest.mark.django_db
def test_the_settings_amounts_say_their_currency(admin: Any, page_for: Any) -> None:
    currency_set(user=admin, code="EUR")

    html = page_for(admin).get("/settings/").content.decode()

    assert "Cost of working a lead (EUR)" in html and "Worth acting when expected value is at least (EUR)" in html


@pytest.mark.parametrize(
    ("name", "words"),
    [("crm_stage", "CRM stage"), ("NumberOfSeats", "Number of seats"), ("utm-source", "UTM source"), ("plan", "Plan")],
)
def test_column_names_read_as_words(name: str, words: str) -> None:
    assert humanize_name(name) == words


def test_the_card_words_never_repeat_the_score_nor_say_exploration() -> None:
    assert "exploration" not in why_picked("exploration").lower()
    assert why_picked("") == "Next in your queue."
    # A draw that favours unsure leads, not a claim that this lead is a coin flip (the score panel says that).
    assert "cannot tell" not in why_picked("model unsure") and "less sure" in why_picked("model unsure")
    assert sureness(0.48) == "unsure: close to a coin flip"
    assert sureness(0.32) == "fairly sure"
    assert sureness(0.05) == "sure"


@pytest.mark.django_db
def test_a_server_error_shows_the_styled_page_with_the_menu(rep: Any, monkeypatch: Any, settings: Any) -> None:
    def broken(**kwargs: Any) -> int:
        raise RuntimeError("boom")

    monkeypatch.setattr("feedback.views.labels_today", broken)
    client = Client(raise_request_exception=False)
    client.force_login(rep)

    response = client.get("/queue/")

    text = response.content.decode()
    assert response.status_code == 500
    assert "Something went wrong on our side" in text
    assert 'aria-label="Main"' in text and "My queue" in text
