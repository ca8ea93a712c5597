"""Turning model factors and rule hits into sentences a rep understands."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from learning.core.model import Factor

_RULE_LINE = re.compile(r"^[+-]?\d+ points: (.*)$")
_LABELS = {  # (one, many)
    "act_total": ("activity in total", "activities in total"),
    "act_last_7d": ("activity in the last 7 days", "activities in the last 7 days"),
    "act_last_30d": ("activity in the last 30 days", "activities in the last 30 days"),
    "act_active_days": ("day with activity", "days with activity"),
}


def _words(name: str) -> str:
    return name.replace("_", " ").replace("-", " ").strip()


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value == ""


def _number(value: object) -> str:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return str(value)
    if abs(number) >= 100 or number == int(number):
        return f"{number:,.0f}"
    return f"{number:.1f}".removesuffix(".0")  # 66.96 reads 67, not 67.0


def _count(value: object, one: str, many: str) -> str:
    """``1 day`` / ``3 days``: a number and the words that agree with it as shown."""
    shown = _number(value)
    return f"{shown} {one if shown == '1' else many}"


MAX_VALUE_TEXT = 80  # an attribute value of 10 kB stays on its own page, not in a one-line reason


def _text(value: str) -> str:
    """A value as one short line: whitespace (newlines, tabs) collapsed, long text cut."""
    line = " ".join(value.split())
    return line if len(line) <= MAX_VALUE_TEXT else line[: MAX_VALUE_TEXT - 1] + "…"


_TYPICAL = re.compile(r" \(typical: [^()]*\)$")


def describe(factor: Factor) -> str:
    """``▲ 3 pricing visit in the last 30 days (typical: 0)`` / ``▼ industry: retail``. A number
    that differs from the training leads' typical value says it, so "▼ 9 days with activity" reads
    as fewer than usual, not as a penalty for activity."""
    text = _described(factor)
    typical, value = factor.typical, factor.value
    if typical is not None and not _missing(value) and _is_number(value) and _number(value) != _number(typical):
        text += f" (typical: {_number(typical)})"
    return text


def _is_number(value: object) -> bool:
    try:
        float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False
    return not isinstance(value, str)


def _described(factor: Factor) -> str:
    arrow = "▲" if factor.weight > 0 else "▼"
    name, value = factor.feature, factor.value
    if name.startswith("count__"):
        text = f"{_number(value or 0)} × {_words(name.removeprefix('count__'))} in total"
    elif name.startswith("recent30__"):
        text = f"{_number(value or 0)} × {_words(name.removeprefix('recent30__'))} in the last 30 days"
    elif name in _LABELS:
        text = _count(value or 0, *_LABELS[name])
    elif name == "act_days_since_last":
        text = "no activity yet" if _missing(value) else f"last activity {_count(value, 'day', 'days')} ago"
    elif name == "act_span_days":
        days = 0 if _missing(value) else value
        if _is_number(days):
            days = round(float(days))  # type: ignore[arg-type]
        text = f"{_count(days, 'day', 'days')} from first to last activity"
    elif name == "act_decayed":
        text = f"recent engagement {_number(value or 0)}, time-weighted"
    elif name == "lead_age_days":
        text = "lead age unknown" if _missing(value) else f"lead created {_count(value, 'day', 'days')} ago"
    elif _missing(value):
        text = f"{_words(name)} unknown"
    else:
        text = f"{_words(name)}: {_text(value) if isinstance(value, str) else _number(value)}"
    return f"{arrow} {text}"


def _spaced(text: str) -> str:
    return text.replace("_", " ").replace("-", " ")


def _says(text: str, column: str) -> bool:
    """Whether ``text`` (an explanation line without its arrow, words spaced) is what
    :func:`describe` or a cold-start rule writes about ``column``."""
    if column.startswith("count__"):
        kind = _words(column.removeprefix("count__"))
        return text.endswith(f" × {kind} in total") or text.endswith(f" × {kind}")
    if column.startswith("recent30__"):
        return text.endswith(f" × {_words(column.removeprefix('recent30__'))} in the last 30 days")
    if column in _LABELS:
        return any(text.endswith(f" {words}") for words in _LABELS[column])
    if column == "act_span_days" and text.endswith(" from first to last activity"):
        return True
    starts = {
        "act_days_since_last": ("no activity yet", "last activity "),
        "act_span_days": ("engaged over ",),  # the wording of lines stored before 2026-12-06
        "act_decayed": ("recent engagement ",),
        "lead_age_days": ("lead age unknown", "lead created "),
    }
    if column in starts:
        return text.startswith(starts[column])
    return text == f"{_words(column)} unknown" or text.startswith(f"{_words(column)}: ")


def column_of_line(line: str, columns: Sequence[str]) -> str | None:
    """The feature column an explanation line speaks about, among ``columns``: the inverse of
    :func:`describe` (and of the cold-start rules' ``+12 points: 3 x pricing visit`` lines).
    None when no column fits (a line from an older model, say)."""
    text = _spaced(_TYPICAL.sub("", line.lstrip("▲▼ ").strip()))
    if (rule := _RULE_LINE.match(text)) is not None:
        text = rule.group(1)
    # Behaviour columns first: a custom column whose name reads like one must not shadow it.
    ordered = sorted(columns, key=lambda column: not column.startswith(("count__", "recent30__", "act_", "lead_age")))
    return next((column for column in ordered if _says(text, column)), None)
