from __future__ import annotations

import json
import math
import os
import shlex
from argparse import ArgumentParser, ArgumentTypeError
from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
from django.core.management.base import BaseCommand, CommandError

from config.arguments import positive_int
from leads.csvfile import renamed_words
from leads.csvframes import CsvFileError, Unmatched, activity_frame_from_csv, is_row_id, lead_frames_from_csv
from leads.parsing import LostWords, RowInvalid, open_value_problem, parse_when, positive_problem
from learning.core.backtest import MIN_PER_OUTCOME, BacktestError, BacktestResult, feature_frame, run_backtest
from learning.core.features import ColumnPlan, infer_plan, is_behaviour, never_a_feature
from learning.core.strategies import DEFAULT_EXPLORATION, DEFAULT_STRATEGY, STRATEGIES

MAX_ERRORS_SHOWN = 20
MAX_LEFT_OUT_SHOWN = 10
MAX_VALUES_SHOWN = 5
FEW_PER_OUTCOME = 30  # fewer leads of one outcome than this: the curves are mostly seed-to-seed noise
# Values that usually mean "won" in a CRM's export: the one suggested for --positive when present
YES_WORDS = {"1", "1.0", "true", "t", "yes", "y", "won", "closed won"}


def _share(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0.0 <= value <= 1.0:
        raise ArgumentTypeError(f"must be a number from 0 to 1, got {text!r}")
    return value


def _unwritable(path: Path) -> str | None:
    """Why ``path`` cannot be written, or None: checked before a backtest of minutes, so a typo in
    --json does not cost its result. A regular file is opened to append (nothing written) and a new
    one made and removed, since as root os.access says yes even to /proc and /sys."""
    try:
        return _why_unwritable(path)
    except OSError as exc:  # a folder on the way that cannot be read
        return exc.strerror or str(exc)


def _why_unwritable(path: Path) -> str | None:
    if path.is_dir():
        return "it is a directory"
    if path.exists():
        if not os.access(path, os.W_OK):
            return "permission denied"
        if path.is_file():  # not a pipe, whose reader an open would end
            with path.open("a"):  # opening says what writing will
                return None
        return None
    if path.parent.is_dir() and not path.is_symlink():  # made and removed: /proc refuses even root
        path.open("x").close()
        path.unlink()
        return None
    folder = path.parent
    while not folder.exists():  # the folders the command would create: the first existing one decides
        folder = folder.parent
    if not folder.is_dir():
        return f"{folder} is not a directory"
    return None if os.access(folder, os.W_OK | os.X_OK) else f"permission denied in {folder}"


def _counted(count: int, one: str, many: str) -> str:
    return f"{count:,} {one if count == 1 else many}"


def named_out(profiles: pd.DataFrame) -> list[str]:
    """The file's columns with a value that are never a feature by their name: a row label, an id, a company's
    name, a column called status (in production, the lead's own status)."""
    return [
        f"{name} ({why})"
        for name in profiles.columns
        if (why := never_a_feature(str(name))) and profiles[name].fillna("").astype(str).str.strip().ne("").any()
    ]


def features_line(plan: ColumnPlan, *, with_activities: bool, by_name: Sequence[str] = ()) -> str:
    """The columns the model is given and the ones left out, with why; behaviour columns only counted."""
    numeric = [name for name in plan.numeric if not is_behaviour(name)]
    from_activities = sum(is_behaviour(name) for name in plan.columns)
    used = len(numeric) + len(plan.dates) + len(plan.categorical)
    line = (
        f"Features: {_counted(used, 'column', 'columns')} ({_counted(len(numeric), 'number', 'numbers')}, "
        f"{_counted(len(plan.dates), 'date', 'dates')}, {_counted(len(plan.categorical), 'category', 'categories')})"
    )
    if with_activities:
        line += f" and {from_activities:,} from activities"
    # An empty custom column never reaches the frame (a lead has no attribute without a value): an empty
    # column here is one of Leadloop's fields the file does not fill, not worth a word.
    left_out = [f"{name} ({why})" for name, why in plan.dropped.items() if not is_behaviour(name) and why != "empty"]
    left_out += list(by_name)
    if left_out:
        more = len(left_out) - MAX_LEFT_OUT_SHOWN
        line += "; left out: " + ", ".join(left_out[:MAX_LEFT_OUT_SHOWN]) + (f" and {more} more" if more > 0 else "")
    return line


def name_positive(column: str, values: Counter[str]) -> str:
    """What the outcome column holds instead of converted / not_converted, and which option reads it."""
    seen = [value if len(value) <= 40 else value[:40] + "…" for value, _ in values.most_common()]
    listed = ", ".join(repr(value) for value in seen[:MAX_VALUES_SHOWN]) + (
        ", ..." if len(seen) > MAX_VALUES_SHOWN else ""
    )
    example = next((value for value in seen if value.strip().casefold() in YES_WORDS), seen[-1])
    return (
        f"{column} holds {listed} ({_counted(len(seen), 'distinct value', 'distinct values')}), "
        f"not converted / not_converted: name the value that means converted with --positive VALUE "
        f"(e.g. --positive {shlex.quote(example)})"
    )


def few_of_one_outcome(*, converted: int, leads: int) -> str | None:
    """A warning when one outcome has so few leads (but enough to run) that the curves are noise."""
    smaller, word = min((converted, "converted"), (leads - converted, "not converted"))
    if not MIN_PER_OUTCOME <= smaller < FEW_PER_OUTCOME:
        return None
    return (
        f"only {smaller} leads {word} (of {leads:,}): each seed's first sample is topped up until it has both "
        f"outcomes, and curves on so few {word} leads vary widely from seed to seed; treat the differences as noise"
    )


def no_lead_matched(activity_lead: str, lead_ids: pd.Index) -> str:
    generated = all(is_row_id(str(lead)) for lead in lead_ids[:100])
    return (
        f"none of the activities' leads is in --csv: the activities name leads such as {activity_lead!r}, "
        f"the leads file's ids are like {lead_ids[0]!r}" + (" (it has no external_id column)" if generated else "")
    )


def result_table(result: BacktestResult) -> str:
    """One row per curve point: labels, then AUC / precision / recall of each strategy."""
    names = list(result.curves)
    header = ["labels", *[f"{name} AUC" for name in names], *[f"{name} P/R" for name in names]]
    rows = [header]
    for i, point in enumerate(result.curves[names[0]]):
        rows.append(
            [
                str(point.labels),
                *[f"{result.curves[name][i].auc:.3f}" for name in names],
                *[f"{result.curves[name][i].precision:.2f}/{result.curves[name][i].recall:.2f}" for name in names],
            ]
        )
    widths = [max(len(row[j]) for row in rows) for j in range(len(header))]
    lines = ["  ".join(cell.rjust(width) for cell, width in zip(row, widths, strict=True)) for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    summary = [f"full-data AUC (all training labels): {result.full_data_auc:.3f}"]
    for name in names:
        reached = result.labels_to_reach(name)
        summary.append(
            f"{name}: mean AUC over the curve {result.mean_auc(name):.3f}; "
            f"95% of full-data AUC {'after ' + str(reached) + ' labels' if reached else 'not reached'}"
        )
    return "\n".join([*lines, "", *summary])


class Command(BaseCommand):
    help = (
        "Backtest: replay the active-learning loop on leads with known outcomes (the outcome column plays the "
        "rep) and compare a strategy with random sampling on a held-out split."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--csv", required=True, help="leads, one per row (the import_leads format, any columns)")
        parser.add_argument("--outcome-column", required=True, help="the column with the known outcome")
        parser.add_argument(
            "--positive", help="the value meaning converted; any other non-empty value is not_converted"
        )
        parser.add_argument(
            "--open-value",
            action="append",
            default=[],
            metavar="VALUE",
            help="a value of the outcome column meaning the lead is still open (e.g. Open; repeat for more): "
            "left out, as an open lead is",
        )
        parser.add_argument("--activities", help="activity events: columns lead, type, occurred_at")
        parser.add_argument("--as-of", help="date the behaviour features are computed at (default: the latest event)")
        parser.add_argument("--initial", type=positive_int, default=20, help="random labels to start from")
        parser.add_argument("--batch", type=positive_int, default=20, help="labels per round")
        parser.add_argument("--rounds", type=positive_int, default=15)
        parser.add_argument("--seeds", type=positive_int, default=3, help="repeats, each with its own split")
        parser.add_argument("--strategy", default=DEFAULT_STRATEGY, help=f"{', '.join(STRATEGIES)} or all")
        parser.add_argument("--exploration", type=_share, default=DEFAULT_EXPLORATION)
        parser.add_argument("--threshold", type=_share, default=0.5, help="hot threshold for precision and recall")
        parser.add_argument(
            "--simulated-reasons",
            type=_share,
            metavar="ACC",
            help="with every label the simulated rep also names a column: the one pushing hardest towards the "
            "outcome with probability ACC (0..1), a random one otherwise; adds the +reasons curves",
        )
        parser.add_argument("--json", required=True, help="where to write the curves")

    def handle(self, *args: Any, **options: Any) -> None:
        strategy = options["strategy"]
        if strategy == "all":
            strategies = [s for s in STRATEGIES if s != "random"]
        elif strategy in STRATEGIES:
            strategies = [strategy]
        else:
            raise CommandError(f"unknown --strategy {strategy!r}; choose one of {', '.join(STRATEGIES)} or all")
        if problem := positive_problem(options["positive"]):
            raise CommandError(f"--positive {problem}")
        if problem := open_value_problem(options["positive"], options["open_value"]):
            raise CommandError(f"--open-value: {problem}")
        path = Path(options["json"])
        if problem := _unwritable(path):
            raise CommandError(f"cannot write --json {path}: {problem}")
        as_of: datetime | None = None
        if options["as_of"]:
            try:
                as_of = parse_when(options["as_of"], name="--as-of")
            except RowInvalid as exc:
                raise CommandError(f"--as-of: {exc.message}") from None

        leads = self._read(
            options["csv"],
            lambda stream: lead_frames_from_csv(
                stream=stream,
                outcome_column=options["outcome_column"],
                positive=options["positive"],
                open_values=options["open_value"],
            ),
        )
        self._renamed(leads.renamed)
        if len(leads.lost_values) > 1:  # a CRM's status column has more than won and lost: say what counts as lost
            self.stdout.write(self._lost(options["outcome_column"], options["positive"], leads.lost_values))
        self._report(leads.errors)
        if options["positive"] is None and leads.outcomes.empty and leads.unreadable:
            self.stderr.write(name_positive(options["outcome_column"], leads.unreadable))
        for count, first in leads.left_out.values():  # as the import warns, once per field
            rows = "row" if count == 1 else "rows"
            self.stderr.write(f"{first.field}: left out of {count:,} {rows}, the lead kept (the first: {first})")
        if leads.unlabeled:
            rows = "row" if leads.unlabeled == 1 else "rows"
            self.stdout.write(f"{leads.unlabeled} {rows} without an outcome left out")
        if options["activities"]:
            renamed: dict[str, str] = {}
            unmatched = Unmatched()
            events, errors = self._read(
                options["activities"],
                lambda stream: activity_frame_from_csv(
                    stream=stream, lead_ids=leads.profiles.index, renamed=renamed, unmatched=unmatched
                ),
            )
            self._renamed(renamed)
            self._report(errors)
            self._warn_on_events(unmatched, events, leads.profiles.index, as_of)
        else:
            events = pd.DataFrame({"lead_id": [], "type": [], "occurred_at": []})
        y = (leads.outcomes == "converted").to_numpy(dtype=int)
        self.stdout.write(f"{len(y)} leads with an outcome, {int(y.sum())} converted; {len(events)} activities")
        if warning := few_of_one_outcome(converted=int(y.sum()), leads=len(y)):
            self.stderr.write(warning)
        frame = feature_frame(leads.profiles, events, as_of=as_of)
        if len(frame):
            plan = infer_plan(frame)
            self.stdout.write(features_line(plan, with_activities=not events.empty, by_name=named_out(leads.profiles)))
        try:
            result = run_backtest(
                frame,
                y,
                strategies=strategies,
                initial=options["initial"],
                batch=options["batch"],
                rounds=options["rounds"],
                seeds=options["seeds"],
                exploration=options["exploration"],
                threshold=options["threshold"],
                simulated_reasons=options["simulated_reasons"],
                progress=(lambda line: self.stdout.write(line)) if options["verbosity"] > 1 else None,
            )
        except BacktestError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(result_table(result))
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(result.as_json(), indent=2))
        except OSError as exc:
            raise CommandError(f"cannot write {path}: {exc.strerror}") from None
        self.stdout.write(f"written to {path}")

    def _read(self, name: str, reader: Any) -> Any:
        try:
            with open(name, "rb") as stream:
                return reader(stream)
        except OSError as exc:
            raise CommandError(f"cannot read {name}: {exc.strerror}") from None
        except CsvFileError as exc:
            raise CommandError(f"{name}: {exc}") from None

    def _warn_on_events(
        self, unmatched: Unmatched, events: pd.DataFrame, lead_ids: pd.Index, as_of: datetime | None
    ) -> None:
        """Say when the activities give the behaviour features nothing: no event's lead is in the leads
        file, or every event is after --as-of."""
        if events.empty and len(lead_ids) and unmatched.first is not None:
            self.stderr.write(no_lead_matched(unmatched.first, lead_ids))
        elif as_of is not None and not events.empty:
            first = pd.to_datetime(events["occurred_at"], utc=True).min()
            if first > pd.Timestamp(as_of):
                self.stderr.write(
                    f"all {len(events):,} activities are after --as-of {as_of:%Y-%m-%d} (the first on "
                    f"{first:%Y-%m-%d}): the behaviour features see none of them"
                )

    def _renamed(self, renamed: dict[str, str]) -> None:
        """Say which columns were read under a known name, as the import says it."""
        if renamed:
            self.stdout.write(f"Columns read under Leadloop's names: {renamed_words(renamed)}")

    @staticmethod
    def _lost(column: str, positive: str, values: LostWords) -> str:
        return (
            f"{column}: besides {positive!r} (converted), {len(values)} values were read as not converted: "
            f"{values.listed()}; if one means the lead is still open, name it with --open-value VALUE"
        )

    def _report(self, errors: list[Any]) -> None:
        for error in errors[:MAX_ERRORS_SHOWN]:
            self.stderr.write(f"skipped {error}")
        if len(errors) > MAX_ERRORS_SHOWN:
            self.stderr.write(f"... and {len(errors) - MAX_ERRORS_SHOWN} more rows skipped")
