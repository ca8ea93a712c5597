from __future__ import annotations

import re
from datetime import datetime, timedelta
from urllib.parse import quote

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.timesince import timesince

from config.site import currency, format_money

register = template.Library()

# Words that read as initials in a column name (``crm_stage`` → "CRM stage").
ACRONYMS = frozenset(
    {"api", "arr", "b2b", "b2c", "ceo", "cfo", "cio", "cmo", "coo", "cpo", "crm", "cto", "erp", "eu", "id", "ip"}
    | {"it", "kpi", "mql", "mrr", "nps", "roi", "saas", "seo", "sla", "sql", "uk", "url", "us", "utm", "vp"}
)


@register.filter
def percent(value: float | str | None, digits: int = 0) -> str:
    """0.483 → '48%'; nothing (None, or a key the template could not find) → '—'."""
    if value is None or value == "":
        return "—"
    return f"{100 * float(value):.{int(digits)}f}%"


@register.filter
def money(value: float | None) -> str:
    """12345.6 → '$12,346', in the currency an admin chose on /settings/."""
    if value is None:
        return "—"
    return format_money(float(value), currency())


@register.filter
def humanize_name(value: str) -> str:
    """A column name in words: 'crm_stage' → 'CRM stage', 'NumberOfSeats' → 'Number of seats'."""
    text = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", str(value))
    words = [w for w in re.split(r"[\s_\-.]+", text) if w]
    if not words:
        return str(value)
    shown = [w.upper() if w.lower() in ACRONYMS else w.lower() for w in words]
    first = shown[0]
    shown[0] = first if first.isupper() else first[:1].upper() + first[1:]
    return " ".join(shown)


@register.filter
def ago(value: datetime | None) -> str:
    """When a score was computed, in words: 'just now', '3 minutes ago', '2 days ago'."""
    if value is None:
        return "never"
    if timezone.now() - value < timedelta(minutes=1):
        return "just now"
    return f"{timesince(value).split(',')[0]} ago"


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


# Why the queue showed a lead, in a rep's words (keys: the score table's queue_reason).
WHY_PICKED = {
    # The draw gave this lead about the odds of any open lead (the random floor, or a mix leaning on random).
    "exploration": "Drawn at about the odds of any open lead: part of the queue is left to chance, so the "
    "model keeps learning about every kind of lead.",
    # Every queue pick is a draw (strategies are distributions), so this says what the draw favoured (at
    # least 1.25 times a random pick's odds), not that this lead is a coin flip: the score panel says how sure.
    "model unsure": "Drawn by the queue, which made it likelier than most because the model is less sure "
    "about it: answers there teach it the most.",
    "high score": "One of the leads most likely to convert: your answer checks the model's best bets.",
    "cold start: near the hot threshold": "Close to the hot line under the starting point rules: "
    "your answer gets the model going.",
}


@register.filter
def why_picked(queue_reason: str | None) -> str:
    """The queue's reason for showing a lead, as one plain sentence."""
    reason = (queue_reason or "").strip()
    if not reason:
        return "Next in your queue."
    return WHY_PICKED.get(reason, f"{reason[:1].upper()}{reason[1:]}.")


@register.filter
def sureness(score: float | None) -> str:
    """How sure the model is, from how far its score sits from a coin flip (not the score again)."""
    if score is None:
        return "—"
    distance = abs(float(score) - 0.5)
    if distance < 0.1:
        return "unsure: close to a coin flip"
    if distance < 0.3:
        return "fairly sure"
    return "sure"
