from __future__ import annotations

import shlex
from argparse import ArgumentParser
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from config.roles import Role, set_role
from config.tokens import TokenNameTaken, token_create


class Command(BaseCommand):
    help = "Create a user (or update an existing one's role) and print a new API token on the last line."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("name")
        parser.add_argument("--role", required=True, choices=[r.value for r in Role])
        parser.add_argument("--password", help="lets the user log in to the web pages")
        parser.add_argument(
            "--token-name", default="default", help="name the token, e.g. after the integration that will use it"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        name = options["name"].strip()
        if not name or len(name) > 150:
            raise CommandError("NAME must be 1 to 150 characters")
        password = options["password"]
        if password is not None and len(password) < 8:
            raise CommandError("--password must be at least 8 characters")
        User = get_user_model()
        with transaction.atomic():
            user, created = User.objects.get_or_create(username=name)
            if password is not None:
                user.set_password(password)
            elif created:
                user.set_unusable_password()
            user.save()
            set_role(user=user, role=Role(options["role"]))
            token_name = options["token_name"][:100]
            try:
                key = token_create(user=user, name=token_name)
            except TokenNameTaken as exc:  # nothing is changed: the role and password roll back too
                raise CommandError(
                    f"{exc.taken}: pass another --token-name, or revoke that token first "
                    f"(revoke_token {shlex.quote(name)} --name {shlex.quote(token_name)}); nothing changed"
                ) from None
        self.stderr.write(f"{'created' if created else 'updated'} {name} ({options['role']})")
        self.stdout.write(key)
