from __future__ import annotations

import time
from argparse import ArgumentParser
from contextlib import nullcontext
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from config.arguments import positive_int
from config.logs import logs_quieter
from config.roles import Role
from config.users import user_save
from leads.models import Lead
from learning.demo import demo_users, tell_story
from learning.models import ModelVersion
from learning.services.loop import run_learning_loop

APPS = ("config", "leads", "feedback", "learning")


class Command(BaseCommand):
    help = (
        "Load the demo team: B2B leads with activity, imported history, ten weeks of rep labels with "
        "reasons and notes, and the models trained as the labels came. Does nothing twice."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--leads", type=positive_int, default=1100, help="how many demo leads to make (default 1,100)"
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="load the demo story even if the database has leads (the demo's leads are updated, not "
            "duplicated; its activity, labels and model versions are added)",
        )
        parser.add_argument(
            "--allow-published-passwords",
            action="store_true",
            help="run with DEBUG off too (a demo server): the demo users, an admin among them, have the "
            "passwords the README publishes",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION and not options["allow_published_passwords"]:
            raise CommandError(
                "DEBUG is off (production): seed_demo would add users whose passwords the README publishes, "
                "an admin among them. Create your own with create_user; on a demo server, add "
                "--allow-published-passwords."
            )
        # The loop runs in this process: its INFO records (each model's metrics, each rescore's timings)
        # are a worker's log, shown here only with -v 2; the summary line below says what was made.
        quiet = logs_quieter(*APPS) if options["verbosity"] < 2 else nullcontext()
        with quiet:
            self._seed(options)

    def _seed(self, options: dict[str, Any]) -> None:
        started = time.perf_counter()
        users = {}
        hashes: dict[str, str] = {}  # one slow hash per demo password, not per user
        for name, role, password in demo_users():
            # Created or its role set again, audited as create_user does; a new user's password is
            # hashed once per demo password (the slow hash), not once per user.
            user, created, *_ = user_save(name=name, role=Role(role), password=None)
            if created:
                user.password = hashes.setdefault(password, make_password(password))
                user.save(update_fields=["password"])
            users[name] = user
        if Lead.objects.exists() and not options["force"]:
            self.stdout.write("the database has leads already, so no demo story (--force loads it); users checked")
        else:
            # Its imports are audited and announced as any import is (the announcement asks for a rescore).
            story = tell_story(users=users, n_leads=options["leads"], now=timezone.now())
            run_learning_loop()  # the model of today and fresh scores, so the first page shows them
            self.stdout.write(
                f"demo: {options['leads']:,} lead{'s' if options['leads'] != 1 else ''}, "
                f"{story.history:,} imported outcomes, {story.labels:,} rep labels, "
                f"{_versions_said()}"
            )
        self.stdout.write(f"seconds={time.perf_counter() - started:.1f}")
        self.stdout.write(
            "demo logins (as first set; a password changed since stays changed): "
            + ", ".join(f"{n} / {p} ({r})" for n, r, p in demo_users())
        )


def _versions_said() -> str:
    """``model versions: 5 (active v5; 1 rejected by the promotion guard)``."""
    statuses = list(ModelVersion.objects.values_list("version", "status"))
    active = [version for version, status in statuses if status == "active"]
    rejected = sum(status == "rejected" for _, status in statuses)
    said = f"model versions: {len(statuses)} (active " + (f"v{active[0]}" if active else "none")
    return said + (f"; {rejected} rejected by the promotion guard)" if rejected else ")")
