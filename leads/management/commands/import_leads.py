from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import CommandError

from leads.management.importing import ImportCommand, run_import
from leads.parsing import open_value_problem, positive_problem
from leads.services import import_leads_csv


class Command(ImportCommand):
    help = (
        "Import leads from a CSV (one per row, external_id required): a row without a usable external_id is "
        "rejected; an invalid optional value is left out with a warning (row N: field: reason)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file")
        parser.add_argument("--outcome-column", help="a column of historical outcomes: converted / not_converted")
        parser.add_argument(
            "--positive",
            help="with --outcome-column: the value meaning converted; any other non-empty value is not_converted",
        )
        parser.add_argument(
            "--open-value",
            action="append",
            default=[],
            metavar="VALUE",
            help="with --outcome-column: a value meaning the lead is still open (e.g. Open; repeat for more); "
            "its lead stays open, and an outcome an earlier import gave it is withdrawn",
        )
        parser.add_argument(
            "--outcome-date-column",
            help="with --outcome-column: when the outcome happened (a date or datetime); otherwise dated at import",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["positive"] is not None and not options["outcome_column"]:
            raise CommandError("--positive needs --outcome-column")
        if options["open_value"] and not options["outcome_column"]:
            raise CommandError("--open-value needs --outcome-column")
        if options["outcome_date_column"] and not options["outcome_column"]:
            raise CommandError("--outcome-date-column needs --outcome-column")
        if problem := positive_problem(options["positive"]):
            raise CommandError(f"--positive {problem}")
        if problem := open_value_problem(options["positive"], options["open_value"]):
            raise CommandError(f"--open-value: {problem}")
        run_import(
            self,
            options["file"],
            lambda stream: import_leads_csv(
                stream=stream,
                outcome_column=options["outcome_column"],
                positive=options["positive"],
                outcome_date_column=options["outcome_date_column"],
                open_values=options["open_value"],
            ),
            kind="leads",
        )
