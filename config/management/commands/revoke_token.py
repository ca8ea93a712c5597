from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from config.tokens import PREFIX_LENGTH, token_revoke


class Command(BaseCommand):
    help = "Revoke a user's API tokens: all of them, or one by --name or by the first characters of its key."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("user")
        which = parser.add_mutually_exclusive_group()
        which.add_argument("--name", help="only the token with this name (e.g. an integration's)")
        which.add_argument("--prefix", metavar="KEY8", help="only the token whose key starts with these 8 characters")

    def handle(self, *args: Any, **options: Any) -> None:
        prefix = options["prefix"]
        if prefix is not None and len(prefix) < PREFIX_LENGTH:
            raise CommandError(
                f"--prefix needs the key's first {PREFIX_LENGTH} characters (as the audit log shows them), "
                f"not {len(prefix)}: {prefix!r}"
            )
        user = get_user_model().objects.filter(username=options["user"]).first()
        if user is None:
            raise CommandError(f"no user {options['user']!r}")
        count = token_revoke(user=user, name=options["name"], prefix=prefix)
        if count == 0:
            raise CommandError("no live token matched; nothing revoked")
        self.stdout.write(f"revoked={count}")
