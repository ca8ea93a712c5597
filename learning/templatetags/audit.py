"""Template filters of the audit log on /settings/."""

from __future__ import annotations

from typing import Any

from django import template

from config.audit import action_words, change_words

register = template.Library()


@register.filter(name="change_words")
def change_words_filter(change: Any, key: str = "") -> str:
    """``[["seniority"], None]`` → ``seniority → —``; ``[0.5, 0.6]`` of ``hot_threshold`` → ``50% → 60%``."""
    return change_words(change, key)


@register.filter(name="action_words")
def action_words_filter(action: str) -> str:
    """``user.update`` → ``user changed``."""
    return action_words(action)
