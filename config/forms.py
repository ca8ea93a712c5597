"""What every page's form handling shares."""

from __future__ import annotations

from django import forms


def form_errors(form: forms.BaseForm) -> str:
    """``field: first error; …`` — one line naming each bad field."""
    return "; ".join(f"{field}: {errors[0]}" for field, errors in form.errors.items())
