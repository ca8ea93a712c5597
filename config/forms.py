"""What every page's form handling shares."""

from __future__ import annotations

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS


def field_words(form: forms.BaseForm, name: str) -> str:
    """A field as the page labels it, without a unit in brackets ("Queue size (leads)" → "Queue size")."""
    label = form.fields[name].label if name in form.fields else None
    return str(label or name).split(" (")[0]


def form_errors(form: forms.BaseForm) -> str:
    """``field: first error; …`` — one line naming each bad field."""
    return "; ".join(f"{field}: {errors[0]}" for field, errors in form.errors.items())


def form_errors_in_words(form: forms.BaseForm) -> str:
    """``Label: first error; …`` — one line naming each bad field as the page labels it."""
    return "; ".join(
        str(errors[0]) if field == NON_FIELD_ERRORS else f"{field_words(form, field)}: {errors[0]}"
        for field, errors in form.errors.items()
    )


def form_error(form: forms.BaseForm) -> str:
    """``field: first error`` of the first bad field: the one wording every page and fragment uses."""
    field, errors = next(iter(form.errors.items()))
    return f"{field}: {errors[0]}"
