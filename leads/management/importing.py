"""What the import commands share: read the file, report each bad row, print the contract's last line."""

from __future__ import annotations

import gc
from collections.abc import Callable
from pathlib import Path
from typing import IO

from django.core.management.base import BaseCommand, CommandError

from leads.csvfile import CsvFileError
from leads.services import ImportKind, ImportResult, import_finish


class ImportCommand(BaseCommand):
    """An import command. Run from the command line it is a process of its own that ends with the
    import: an import makes millions of short-lived objects, and each of the collector's full passes
    walked all that Django and the libraries had loaded (~220,000 objects), 6 s of a 1,000,000-lead
    import, so what is loaded by then is frozen out of those passes. Called in a process that goes on
    (``call_command``, tests) nothing is frozen: a freeze would keep that process's garbage for good."""

    def run_from_argv(self, argv: list[str]) -> None:
        gc.freeze()
        super().run_from_argv(argv)


def run_import(command: BaseCommand, path: str, load: Callable[[IO[bytes]], ImportResult], *, kind: ImportKind) -> None:
    """Import ``path`` with ``load``; ``kind`` (leads or activities) names the import in the audit log,
    where its actor is the command (no user signs in to a command)."""
    try:
        with open(path, "rb") as stream:
            result = load(stream)
    except OSError as exc:
        raise CommandError(f"cannot read {path}: {exc.strerror}") from None
    except CsvFileError as exc:
        nothing = ImportResult(duplicates=0) if kind == "activities" else ImportResult()  # the same last line
        command.stdout.write(nothing.summary)
        raise CommandError(f"{path}: {exc}") from None
    for problem in result.problems:
        command.stderr.write(str(problem))
    for notice in result.notices:
        command.stderr.write(f"note: {notice}")
    if result.reopened:
        command.stderr.write(f"reopened {result.reopened} lead(s): the file says they are still open")
    import_finish(result=result, kind=kind, by=None, source=f"manage.py import_{kind}", file_name=Path(path).name)
    command.stdout.write(result.summary)
    if not result.succeeded:
        raise CommandError("nothing could be imported")
