"""Django's ``changepassword``, which also revokes the user's API tokens (audited), as every other
way of changing a password in Leadloop does: a password is changed when it may have leaked."""

from __future__ import annotations

import getpass
from typing import Any

from django.contrib.auth.management.commands import changepassword
from django.contrib.auth.models import User

from config.users import password_changed_outside


class Command(changepassword.Command):
    help = "Change a user's password (Django's command); the user's API tokens are revoked with it."

    def handle(self, *args: Any, **options: Any) -> str | None:
        username = options["username"] or getpass.getuser()
        before = User.objects.filter(username=username).values_list("password", flat=True).first()
        message = super().handle(*args, **options)  # refuses an unknown user, a mismatch, a weak password
        user = User.objects.get(username=username)
        if user.password == before:
            return message
        revoked = password_changed_outside(user)
        return f"{message}; {revoked} API token(s) revoked" if revoked else message
