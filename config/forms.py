"""What every page's form handling shares, and the users page's forms."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import authenticate, password_validation
from django.contrib.auth.forms import PasswordChangeForm
from django.contrib.auth.models import User
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import NON_FIELD_ERRORS
from django.http import HttpRequest

from config.roles import Role


def field_words(form: forms.BaseForm, name: str) -> str:
    """A field as the page labels it, without a unit in brackets ("Queue size (leads)" → "Queue size")."""
    label = form.fields[name].label if name in form.fields else None
    return str(label or name).split(" (")[0]


def form_errors(form: forms.BaseForm) -> str:
    """``field: first error; …`` — one line naming each bad field."""
    return "; ".join(f"{field}: {errors[0]}" for field, errors in form.errors.items())


def form_errors_in_words(form: forms.BaseForm) -> str:
    """``Label: first error; …`` — one line naming each bad field as the page labels it (Django's own
    messages lose their full stop: the line ends with one)."""
    return "; ".join(
        (str(errors[0]) if field == NON_FIELD_ERRORS else f"{field_words(form, field)}: {errors[0]}").rstrip(".")
        for field, errors in form.errors.items()
    )


def form_error(form: forms.BaseForm) -> str:
    """``field: first error`` of the first bad field: the one wording every page and fragment uses."""
    field, errors = next(iter(form.errors.items()))
    return f"{field}: {errors[0]}"


ROLE_WORDS = {
    "rep": "Rep: works the queue and labels leads",
    "manager": "Manager: reads the dashboards and leads, labels nothing",
    "admin": "Admin: everything, and the settings, imports and users",
}


class PasswordField(forms.CharField):
    """A password typed for someone else, checked by the site's password validators."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", forms.PasswordInput(attrs={"autocomplete": "new-password"}, render_value=False))
        super().__init__(max_length=128, strip=False, **kwargs)

    def clean(self, value: Any) -> str:
        password: str = super().clean(value)
        if password:
            password_validation.validate_password(password)
        return password


def role_choices() -> list[tuple[str, str]]:
    return [(role.value, ROLE_WORDS[role.value]) for role in Role]


def _is_current(request: HttpRequest | None, user: User, password: str) -> bool:
    """``user``'s current password? Checked as a sign-in is, so django-axes counts a wrong guess:
    whoever holds a session cannot try passwords without limit (past the limit the lockout answers 429)."""
    return authenticate(request, username=user.get_username(), password=password) is not None


def _validate_for(form: forms.Form, password: str, user: User) -> None:
    """The site's password validators with the user known (the similarity one needs it)."""
    try:
        password_validation.validate_password(password, user)
    except forms.ValidationError as exc:
        form.add_error("password", exc)


class UserAddForm(forms.Form):
    username = forms.CharField(
        max_length=150,
        validators=[UnicodeUsernameValidator()],
        help_text="letters, digits and @ . + - _ only",
    )
    role = forms.ChoiceField(choices=role_choices)
    password = PasswordField(help_text="at least 8 characters; tell them to keep it to themselves")

    def clean_username(self) -> str:
        name: str = self.cleaned_data["username"].strip()
        if User.objects.filter(username__iexact=name).exists():
            raise forms.ValidationError(f"{name!r} is taken: change that user in the list instead")
        return name

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password") and data.get("username"):  # the validators that need the user: similarity
            _validate_for(self, data["password"], User(username=data["username"]))
        return data


class OwnPasswordForm(PasswordChangeForm):
    """Any user's own new password: the current one is checked as a sign-in is (django-axes counts
    a wrong guess), the new one by the site's validators."""

    def __init__(self, user: User, *args: Any, request: HttpRequest | None = None, **kwargs: Any) -> None:
        super().__init__(user, *args, **kwargs)
        self.request = request
        self.fields["old_password"].label = "Current password"
        self.fields["new_password1"].help_text = (
            "at least 8 characters, not a common or all-digit one; it ends your other sessions and revokes "
            "your API tokens"
        )

    def clean_old_password(self) -> str:
        old: str = self.cleaned_data["old_password"]
        if not _is_current(self.request, self.user, old):
            raise forms.ValidationError("is not your current password")
        return old


class UserChangeForm(forms.Form):
    """One user's role, access and password. Only what the admin changed is applied (``changes``);
    ``seen`` is what the page was opened on, so a save on a stale page is refused."""

    role = forms.ChoiceField(choices=lambda: [("", "No role yet"), *role_choices()], required=False)
    active = forms.BooleanField(
        required=False,
        label="May sign in",
        help_text="unticked: their sessions end, their API tokens are revoked and the leads leased to them "
        "go back to the queue; their labels stay",
    )
    password = PasswordField(
        required=False,
        label="New password",
        help_text="leave empty to keep theirs; a new one ends their other sessions and revokes their API tokens",
    )
    current_password = forms.CharField(
        required=False,
        strip=False,
        label="Your current password",
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text="needed to change your own password",
    )
    seen = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, editor: User, user: User, request: HttpRequest | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.editor, self.user, self.request = editor, user, request
        if editor.pk != user.pk:
            del self.fields["current_password"]
        if self.initial.get("role"):  # "no role yet" is only for a user who has none
            role_field = self.fields["role"]
            assert isinstance(role_field, forms.ChoiceField)
            role_field.choices = role_choices()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if "role" in self.changed_data and not data.get("role"):
            self.add_error("role", "pick a role")
        own = "current_password" in self.fields and data.get("password")
        if own and not data.get("current_password"):
            self.add_error("current_password", "type your current password to change your own")
        elif own and not _is_current(self.request, self.editor, data["current_password"]):
            self.add_error("current_password", "is not your current password")
        if data.get("password"):  # the validators that need the user: similarity to their name
            _validate_for(self, data["password"], self.user)
        return data

    def changes(self) -> dict[str, Any]:
        """role, active, password: each None unless the admin changed it."""
        data = self.cleaned_data
        return {
            "role": Role(data["role"]) if "role" in self.changed_data and data.get("role") else None,
            "active": data["active"] if "active" in self.changed_data else None,
            "password": data.get("password") or None,
        }


class TokenForm(forms.Form):
    """A new API token for a user, named after what will use it."""

    name = forms.CharField(
        max_length=100,
        label="Token name",
        help_text="what will use it (an integration, a script): the name picks the token to revoke later",
    )

    def clean_name(self) -> str:
        name: str = self.cleaned_data["name"]
        if not name.isprintable():
            raise forms.ValidationError("letters, digits, spaces and punctuation only (no tabs or line breaks)")
        return name
