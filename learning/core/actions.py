"""Next best action: eligibility rules on a lead's fields, then propensity x value (no Django here)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

OPERATORS = ("=", "!=", "in", "not in", ">=", ">", "<=", "<")
NUMERIC = (">=", ">", "<=", "<")


class RuleSyntaxError(ValueError):
    """A rule line that cannot be read; the message says which and why."""


@dataclass(frozen=True)
class Rule:
    field: str
    op: str
    value: Any

    def as_dict(self) -> dict[str, Any]:
        return {"field": self.field, "op": self.op, "value": self.value}

    def __str__(self) -> str:
        """As an admin writes it: ``employees >= 51``, not ``51.0``; a score as the app shows it, ``score >= 30%``."""
        if self.field == "score" and self.op in NUMERIC and isinstance(self.value, int | float):
            value = score_percent(float(self.value))
        elif isinstance(self.value, list):
            value = ", ".join(map(str, self.value))
        elif isinstance(self.value, float):
            value = str(int(self.value)) if self.value.is_integer() else str(self.value)
        else:
            value = str(self.value)
        return f"{self.field} {self.op} {value}"


def score_percent(fraction: float) -> str:
    """0.3 → '30%', 0.125 → '12.5%': a score as every page shows it."""
    return f"{round(100 * fraction, 6):g}%"


def _score_limit(text: str, op: str, raw: str, number: float) -> float:
    """A score is shown in percent everywhere, so a rule takes ``30%``; a fraction (``0.3``) is read as
    rules were written before. A bare number above 1 is refused: ``score >= 30`` would never hold."""
    if raw.endswith("%"):
        number = _percent_number(raw[:-1])
        if not 0 <= number <= 100:
            raise RuleSyntaxError(f"{text!r}: a score is from 0% to 100%, not {raw}")
        return number / 100
    if not 0 <= number < 1:  # a bare 1 reads two ways: 100%, or 1% to one used to the pages
        raise RuleSyntaxError(f"{text!r}: a score is from 0% to 100%: write it in percent (score {op} {raw}%)")
    return number


def _percent_number(raw: str) -> float:
    try:
        return float(raw.strip())
    except ValueError:
        return math.nan


def parse_rule(line: str) -> Rule:
    """``industry in software, logistics`` · ``employees >= 50`` · ``score >= 30%`` · ``country = Germany``."""
    text = line.strip()
    for op in sorted(OPERATORS, key=len, reverse=True):
        token = f" {op} " if op[0].isalpha() else op
        if token in text:
            field, _, raw = text.partition(token)
            field, raw = field.strip(), raw.strip()
            if not field or not raw or " " in field:
                break
            if field == "score" and op not in NUMERIC:  # compared as text, "30%" would never hold
                raise RuleSyntaxError(f"{text!r}: compare a score with >=, >, <= or <, e.g. score >= 30%")
            if op in ("in", "not in"):
                return Rule(field, op, [item.strip() for item in raw.split(",") if item.strip()])
            if op in NUMERIC:
                is_score_percent = field == "score" and raw.endswith("%")
                number = _percent_number(raw[:-1] if is_score_percent else raw)
                if not math.isfinite(number):  # "nan", "inf", "1e999": no lead's field compares with them
                    raise RuleSyntaxError(f"{text!r}: {op} needs a number, not {raw!r}")
                return Rule(field, op, _score_limit(text, op, raw, number) if field == "score" else number)
            return Rule(field, op, raw)
    raise RuleSyntaxError(f"{text!r}: write it as 'field operator value', operator one of {', '.join(OPERATORS)}")


def parse_rules(text: str) -> list[Rule]:
    return [parse_rule(line) for line in text.splitlines() if line.strip()]


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def holds(rule: Mapping[str, Any], lead: Mapping[str, Any]) -> bool:
    """Does one rule hold for a lead's fields? A missing field never satisfies a rule."""
    actual = lead.get(rule["field"])
    if actual is None or actual == "":
        return False
    op, expected = rule["op"], rule["value"]
    if op in NUMERIC:
        number = _number(actual)
        if number is None:
            return False
        limit = float(expected)
        return {">=": number >= limit, ">": number > limit, "<=": number <= limit, "<": number < limit}[op]
    text = str(actual).strip().lower()
    if op in ("in", "not in"):
        inside = text in {str(v).strip().lower() for v in expected}
        return inside if op == "in" else not inside
    equal = text == str(expected).strip().lower()
    return equal if op == "=" else not equal


@dataclass(frozen=True)
class RankedAction:
    code: str
    label: str
    value: float
    expected_value: float


def rank_actions(
    *, lead: Mapping[str, Any], probability: float | None, actions: Sequence[Mapping[str, Any]]
) -> list[RankedAction]:
    """The actions whose rules all hold for the lead, best P(convert) x value first."""
    p = probability or 0.0
    ranked = [
        RankedAction(a["code"], a["label"], float(a["value"]), p * float(a["value"]))
        for a in actions
        if all(holds(rule, lead) for rule in a.get("rules") or [])
    ]
    return sorted(ranked, key=lambda a: (-a.expected_value, a.code))
