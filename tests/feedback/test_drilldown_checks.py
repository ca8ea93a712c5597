"""The drill-down checks its filters as the dashboards do, and its way back keeps a named period."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from django.utils import timezone

from feedback.models import Reason
from feedback.periods import DEFAULT_PERIOD, period_for


def drill(page_for: Any, manager: Any, query: dict[str, str]) -> str:
    response = page_for(manager).get("/dashboards/reasons/", query)
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def errors_of(text: str) -> str:
    found = re.search(r'<p class="flash error" id="drill-errors">(.*?)</p>', text, re.S)
    return found.group(1) if found else ""


def default_words() -> str:
    return period_for(key=DEFAULT_PERIOD, today=timezone.localdate()).words


@pytest.mark.django_db
def test_a_bad_date_is_reported_and_the_default_period_shown_instead_of_every_label(
    team: Any, manager: Any, page_for: Any
) -> None:
    text = drill(page_for, manager, {"start": "2026-99-01", "end": "2026-11-30"})

    assert errors_of(text) == f"start: Enter a valid date — showing {default_words()} instead."
    assert "Company L3" not in text  # October: outside the last 30 days of any day after 12 Nov 2026


@pytest.mark.django_db
def test_a_reversed_range_is_reported_as_the_dashboards_report_it(team: Any, manager: Any, page_for: Any) -> None:
    text = drill(page_for, manager, {"start": "2026-12-05", "end": "2026-11-30"})

    assert errors_of(text) == f"end: the range ends before it starts — showing {default_words()} instead."
    assert "5 Dec 2026 – 29 Nov 2026" not in text


@pytest.mark.django_db
def test_an_unknown_outcome_is_reported_and_left_out(team: Any, manager: Any, page_for: Any) -> None:
    text = drill(page_for, manager, {"outcome": "bogus", "start": "2026-10-01", "end": "2026-12-01"})

    assert errors_of(text).startswith("outcome: Select a valid choice. bogus is not one of the available choices —")
    assert "— showing both outcomes instead." in errors_of(text)
    assert "bogus</li>" not in text
    assert "Company L1" in text and "Company L3" in text  # won and lost, the period kept


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "error"),
    [
        ({"reason": "nope"}, "reason: unknown reason 'nope' — showing every reason instead."),
        ({"band": "50-70"}, "band: Select a valid choice. 50-70 is not one of the available choices —"),
        (
            {"industry": "atlantis"},
            "industry: no labeled lead has industry 'atlantis' — showing every industry instead.",
        ),
        ({"source": "carrier pigeon"}, "source: no labeled lead has source 'carrier pigeon' — showing every source"),
        ({"rep": "nobody"}, "rep: no label was given by 'nobody' — showing every rep instead."),
    ],
)
def test_an_unknown_reason_score_band_segment_value_or_rep_is_reported(
    team: Any, manager: Any, page_for: Any, query: dict[str, str], error: str
) -> None:
    assert errors_of(drill(page_for, manager, query)).startswith(error)


@pytest.mark.django_db
def test_good_filters_raise_no_error(team: Any, manager: Any, page_for: Any) -> None:
    query = {"outcome": "not_converted", "reason": "-", "band": "80-100", "start": "2026-10-01", "end": "2026-12-01"}

    assert 'id="drill-errors"' not in drill(page_for, manager, query)


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["week", "month", "quarter", "30d"])
def test_the_way_back_keeps_a_named_period(team: Any, manager: Any, page_for: Any, key: str) -> None:
    period = period_for(key=key, today=timezone.localdate())

    text = drill(page_for, manager, {"start": period.start.isoformat(), "end": period.end.isoformat()})

    back = re.search(r'<a href="/dashboards/\?([^"]*)">← Dashboards, same period</a>', text)
    assert back is not None and back.group(1) == f"period={key}"


@pytest.mark.django_db
def test_the_way_back_from_a_custom_range_keeps_its_dates(team: Any, manager: Any, page_for: Any) -> None:
    text = drill(page_for, manager, {"outcome": "converted", "start": "2026-10-01", "end": "2026-11-01"})

    assert '<a href="/dashboards/?period=custom&start=2026-10-01&end=2026-10-31&outcome=converted">' in text


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("cell", "segment"),
    [({"rep": "rep1"}, "&segment=rep"), ({"source": "referral"}, "&segment=source"), ({"industry": "retail"}, "")],
)
def test_the_way_back_from_a_cell_keeps_the_matrix_it_came_from(
    team: Any, manager: Any, page_for: Any, cell: dict[str, str], segment: str
) -> None:
    query = {"outcome": "not_converted", "start": "2026-10-01", "end": "2026-11-01", **cell}

    text = drill(page_for, manager, query)

    link = f'<a href="/dashboards/?period=custom&start=2026-10-01&end=2026-10-31&outcome=not_converted{segment}">'
    assert link in text


@pytest.mark.django_db
def test_a_retired_reasons_chip_says_it_is_retired(team: Any, manager: Any, page_for: Any) -> None:
    Reason.objects.filter(code="no_budget").update(active=False)

    text = drill(page_for, manager, {"reason": "no_budget", "start": "2026-10-01", "end": "2026-12-01"})

    assert "No budget (retired)" in text


@pytest.mark.django_db
def test_the_way_back_from_a_weeks_bar_is_the_view_it_was_drilled_from(team: Any, manager: Any, page_for: Any) -> None:
    """A week's bar of 'the last 30 days by source' drills into that week; back is the 30 days by source."""
    view = "/dashboards/?period=30d&outcome=not_converted&segment=source&history=1"
    response = page_for(manager).get(
        "/dashboards/reasons/",
        {"outcome": "not_converted", "start": "2026-11-09", "end": "2026-11-16"},
        HTTP_REFERER=f"http://testserver{view}&junk=%3Cscript%3E",
    )

    text = html.unescape(response.content.decode())
    back = re.search(r'<a href="/dashboards/\?([^"]*)">← Dashboards, same period</a>', text)
    assert back is not None and back.group(1) == "period=30d&outcome=not_converted&segment=source&history=1"


@pytest.mark.django_db
@pytest.mark.parametrize("referer", ["http://testserver/leads/?segment=rep", "http://[x/dashboards/?segment=rep", ""])
def test_a_referer_that_is_not_the_dashboards_is_not_the_way_back(
    team: Any, manager: Any, page_for: Any, referer: str
) -> None:
    response = page_for(manager).get(
        "/dashboards/reasons/",
        {"outcome": "converted", "start": "2026-10-01", "end": "2026-11-01"},
        HTTP_REFERER=referer,
    )

    assert response.status_code == 200  # a malformed one too ("http://[x/" once answered 500)
    assert '<a href="/dashboards/?period=custom&amp;start=2026-10-01' in response.content.decode()


@pytest.mark.django_db
def test_behind_a_proxy_the_dashboards_host_may_differ_from_djangos(team: Any, manager: Any, page_for: Any) -> None:
    """A proxy may pass its upstream's address as Host: the way back still follows the path."""
    response = page_for(manager).get(
        "/dashboards/reasons/",
        {"outcome": "converted", "start": "2026-10-01", "end": "2026-11-01"},
        HTTP_REFERER="https://leadloop.example.com/dashboards/?period=month&segment=rep",
    )

    assert '<a href="/dashboards/?period=month&amp;segment=rep">' in response.content.decode()
