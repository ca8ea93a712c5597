"""What every page's form handling shares."""

from __future__ import annotations

from django import forms


def form_errors(form: forms.BaseForm) -> str:
    """``field: first error; …`` — one line naming each bad field."""
    return "; ".join(f"{field}: {errors[0]}" for field, errors in form.errors.items())


def form_error(form: forms.BaseForm) -> str:
    """``field: first error`` of the first bad field: the one wording every page and fragment uses."""
    field, errors = next(iter(form.errors.items()))
    return f"{field}: {errors[0]}"
