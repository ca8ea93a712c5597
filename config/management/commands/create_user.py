from __future__ import annotations

import shlex
from argparse import ArgumentParser
from typing import Any

from django.contrib.auth import password_validation
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from config.roles import Role
from config.tokens import TokenNameTaken, TokenUserInactive, free_token_name, token_create
from config.users import user_save


class Command(BaseCommand):
    help = "Create a user (or update an existing one's role) and print a new API token on the last line."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("name")
        parser.add_argument("--role", required=True, choices=[r.value for r in Role])
        parser.add_argument(
            "--password",
            help="lets the user log in to the web pages; a new one for an existing user revokes their API tokens",
        )
        parser.add_argument(
            "--token-name",
            help="name the token, e.g. after the integration that will use it (default: 'default', or "
            "'default-2', 'default-3'... when the user has that one already)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        name = options["name"].strip()
        if not name or len(name) > 150:
            raise CommandError("NAME must be 1 to 150 characters")
        if not User.objects.filter(username=name).exists():  # a new name, checked as the users page checks it
            try:
                User.username_validator(name)
            except ValidationError as exc:
                raise CommandError(f"NAME {name!r}: {' '.join(exc.messages)}") from None
            if twin := User.objects.filter(username__iexact=name).first():
                raise CommandError(f"NAME {name!r}: {twin.username!r} exists; a name is unique whatever its case")
        password = options["password"]
        if password is not None:
            try:  # the site's validators, as the users page applies them
                password_validation.validate_password(password, User(username=name))
            except ValidationError as exc:
                raise CommandError(f"--password: {' '.join(exc.messages)}") from None
        with transaction.atomic():  # a refused token leaves the user as it was, and the audit log too
            user, created, held, revoked = user_save(name=name, role=Role(options["role"]), password=password)
            given = options["token_name"]
            token_name = given[:100] if given is not None else free_token_name(user=user)
            try:
                key = token_create(user=user, name=token_name)
            except TokenUserInactive as exc:
                raise CommandError(
                    f"{exc}: let them sign in again on /settings/users/ first; nothing changed"
                ) from None
            except TokenNameTaken as exc:
                raise CommandError(
                    f"{exc.taken}: pass another --token-name, or revoke that token first "
                    f"(revoke_token {shlex.quote(name)} --name {shlex.quote(token_name)}); nothing changed"
                ) from None
        role = options["role"]
        if held is not None and held != role:  # said plainly: asking for a token must not demote anyone unseen
            self.stderr.write(f"updated {name}: role changed from {held} to {role}")
        else:
            self.stderr.write(f"{'created' if created else 'updated'} {name} ({role})")
        if created and password is None:  # said, or the new user wonders why signing in fails
            self.stderr.write(
                f"{name} has no password yet, so cannot sign in: give one with --password or on /settings/users/"
            )
        if revoked:  # a new password: the tokens made under the old one no longer work
            self.stderr.write(f"password changed: {revoked} API token{'s' if revoked != 1 else ''} of {name} revoked")
        self.stdout.write(key)
