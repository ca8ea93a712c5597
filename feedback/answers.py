"""An answer shown again in a label form: an undone label's, or a refused one's as the rep sent it.

Kept in the session for one lead; the queue's card and the lead page read it (web faces only).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from feedback.taxonomy import OTHER_CODES

ANSWER_KEY = "leadloop-undone-answer"  # the session key of an answer shown again for editing (undone or refused)


def answer_show(request: HttpRequest, *, lead: str, outcome: str, reason: str, note: str, fields: list[str]) -> None:
    """Keep an answer for the next form ``lead``'s label is asked in (an undone label's, to edit)."""
    request.session[ANSWER_KEY] = {
        "lead": lead,
        "outcome": outcome,
        "reason": reason,
        "note": note,
        "fields": fields,
        "needs_note": reason in OTHER_CODES,  # the form says so without JavaScript too
    }


def answer_keep(request: HttpRequest, *, lead: str) -> None:
    """A refused label's answer, as the rep sent it, for the form shown next (the queue's card or
    the lead page): they change what was wrong instead of answering again."""
    post = request.POST
    answer_show(
        request,
        lead=lead,
        outcome=post.get("outcome", ""),
        reason=post.get("reason", ""),
        note=post.get("note", ""),
        fields=post.getlist("fields"),
    )


def answer_take(request: HttpRequest, *, lead: str) -> dict[str, Any] | None:
    """The answer kept for ``lead`` (once: it is dropped as it is read), or None."""
    answer = request.session.get(ANSWER_KEY)
    if answer is None or answer.get("lead") != lead:
        return None
    del request.session[ANSWER_KEY]
    return dict(answer)
