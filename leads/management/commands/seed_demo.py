from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.utils import timezone

from config.roles import Role, set_role
from leads.demo import generate
from leads.models import Lead
from leads.services import import_activities, import_announce, import_leads
from learning.services.loop import run_learning_loop

DEMO_USERS = [
    ("riley", Role.REP, "leadloop-rep"),
    ("sam", Role.REP, "leadloop-rep"),
    ("morgan", Role.MANAGER, "leadloop-manager"),
    ("alex", Role.ADMIN, "leadloop-admin"),
]


class Command(BaseCommand):
    help = "Load the demo team: a few hundred B2B leads with activity and some known outcomes, and demo users."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--leads", type=int, default=400)
        parser.add_argument("--force", action="store_true", help="load the leads even if the database has some")

    def handle(self, *args: Any, **options: Any) -> None:
        User = get_user_model()
        for name, role, password in DEMO_USERS:
            user, created = User.objects.get_or_create(username=name)
            if created:
                user.set_password(password)
                user.save()
            set_role(user=user, role=role)
        if Lead.objects.exists() and not options["force"]:
            self.stdout.write("demo leads already loaded; users checked")
        else:
            data = generate(n_leads=options["leads"], now=timezone.now())
            leads = import_leads(rows=enumerate(data.leads, start=2), outcome_column="outcome")
            events = import_activities(rows=enumerate(data.activities, start=2))
            self.stdout.write(f"demo: {leads.summary}; activities={events.imported}")
            import_announce(results=[leads, events])
            run_learning_loop()  # first model and scores now, so the first page shows them
        self.stdout.write("demo logins: " + ", ".join(f"{n} / {p} ({r.value})" for n, r, p in DEMO_USERS))
