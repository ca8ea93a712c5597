from __future__ import annotations

import time
from argparse import ArgumentParser
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand
from django.utils import timezone

from config.roles import Role, set_role
from leads.models import Lead
from learning.demo import demo_users, tell_story
from learning.models import ModelVersion
from learning.services.loop import run_learning_loop
from learning.services.workers import rescore_requested


class Command(BaseCommand):
    help = (
        "Load the demo team: B2B leads with activity, imported history, ten weeks of rep labels with "
        "reasons and notes, and the models trained as the labels came. Does nothing twice."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--leads", type=int, default=1100)
        parser.add_argument("--force", action="store_true", help="load the leads even if the database has some")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        User = get_user_model()
        users = {}
        hashes: dict[str, str] = {}  # one slow hash per demo password, not per user
        for name, role, password in demo_users():
            user, created = User.objects.get_or_create(username=name)
            if created:
                user.password = hashes.setdefault(password, make_password(password))
                user.save()
            set_role(user=user, role=Role(role))
            users[name] = user
        if Lead.objects.exists() and not options["force"]:
            self.stdout.write("demo leads already loaded; users checked")
        else:
            story = tell_story(users=users, n_leads=options["leads"], now=timezone.now())
            rescore_requested()
            run_learning_loop()  # the model of today and fresh scores, so the first page shows them
            self.stdout.write(
                f"demo: {options['leads']:,} leads, {story.history:,} imported outcomes, {story.labels:,} rep labels, "
                f"{_versions_said()}"
            )
        self.stdout.write(f"seconds={time.perf_counter() - started:.1f}")
        self.stdout.write("demo logins: " + ", ".join(f"{n} / {p} ({r})" for n, r, p in demo_users()))


def _versions_said() -> str:
    """``model versions: 5 (active v5; 1 rejected by the promotion guard)``."""
    statuses = list(ModelVersion.objects.values_list("version", "status"))
    active = [version for version, status in statuses if status == "active"]
    rejected = sum(status == "rejected" for _, status in statuses)
    said = f"model versions: {len(statuses)} (active " + (f"v{active[0]}" if active else "none")
    return said + (f"; {rejected} rejected by the promotion guard)" if rejected else ")")
