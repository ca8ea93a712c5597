from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from leads.management.importing import ImportCommand, run_import
from leads.services import import_activities_csv
from learning.selectors import known_activity_types


class Command(ImportCommand):
    help = "Import activity events from a CSV with columns lead, type, occurred_at."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file")

    def handle(self, *args: Any, **options: Any) -> None:
        run_import(
            self,
            options["file"],
            lambda stream: import_activities_csv(stream=stream, known_types=known_activity_types()),
            kind="activities",
        )
