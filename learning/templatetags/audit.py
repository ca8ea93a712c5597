"""Template filters of the audit log on /settings/."""

from __future__ import annotations

from typing import Any

from django import template

from config.audit import action_words, change_words
from learning.core.fields import field_words

register = template.Library()


@register.filter(name="change_words")
def change_words_filter(change: Any, key: str = "") -> str:
    """``[["seniority"], None]`` → ``seniority → —``; ``[0.5, 0.6]`` of ``hot_threshold`` → ``50% → 60%``;
    lead fields (``fields``) in the words the settings page names them (``activity:call`` → "call activity")."""
    if key == "fields" and isinstance(change, list):
        change = [[field_words(str(f)) for f in side] if isinstance(side, list) else side for side in change]
    return change_words(change, key)


@register.filter(name="action_words")
def action_words_filter(action: str) -> str:
    """``user.update`` → ``user changed``."""
    return action_words(action)
