"""The dashboards' period: calendar week, month and quarter, the last 30 days, a custom range."""

from __future__ import annotations

from datetime import date

import pytest

from feedback.periods import period_for, period_named

TODAY = date(2026, 12, 2)  # a Wednesday


@pytest.mark.parametrize(
    ("key", "start", "end", "words", "grain"),
    [
        ("week", date(2026, 11, 30), date(2026, 12, 7), "this week (30 Nov – 2 Dec 2026 so far)", "day"),
        ("month", date(2026, 12, 1), date(2027, 1, 1), "this month (1–2 Dec 2026 so far)", "week"),
        ("quarter", date(2026, 10, 1), date(2027, 1, 1), "this quarter (1 Oct – 2 Dec 2026 so far)", "week"),
        ("30d", date(2026, 11, 3), date(2026, 12, 3), "last 30 days (3 Nov – 2 Dec 2026)", "week"),
    ],
)
def test_named_periods(key: str, start: date, end: date, words: str, grain: str) -> None:
    period = period_for(key=key, today=TODAY)

    assert (period.start, period.end, period.words, period.grain) == (start, end, words, grain)


def test_a_custom_range_includes_its_last_day_and_picks_its_grain() -> None:
    period = period_for(key="custom", today=TODAY, start=date(2026, 1, 1), end=date(2026, 11, 30))

    assert (period.start, period.end, period.words, period.grain) == (
        date(2026, 1, 1),
        date(2026, 12, 1),
        "1 Jan – 30 Nov 2026",
        "month",
    )


@pytest.mark.parametrize(("start", "end"), [(None, date(2026, 11, 30)), (date(2026, 11, 30), date(2026, 11, 1))])
def test_an_incomplete_or_reversed_range_falls_back_to_the_last_30_days(start: date | None, end: date) -> None:
    assert period_for(key="custom", today=TODAY, start=start, end=end).key == "30d"


def test_the_first_quarter_of_a_year() -> None:
    period = period_for(key="quarter", today=date(2027, 2, 14))

    assert (period.start, period.end) == (date(2027, 1, 1), date(2027, 4, 1))


@pytest.mark.parametrize("key", ["week", "month", "quarter", "30d"])
def test_a_named_period_is_known_by_its_dates(key: str) -> None:
    period = period_for(key=key, today=TODAY)

    assert period_named(start=period.start, end=period.end, today=TODAY) == key


def test_other_dates_are_a_custom_range() -> None:
    assert period_named(start=date(2026, 12, 1), end=date(2026, 12, 2), today=TODAY) == "custom"


def test_a_custom_range_past_today_says_so_far_and_one_before_it_does_not() -> None:
    ahead = period_for(key="custom", today=TODAY, start=date(2026, 11, 1), end=date(2027, 1, 31))
    later = period_for(key="custom", today=TODAY, start=date(2027, 1, 1), end=date(2027, 1, 31))

    assert (ahead.words, ahead.end) == ("1 Nov – 2 Dec 2026 so far", date(2027, 2, 1))  # the filter keeps its dates
    assert later.words == "1–31 Jan 2027"


def test_the_first_day_of_a_month_so_far() -> None:
    assert period_for(key="month", today=date(2026, 12, 1)).words == "this month (1 Dec 2026 so far)"
