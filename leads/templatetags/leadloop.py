from __future__ import annotations

from urllib.parse import quote

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

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


@register.simple_tag
def meter(value: float | None, scale: float = 1.0, size: str = "") -> SafeString:
    """A bar of ``value`` out of ``scale``, drawn in SVG (no style attribute for the policy to block)."""
    return format_html(
        '<svg class="meter {}" viewBox="0 0 100 8" preserveAspectRatio="none" aria-hidden="true" focusable="false">'
        '<rect width="{}" height="8"></rect></svg>',
        size,
        bar(value, scale),
    )


@register.simple_tag
def lead_url(external_id: str, page: str = "lead_detail") -> str:
    """The URL of a lead's page with its id as one escaped path segment: an id such as
    ``../../settings/webhook`` cannot point the link at another page."""
    placeholder = "LEADID"
    return reverse(page, args=[placeholder]).replace(placeholder, quote(str(external_id), safe=""), 1)


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
