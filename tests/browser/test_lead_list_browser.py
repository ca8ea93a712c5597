"""The lead list in a browser: the filter form keeps what the user chose, says how many leads match,
and its export link downloads the leads the list shows."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from config.roles import Role
from leads.models import Lead
from tests.scores import set_score

pytestmark = pytest.mark.browser


def test_the_filters_stay_chosen_and_the_export_holds_the_leads_listed(login: Any, make_leads: Any, site: str) -> None:
    ids = make_leads(60)
    set_score(Lead.objects.get(external_id=ids[3]), score=0.497, uncertainty=0.497)
    page = login("morgan", Role.MANAGER)
    page.goto(f"{site}/leads/")

    page.select_option("select[name=status]", "all")
    page.select_option("select[name=sort]", "company")
    page.fill("input[name=uncertainty_min]", "50")
    page.click("form.filters button")
    page.wait_for_load_state()

    assert page.input_value("select[name=status]") == "all"
    assert page.input_value("select[name=sort]") == "company"
    assert page.input_value("input[name=uncertainty_min]") == "50"
    near_a_coin_flip = set(Lead.objects.filter(uncertainty__gte=0.495).values_list("external_id", flat=True))
    assert ids[3] in near_a_coin_flip
    listed = {row.split("\t")[0].split("\n")[0] for row in page.locator("table.leads tbody tr").all_inner_texts()}
    assert listed == near_a_coin_flip
    count = len(listed)
    assert page.inner_text(".lead-count") == ("1 lead matches." if count == 1 else f"{count} leads match.")
    with page.expect_download() as download:
        page.click("text=Export CSV")
    with open(download.value.path(), encoding="utf-8") as handle:
        rows = list(csv.DictReader(io.StringIO(handle.read())))
    assert {row["external_id"] for row in rows} == listed


def test_a_page_past_the_end_shows_the_last_page(login: Any, make_leads: Any, site: str) -> None:
    make_leads(60)
    page = login("riley")

    page.goto(f"{site}/leads/?page=9999")

    assert page.locator("table.leads tbody tr").count() == 10
    assert "Page 2 of 2" in page.inner_text("nav.pager")
    assert page.inner_text(".lead-count") == "60 leads match."
