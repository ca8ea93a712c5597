"""The dashboards' period: this week, month or quarter, or a custom range, in the site's time zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

PERIOD_CHOICES = [
    ("week", "This week"),
    ("month", "This month"),
    ("quarter", "This quarter"),
    ("30d", "Last 30 days"),
    ("custom", "Custom range"),
]
DEFAULT_PERIOD = "30d"  # early in a month "this month" holds a day or two; the last 30 days always say something


def _month_start(day: date, months_back: int = 0) -> date:
    index = day.year * 12 + day.month - 1 - months_back
    return date(index // 12, index % 12 + 1, 1)


def _span(start: date, end: date) -> str:
    """The days from ``start`` to ``end`` (inclusive), the shared month or year said once."""
    if start == end:
        return f"{start.day} {start:%b %Y}"
    if start.year != end.year:
        return f"{start.day} {start:%b %Y} – {end.day} {end:%b %Y}"
    if start.month != end.month:
        return f"{start.day} {start:%b} – {end.day} {end:%b %Y}"
    return f"{start.day}–{end.day} {end:%b %Y}"


@dataclass(frozen=True)
class Period:
    key: str  # one of PERIOD_CHOICES
    start: date
    end: date  # exclusive
    today: date | None = None  # when the period runs past it, its words stop at today, "so far"

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    @property
    def grain(self) -> str:
        """The time buckets a chart of this period is drawn in."""
        if self.days <= 31:
            return "day" if self.days <= 14 else "week"
        return "week" if self.days <= 120 else "month"

    @property
    def span(self) -> str:
        """Its days, up to today when it runs past it: "1-5 Dec 2026 so far", not days to come."""
        if self.today is not None and self.start <= self.today < self.last_day:
            return f"{_span(self.start, self.today)} so far"
        return _span(self.start, self.last_day)

    @property
    def words(self) -> str:
        """What the period box shows: the period's name and its days."""
        name = dict(PERIOD_CHOICES)[self.key].lower()
        return self.span if self.key == "custom" else f"{name} ({self.span})"


def period_for(*, key: str, today: date, start: date | None = None, end: date | None = None) -> Period:
    """The period a dashboard shows (``today`` included). ``end`` of a custom range is the last day
    shown (inclusive); a custom range without both ends, or with them reversed, or an unknown key,
    gives the default period."""
    if key == "week":
        first = today - timedelta(days=today.weekday())
        return Period("week", first, first + timedelta(days=7), today)
    if key == "quarter":
        first = _month_start(today, (today.month - 1) % 3)
        return Period("quarter", first, _month_start(first, -3), today)
    if key == "month":
        first = _month_start(today)
        return Period("month", first, _month_start(first, -1), today)
    if key == "custom" and start and end and start <= end:
        return Period("custom", start, end + timedelta(days=1), today)
    return Period("30d", today - timedelta(days=29), today + timedelta(days=1), today)


def period_named(*, start: date, end: date, today: date) -> str:
    """The key of the named period (this week, month, quarter, the last 30 days) that runs from
    ``start`` to ``end`` (exclusive) as of ``today``; "custom" when none does."""
    for key, _ in PERIOD_CHOICES:
        period = period_for(key=key, today=today)
        if key != "custom" and (period.start, period.end) == (start, end):
            return key
    return "custom"
