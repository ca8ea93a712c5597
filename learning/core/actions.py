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
        """As an admin writes it: ``employees >= 51``, not ``51.0``."""
        if isinstance(self.value, list):
            value = ", ".join(map(str, self.value))
        elif isinstance(self.value, float):
            value = str(int(self.value)) if self.value.is_integer() else str(self.value)
        else:
            value = str(self.value)
        return f"{self.field} {self.op} {value}"


def parse_rule(line: str) -> Rule:
    """``industry in software, logistics`` · ``employees >= 50`` · ``score >= 0.3`` · ``country = Germany``."""
    text = line.strip()
    for op in sorted(OPERATORS, key=len, reverse=True):
        token = f" {op} " if op[0].isalpha() else op
        if token in text:
            field, _, raw = text.partition(token)
            field, raw = field.strip(), raw.strip()
            if not field or not raw or " " in field:
                break
            if op in ("in", "not in"):
                return Rule(field, op, [item.strip() for item in raw.split(",") if item.strip()])
            if op in NUMERIC:
                try:
                    number = float(raw)
                except ValueError:
                    number = math.nan
                if not math.isfinite(number):  # "nan", "inf", "1e999": no lead's field compares with them
                    raise RuleSyntaxError(f"{text!r}: {op} needs a number, not {raw!r}")
                return Rule(field, op, number)
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
