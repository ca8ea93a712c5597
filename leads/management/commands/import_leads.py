from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from leads.csvfile import CsvFileError
from leads.services import import_leads_csv
from learning.services import rescore_requested


class Command(BaseCommand):
    help = "Import leads from a CSV (one per row, external_id required); bad rows are reported and skipped."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file")
        parser.add_argument("--outcome-column", help="a column of historical outcomes: converted / not_converted")
        parser.add_argument(
            "--positive",
            help="with --outcome-column: the value meaning converted; any other non-empty value is not_converted",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["positive"] is not None and not options["outcome_column"]:
            raise CommandError("--positive needs --outcome-column")
        try:
            with open(options["file"], "rb") as stream:
                result = import_leads_csv(
                    stream=stream, outcome_column=options["outcome_column"], positive=options["positive"]
                )
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
