from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from leads.csvfile import CsvFileError
from leads.services import import_activities_csv
from learning.services import rescore_requested


class Command(BaseCommand):
    help = "Import activity events from a CSV with columns lead, type, occurred_at."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            with open(options["file"], "rb") as stream:
                result = import_activities_csv(stream=stream)
        except OSError as exc:
            raise CommandError(f"cannot read {options['file']}: {exc.strerror}") from None
        except CsvFileError as exc:
            self.stdout.write("imported=0 labels=0 rejected=0")
            raise CommandError(f"{options['file']}: {exc}") from None
        for error in result.errors:
            self.stderr.write(str(error))
        if result.imported:
            rescore_requested()
        self.stdout.write(result.summary)
        if result.imported == 0:
            raise CommandError("nothing could be imported")
