"""Writes to leads and activity: imports (CSV and API share one path) and score write-back."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from itertools import islice
from typing import IO, Any, Literal

from django.contrib.auth.models import AnonymousUser, User
from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone

from config.audit import audit_record
from config.dbstats import analyze_if_stale
from config.site import currency
from leads.csvfile import SHORT_ROW, read_rows, renamed_words
from leads.models import BLOCK_SIZE, PROFILE_FIELDS, Activity, Lead, LeadBlock, ScoreEvent
from leads.parsing import (
    ACTIVITY_COLUMN_ALIASES,
    KNOWN_LEAD_COLUMNS,
    LEAD_COLUMN_ALIASES,
    NOT_A_DATE,
    ActivityRow,
    LeadRow,
    LostWords,
    RowError,
    RowInvalid,
    parse_activity_row,
    parse_lead_row,
)
from leads.selectors import ACTIVITY_TYPES_CACHE_KEY, ATTRIBUTES_CACHE_KEY, FACETS_CACHE_KEY
from leads.signals import OutcomesTaken, leads_imported, outcomes_imported, outcomes_withdrawn

CHUNK_ROWS = 5000
# The temporary table an import's chunk is copied into, column by type: its DDL and the COPY's types.
_PROFILE_TYPES = {name: "text" for name in PROFILE_FIELDS} | {
    "employees": "int4",
    "created_at": "timestamptz",
    "deal_value": "float8",
}
LOAD_COLUMNS = {
    "external_id": "text",
    **{name: _PROFILE_TYPES[name] for name in PROFILE_FIELDS},
    "attributes": "jsonb",
    "kept": "text[]",
    "dropped": "text[]",
}
UPSERT_LOCK = 0x1EAD_10AD  # the PostgreSQL advisory lock that lets one lead upsert run at a time
MAX_AUDITED_NAME = 200  # characters of an imported file's name kept in the audit log
FUTURE_SLACK = timedelta(days=1)  # an event dated up to this far ahead is kept (time zones, clocks a little off)


@dataclass
class ImportResult:
    imported: int = 0
    labels: int = 0
    rejected: int = 0
    errors: list[RowError] = field(default_factory=list)  # rows left out
    warnings: list[RowError] = field(default_factory=list)  # values left out of rows that came in
    reopened: int = 0  # leads: an imported outcome withdrawn because the file now says the lead is open
    notices: list[str] = field(default_factory=list)  # about the file as a whole, not one row
    # Activities: valid events already stored (or repeated in the import), skipped and not in ``imported``.
    # None for leads, which an import updates.
    duplicates: int | None = None

    @property
    def summary(self) -> str:
        counts = f"imported={self.imported} labels={self.labels} rejected={self.rejected} warnings={len(self.warnings)}"
        return counts if self.duplicates is None else f"{counts} duplicates={self.duplicates}"

    @property
    def succeeded(self) -> bool:
        """Something came in, or every row was an event stored already (a file imported again); a
        rejected row with nothing new is a failure."""
        return self.imported > 0 or (bool(self.duplicates) and not self.rejected)

    @property
    def problems(self) -> list[RowError]:
        """Rejections and warnings in row order, as the import commands print them."""
        return sorted([*self.errors, *self.warnings], key=lambda problem: problem.row)

    def reject(self, error: RowError) -> None:
        self.rejected += 1
        self.errors.append(error)


def _chunks(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _validated_leads(
    rows: Iterable[tuple[int, dict[str, Any]]],
    result: ImportResult,
    *,
    outcome_column: str | None,
    positive: str | None,
    outcome_date_column: str | None,
    open_values: Collection[str] = (),
    unit: str = "row",
    missing_words: bool = False,
) -> Iterator[LeadRow]:
    first_seen: dict[str, int] = {}
    latest = timezone.now() + FUTURE_SLACK
    team_currency = ""  # read at the first row: an amount marked as another currency is not the team's money
    lost_words = LostWords()  # with ``positive``: the values read as not converted
    for number, values in rows:
        if "__error__" in values:
            result.reject(RowError(number, "row", values["__error__"]))
            continue
        if short := values.pop(SHORT_ROW, None):
            result.warnings.append(RowError(number, "row", short))
        team_currency = team_currency or currency()
        try:
            row = parse_lead_row(
                values,
                outcome_column=outcome_column,
                positive=positive,
                outcome_date_column=outcome_date_column,
                latest=latest,
                open_values=open_values,
                missing_words=missing_words,
                currency=team_currency,
            )
        except RowInvalid as exc:
            result.reject(RowError(number, exc.field, exc.message))
            continue
        if row.external_id in first_seen:
            result.reject(
                RowError(
                    number,
                    "external_id",
                    f"{row.external_id!r} already appears on {unit} {first_seen[row.external_id]} (the first is kept)",
                )
            )
            continue
        first_seen[row.external_id] = number
        result.warnings += [RowError(number, name, message) for name, message in row.warnings]
        if positive is not None and outcome_column is not None and row.outcome == "not_converted":
            lost_words.add(values.get(outcome_column))
        yield row
    if len(lost_words) > 1:  # a CRM's status column has more than won and lost: say what became a loss
        result.notices.append(f"{outcome_column}: {_lost_words_notice(positive, lost_words)}")


DATES_NOTED = 10  # this many unreadable dates in one column earn a line of their own


def _note_dates(result: ImportResult) -> None:
    """A column whose dates are in another format (a CRM's 03/14/2026) gives one problem per row;
    say once what they have in common and what to do."""
    unreadable = Counter(p.field for p in [*result.errors, *result.warnings] if p.message.startswith(NOT_A_DATE))
    for column, count in sorted(unreadable.items()):
        if count >= DATES_NOTED:
            result.notices.append(
                f"{column}: {count:,} values are not dates Leadloop reads. Dates are ISO: 2026-03-14, or "
                "2026-03-14T09:30:00+01:00; a date such as 03/04/2026 reads two ways (March 4 or 3 April), "
                "so convert the column and import the file again."
            )


def _lost_words_notice(positive: str | None, words: LostWords) -> str:
    return (
        f"besides {positive!r} (converted), {len(words)} values were imported as not converted: {words.listed()}. "
        "If one means the lead is still open, name it as an open value (--open-value on the command line, "
        "'Values that mean still open' on the upload page, open_values in the API) and import the file again: "
        "those leads are reopened and their imported outcome withdrawn."
    )


def leads_upsert(*, rows: Sequence[LeadRow]) -> dict[str, int]:
    """Insert or update leads by external_id; returns their ids by external_id. An update sets the
    fields a row gives and keeps the others as stored (``LeadRow.kept``); its attributes are merged
    into the stored ones, and one it names empty is removed (``LeadRow.dropped``)."""
    # A new industry or source shows up in the list's filters at once, and a new column among the
    # fields a rep may mark, whichever path writes.
    cache.delete_many([FACETS_CACHE_KEY, ATTRIBUTES_CACHE_KEY])
    if connection.vendor == "postgresql":
        return _leads_upsert_copy(rows)
    now = timezone.now()
    stored = {
        lead.external_id: lead
        for lead in Lead.objects.filter(external_id__in=[row.external_id for row in rows]).only(
            "external_id", "attributes", *PROFILE_FIELDS
        )
    }
    objects = []
    for row in rows:
        profile, attributes = row.profile, row.attributes
        if (old := stored.get(row.external_id)) is not None:
            profile = {name: getattr(old, name) if name in row.kept else profile[name] for name in PROFILE_FIELDS}
            had = old.attributes if isinstance(old.attributes, dict) else {}
            attributes = {**{k: v for k, v in had.items() if k not in row.dropped}, **attributes}
        objects.append(Lead(external_id=row.external_id, attributes=attributes, updated_at=now, **profile))
    Lead.objects.bulk_create(
        objects,
        batch_size=1000,
        update_conflicts=True,
        unique_fields=["external_id"],
        update_fields=[*PROFILE_FIELDS, "attributes", "updated_at"],
    )
    ids = dict(Lead.objects.filter(external_id__in=[row.external_id for row in rows]).values_list("external_id", "id"))
    lead_blocks_touch(lead_ids=ids.values())
    return ids


def _leads_upsert_copy(rows: Sequence[LeadRow]) -> dict[str, int]:
    """PostgreSQL: COPY the chunk into a temporary table, fill in what an update keeps from the stored
    leads, then one INSERT … ON CONFLICT DO UPDATE (Django's bulk_create spends most of its time
    building SQL; this is ~10x faster)."""
    table = Lead._meta.db_table
    columns = ["external_id", *PROFILE_FIELDS, "attributes"]
    with connection.cursor() as cursor:
        typed = ", ".join(f"{name} {kind}" for name, kind in LOAD_COLUMNS.items())
        cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS lead_load ({typed}) ON COMMIT DELETE ROWS")
        cursor.execute("TRUNCATE lead_load")
        with cursor.cursor.copy(f"COPY lead_load ({', '.join(LOAD_COLUMNS)}) FROM STDIN") as copy:
            # The columns' types given once: psycopg then does not work out each value's (for the two
            # arrays that was ~10 s of a 1,000,000-lead import). An empty array goes as NULL, and so do
            # the dropped names the chunk's first row has (every row drops the outcome's columns): the
            # fill reads them from `shared` (an array per row cost ~0.4 s of a 300,000-lead import).
            copy.set_types(list(LOAD_COLUMNS.values()))
            shared = rows[0].dropped if rows else ()
            for row in rows:
                profile = row.profile
                copy.write_row(
                    [
                        row.external_id,
                        *(profile[name] for name in PROFILE_FIELDS),
                        row.attributes,  # the jsonb dumper writes it as JSON
                        sorted(row.kept) or None,
                        None if row.dropped == shared else list(row.dropped),
                    ]
                )
        fills = ", ".join(
            f"{name} = CASE WHEN '{name}' = ANY(new.kept) THEN old.{name} ELSE new.{name} END"
            for name in PROFILE_FIELDS
        )
        # One upsert at a time, to the end of this chunk's transaction: a concurrent import must not
        # change a kept field between this fill and the upsert, which would write it back. One lock,
        # not a row lock per stored lead (those cost 11% of a 100,000-lead re-import).
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [UPSERT_LOCK])
        stored = "CASE WHEN jsonb_typeof(old.attributes) = 'object' THEN old.attributes ELSE '{}'::jsonb END"
        # The stored leads are looked up by the chunk's ids through the unique index (`= ANY` of the
        # load table's ids): joined on the column alone, the planner hashed the whole leads table for
        # every chunk once the never-analysed load table looked big enough (45 ms a chunk at 300,000
        # leads and growing with the table: 2.7 s of a first 300,000-lead import, 0.4 s this way).
        cursor.execute(
            f"UPDATE lead_load AS new SET {fills}, "
            f"attributes = ({stored} - COALESCE(new.dropped, %s::text[])) || new.attributes "
            f"FROM {table} AS old WHERE old.external_id = new.external_id "
            "AND old.external_id = ANY(ARRAY(SELECT external_id FROM lead_load))",
            [list(shared)],
        )
        updates = ", ".join(f"{name} = EXCLUDED.{name}" for name in [*PROFILE_FIELDS, "attributes", "updated_at"])
        cursor.execute(
            f"INSERT INTO {table} ({', '.join(columns)}, status, imported_at, updated_at) "
            f"SELECT {', '.join(columns)}, 'open', now(), now() FROM lead_load "
            f"ON CONFLICT (external_id) DO UPDATE SET {updates} RETURNING external_id, id"
        )
        ids = dict(cursor.fetchall())
    lead_blocks_touch(lead_ids=ids.values())
    return ids


def import_leads(
    *,
    rows: Iterable[tuple[int, dict[str, Any]]],
    outcome_column: str | None = None,
    positive: str | None = None,
    outcome_date_column: str | None = None,
    open_values: Collection[str] = (),
    unit: str = "row",
    missing_words: bool = False,
) -> ImportResult:
    """Import numbered rows (from a CSV or the API). A row without a usable external_id is
    rejected; an invalid optional value is left out with a warning, and its lead comes in. A row
    whose outcome is one of ``open_values`` leaves its lead open, and withdraws an outcome an
    earlier import gave it (never a rep's label)."""
    result = ImportResult()
    validated = _validated_leads(
        rows,
        result,
        outcome_column=outcome_column,
        positive=positive,
        outcome_date_column=outcome_date_column,
        open_values=open_values,
        unit=unit,
        missing_words=missing_words,
    )
    overruled = 0
    for chunk in _chunks(validated, CHUNK_ROWS):
        with transaction.atomic():
            ids = leads_upsert(rows=chunk)
            if still_open := [ids[row.external_id] for row in chunk if row.still_open]:
                replies = outcomes_withdrawn.send(sender=ImportResult, lead_ids=still_open)
                result.reopened += sum(int(count) for _, count in replies)  # type: ignore[misc,arg-type]
            outcomes = {ids[row.external_id]: row.outcome for row in chunk if row.outcome}
            if outcomes:  # the feedback app records them as labels (see feedback/apps.py)
                dates = {ids[row.external_id]: row.outcome_at for row in chunk if row.outcome and row.outcome_at}
                replies = outcomes_imported.send(sender=ImportResult, outcomes=outcomes, outcome_dates=dates)
                # Signal.send's stub types every reply as str | None; this signal's receivers return OutcomesTaken.
                taken = [OutcomesTaken(*reply) for _, reply in replies]  # type: ignore[misc]
                result.labels += sum(reply.recorded for reply in taken)
                overruled += sum(reply.overruled for reply in taken)
        result.imported += len(chunk)
    if overruled:
        result.notices.append(
            f"{outcome_column}: {overruled:,} outcome{'s' if overruled != 1 else ''} left out: a rep labeled "
            f"{'those leads' if overruled != 1 else 'that lead'} otherwise, and a rep's label stands "
            "(an import never overwrites it)."
        )
    _note_dates(result)
    analyze_if_stale([Lead])
    return result


def import_leads_csv(
    *,
    stream: IO[bytes],
    outcome_column: str | None = None,
    positive: str | None = None,
    outcome_date_column: str | None = None,
    open_values: Collection[str] = (),
) -> ImportResult:
    required = tuple(name for name in ("external_id", outcome_column, outcome_date_column) if name)
    renamed: dict[str, str] = {}
    rows = read_rows(stream, required=required, known=KNOWN_LEAD_COLUMNS, aliases=LEAD_COLUMN_ALIASES, renamed=renamed)
    result = import_leads(
        # A column read under a known name ("Amount") is no custom attribute any more: one an earlier
        # import stored under that name is removed (an empty value under the old name drops it).
        rows=((number, {**dict.fromkeys(renamed, ""), **values} if renamed else values) for number, values in rows),
        outcome_column=outcome_column,
        positive=positive,
        outcome_date_column=outcome_date_column,
        open_values=open_values,
        missing_words=True,  # a file's "NA" is an empty cell
    )
    _note_renamed(result, renamed)
    return result


def _note_renamed(result: ImportResult, renamed: dict[str, str]) -> None:
    """Say which columns were read under a known name the file does not use ("Lead ID" as external_id)."""
    if renamed:
        result.notices.insert(
            0,
            f"Columns read under Leadloop's names: {renamed_words(renamed)} "
            "(to keep one as a custom attribute, rename it).",
        )


def activities_insert(*, rows: Sequence[ActivityRow], lead_ids: dict[str, int]) -> int:
    """Insert events; an event already stored (same lead, type and time) is left as it is. Returns
    how many were new."""
    if connection.vendor == "postgresql":
        table = Activity._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                "CREATE TEMP TABLE IF NOT EXISTS activity_load (lead_id bigint, type text, occurred_at timestamptz) "
                "ON COMMIT DELETE ROWS"
            )
            cursor.execute("TRUNCATE activity_load")
            with cursor.cursor.copy("COPY activity_load (lead_id, type, occurred_at) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row((lead_ids[row.lead], row.type, row.occurred_at))
            cursor.execute(
                f"INSERT INTO {table} (lead_id, type, occurred_at) SELECT lead_id, type, occurred_at "
                "FROM activity_load ON CONFLICT DO NOTHING"
            )
            inserted = int(cursor.rowcount)  # the rows ON CONFLICT DO NOTHING did insert
    else:
        # bulk_create does not say which rows it ignored: count the leads' events before and after.
        touched = Activity.objects.filter(lead_id__in={lead_ids[row.lead] for row in rows})
        before = touched.count()
        objects = [Activity(lead_id=lead_ids[row.lead], type=row.type, occurred_at=row.occurred_at) for row in rows]
        Activity.objects.bulk_create(objects, batch_size=2000, ignore_conflicts=True)
        inserted = touched.count() - before
    cache.delete(ACTIVITY_TYPES_CACHE_KEY)  # a new kind of event is a field a rep may mark at once
    lead_blocks_touch(lead_ids={lead_ids[row.lead] for row in rows})
    return inserted


def lead_blocks_touch(*, lead_ids: Iterable[int]) -> None:
    """Give every block holding one of these leads a new token: their cached features are stale."""
    numbers = sorted({int(lead_id) // BLOCK_SIZE for lead_id in lead_ids})
    if not numbers:
        return
    token = uuid.uuid4().hex
    LeadBlock.objects.bulk_create(
        [LeadBlock(number=number, token=token) for number in numbers],
        update_conflicts=True,
        unique_fields=["number"],
        update_fields=["token"],
    )


def import_activities(
    *, rows: Iterable[tuple[int, dict[str, Any]]], known_types: Collection[str] | None = None
) -> ImportResult:
    """Insert numbered events (from a CSV or the API); a bad row, an unknown lead or an event dated
    more than a day ahead (a clock or a typo: it would read as recent activity for years) is rejected.
    ``imported`` counts the new events, ``duplicates`` the ones already stored. ``known_types``: the
    activity types the model has learned from (the caller reads them); the first row of a type not
    among them gets a warning naming it, since a typo would become a kind of activity of its own."""
    result = ImportResult(duplicates=0)
    latest = timezone.now() + FUTURE_SLACK
    parsed: list[tuple[int, ActivityRow]] = []
    for number, values in rows:
        if "__error__" in values:
            result.reject(RowError(number, "row", values["__error__"]))
            continue
        try:
            parsed.append((number, parse_activity_row(values, latest=latest)))
        except RowInvalid as exc:
            result.reject(RowError(number, exc.field, exc.message))
    for chunk in _chunks(parsed, CHUNK_ROWS):
        wanted = {row.lead for _, row in chunk}
        lead_ids = dict(Lead.objects.filter(external_id__in=wanted).values_list("external_id", "id"))
        good: list[ActivityRow] = []
        for number, row in chunk:
            if row.lead in lead_ids:
                good.append(row)
            else:
                result.reject(RowError(number, "lead", f"no lead with external_id {row.lead!r}"))
        with transaction.atomic():
            inserted = activities_insert(rows=good, lead_ids=lead_ids)
        result.imported += inserted
        result.duplicates = (result.duplicates or 0) + len(good) - inserted
    result.errors.sort(key=lambda error: error.row)  # unknown leads are found after the bad rows: row order
    if known_types:
        rejected = {error.row for error in result.errors}
        kept = [(number, row) for number, row in parsed if number not in rejected]
        result.warnings += _new_type_warnings(kept, known=set(known_types))
    _note_dates(result)
    analyze_if_stale([Activity])
    return result


def _new_type_warnings(parsed: list[tuple[int, ActivityRow]], *, known: set[str]) -> list[RowError]:
    """One warning per activity type the model has not learned from, on its first row."""
    rows: dict[str, list[int]] = {}
    for number, row in parsed:
        if row.type not in known:
            rows.setdefault(row.type, []).append(number)
    names = ", ".join(sorted(known)[:6]) + (", …" if len(known) > 6 else "")
    return [
        RowError(
            numbers[0],
            "type",
            f"{kind[:50]!r} is new to the model (it knows {names})"
            + (f", on this row and {len(numbers) - 1} more" if len(numbers) > 1 else "")
            + ": if it is a typo, correct it and import again",
        )
        for kind, numbers in rows.items()
    ]


ImportKind = Literal["leads", "activities"]


def import_finish(
    *, result: ImportResult, kind: ImportKind, by: User | AnonymousUser | None, source: str, file_name: str
) -> None:
    """What every import does once its rows are stored: one audit entry (who: ``by``, None from the
    command line, whose ``source`` names the command; where from: the upload page, the API,
    ``manage.py import_…``; the file's name, "API" for the API; the counts), then the news to the
    apps above that rows came in (the learning app rescores; nothing is sent when nothing came in)."""
    counts: dict[str, Any] = {
        "imported": result.imported,
        "labels": result.labels,
        "rejected": result.rejected,
        "warnings": len(result.warnings),
    }
    if result.duplicates is not None:
        counts["duplicates"] = result.duplicates
    audit_record(
        user=by,
        action=f"import.{kind}",
        target=f"{kind} from {file_name}",
        changes={"source": source, "file": file_name[:MAX_AUDITED_NAME], **counts},
    )
    if result.imported:
        leads_imported.send(sender=ImportResult, results=[result], kind=kind)


def import_activities_csv(*, stream: IO[bytes], known_types: Collection[str] | None = None) -> ImportResult:
    columns = ("lead", "type", "occurred_at")
    renamed: dict[str, str] = {}
    rows = read_rows(stream, required=columns, known=columns, aliases=ACTIVITY_COLUMN_ALIASES, renamed=renamed)
    result = import_activities(rows=rows, known_types=known_types)
    _note_renamed(result, renamed)
    return result


def score_event_record(*, lead: Lead, cause: str, user: Any = None, outcome: str = "", reason: str = "") -> ScoreEvent:
    """One history row for a human action on a lead (a label or its undo), with the score at that moment."""
    return ScoreEvent.objects.create(
        lead=lead,
        cause=cause,
        score=lead.score,
        model_version=lead.model_version,
        outcome=outcome,
        reason=reason,
        user=user,
        recorded_at=timezone.now(),
    )
