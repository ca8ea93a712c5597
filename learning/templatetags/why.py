"""Template tags of the why: the explanation lines a rep can mark as the real reason, and fields in words."""

from __future__ import annotations

from typing import Any

from django import template

from learning.core.fields import field_words
from learning.why import explanation_marks

register = template.Library()


@register.inclusion_tag("learning/_mark_fields.html", takes_context=True)
def mark_fields(context: template.Context, lead: Any) -> dict[str, Any]:
    """The "which line was the real reason?" checkboxes of a label form, for ``lead``'s explanation.
    Rendered inside the form; ``static/leadloop/mark.js`` gives them their Shift+digit keys. An
    ``answer`` in the context (an undone label, back for editing) has its ``fields`` checked again.
    The fieldset is a live fragment: when fresh scores change the why, live.js swaps in the new
    lines and keeps the rep's marks on the fields still offered. Without lines it is hidden."""
    answer = context.get("answer") or {}
    return {
        "lead": lead,
        "marks": explanation_marks(lines=getattr(lead, "explanation", None)),
        "checked": list(answer.get("fields") or []) if isinstance(answer, dict) else [],
    }


@register.filter
def field_name(field: str) -> str:
    """``activity:pricing_visit`` → ``pricing visit activity``."""
    return field_words(str(field))
