from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def percent(value: float | None, digits: int = 0) -> str:
    """0.483 → '48%'."""
    if value is None:
        return "—"
    return f"{100 * float(value):.{int(digits)}f}%"


@register.filter
def money(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{float(value):,.0f}"


@register.filter
def bar(value: float | None, scale: float = 1.0) -> int:
    """A width in percent for a bar of ``value`` out of ``scale``."""
    if value is None or not scale:
        return 0
    return max(0, min(100, round(100 * float(value) / float(scale))))


@register.filter
def humanize_type(value: str) -> str:
    """'pricing_visit' → 'pricing visit'."""
    return str(value).replace("_", " ")


@register.filter
def index(sequence: list[object] | tuple[object, ...], position: int) -> object:
    """``counts|index:2`` → counts[2]."""
    try:
        return sequence[int(position)]
    except (IndexError, TypeError, ValueError):
        return ""
