"""The reason matrix: an outcome's reasons x a segment, for a period, with counts and weighted shares."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from django.db.models import F

from config.rates import Rate, clearly_ahead
from feedback.dashboards.filters import (
    NO_REASON,
    NO_VALUE,
    OUTCOME_WORDS,
    SCORE_BANDS,
    SEGMENTS,
    LabelFilters,
    Tally,
    band_words,
    grouped_tallies,
    labels_filtered,
    rate_of,
)
from feedback.models import Reason


@dataclass
class MatrixCell:
    reason: str  # code, or NO_VALUE
    n: int
    share: Rate  # of the row's labels with this outcome (weighted)
    query: str


@dataclass
class MatrixRow:
    key: str
    label: str
    labels: int  # every label of the row, both outcomes
    outcome_rate: Rate  # the row's share of this outcome (weighted): its loss or win rate
    cells: list[MatrixCell]
    query: str

    @property
    def count(self) -> int:
        return self.outcome_rate.hits


@dataclass
class ReasonMatrix:
    outcome: str
    segment: str
    reasons: list[tuple[str, str]]  # (code, name) in taxonomy order: the active reasons, retired ones with labels
    rows: list[MatrixRow]
    total: MatrixRow
    hidden_rows: int = 0  # segments beyond the limit

    @property
    def outcome_word(self) -> str:
        return OUTCOME_WORDS.get(self.outcome, self.outcome)


def _segment_label(segment: str, key: str) -> str:
    if segment == "band":
        return band_words(key)
    if segment == "rep" and key == NO_VALUE:
        return "imported (no rep)"
    return "(none)" if key == NO_VALUE else key


def segment_phrase(segment: str, key: str) -> str:
    """Where a row is, as the end of a sentence: 'in retail', 'for rep sam', 'at score 80-100%'."""
    if key == NO_VALUE:
        unknown = {"rep": "among imported labels (no rep)", "band": "with no score seen"}
        return unknown.get(segment, f"with no {segment}")
    if segment == "band":
        return f"at {band_words(key)}"
    if segment == "rep":
        return f"for rep {key}"
    if segment == "source":
        return f"from source {key}"
    return f"in {key}"


def _segment_filters(base: LabelFilters, segment: str, key: str) -> LabelFilters:
    value: dict[str, Any] = {segment: key}  # a text field of LabelFilters (a SEGMENTS key)
    return replace(base, **value)


def reason_matrix(*, filters: LabelFilters, outcome: str, segment: str, limit: int = 12) -> ReasonMatrix:
    """How the labels of ``outcome`` split by reason within each value of ``segment``.

    Rows are the segment's values with the most labels of that outcome (at most ``limit``);
    ``total`` is every row together. Each cell drills down to its labels, the filters carried.
    """
    if segment not in SEGMENTS:
        raise ValueError(f"unknown segment {segment!r}")
    base = replace(filters, outcome="", reason="")
    labels = labels_filtered(filters=base)
    keys = {"bucket": F(SEGMENTS[segment]), "o": F("outcome"), "r": F("reason__code")}
    grouped, scale = grouped_tallies(labels, keys)
    per_row: dict[str, dict[str, Tally]] = {}
    row_all: dict[str, Tally] = {}
    for key_values, tally in grouped:
        bucket = key_values["bucket"] or NO_VALUE
        row_all.setdefault(bucket, Tally()).add(tally)
        if key_values["o"] == outcome:
            per_row.setdefault(bucket, {}).setdefault(key_values["r"] or NO_VALUE, Tally()).add(tally)
    # Every active reason has a column (an empty one says nobody picked it); a retired one only when
    # labels of the period carry it, named as retired (an active reason may have taken its wording).
    used = {code for cells in per_row.values() for code in cells}
    reasons = [(r.code, r.shown_label) for r in Reason.objects.filter(outcome=outcome) if r.active or r.code in used]
    codes = [code for code, _ in reasons]
    if any(NO_VALUE in cells for cells in per_row.values()):
        reasons.append((NO_VALUE, NO_REASON))
        codes.append(NO_VALUE)

    def build(key: str, label: str, cells: dict[str, Tally], everything: Tally, row_filters: LabelFilters) -> MatrixRow:
        outcome_tally = Tally()
        for tally in cells.values():
            outcome_tally.add(tally)
        return MatrixRow(
            key=key,
            label=label,
            labels=everything.n,
            outcome_rate=rate_of(outcome_tally, everything, scale),
            cells=[
                MatrixCell(
                    reason=code,
                    n=cells.get(code, Tally()).n,
                    share=rate_of(cells.get(code, Tally()), outcome_tally, scale),
                    query=replace(row_filters, outcome=outcome, reason=code).query(),
                )
                for code in codes
            ],
            query=replace(row_filters, outcome=outcome).query(),
        )

    ordered = sorted(row_all, key=lambda k: (-sum(t.n for t in per_row.get(k, {}).values()), -row_all[k].n, k))
    if segment == "band":
        ordered = [code for code, _, _ in SCORE_BANDS if code in row_all] + ([NO_VALUE] if NO_VALUE in row_all else [])
    rows = [
        build(k, _segment_label(segment, k), per_row.get(k, {}), row_all[k], _segment_filters(base, segment, k))
        for k in ordered[:limit]
    ]
    all_cells: dict[str, Tally] = {}
    everything = Tally()
    for cells in per_row.values():
        for code, tally in cells.items():
            all_cells.setdefault(code, Tally()).add(tally)
    for tally in row_all.values():
        everything.add(tally)
    total = build("", "All", all_cells, everything, base)
    return ReasonMatrix(outcome, segment, reasons, rows, total, hidden_rows=max(0, len(ordered) - limit))


def matrix_headline(matrix: ReasonMatrix) -> dict[str, Any] | None:
    """The answer in one sentence's worth of numbers: the top reason overall, the segment where most
    of its deals are (``top_where``), and the biggest cell;
    ``close``, the next reason when the top one is not clearly ahead of it (``clearly_ahead``).

    "Why" is answered by reasons given: labels without one (imported outcomes carry none) are
    counted apart (``no_reason_n``), never named the top reason or the biggest spot.
    """
    total = matrix.total
    if not total.count:
        return None
    names = dict(matrix.reasons)
    given = [cell for cell in total.cells if cell.reason != NO_VALUE and cell.n]
    # By weighted share, as the table's All row ranks them (raw counts favour what the queue asked
    # about most); then by count; on a tie, the first in taxonomy order.
    ranked = sorted(given, key=lambda c: (c.share.value or 0.0, c.n), reverse=True)
    top = ranked[0] if ranked else None
    # The runner-up, when the top reason is not ahead of it beyond chance (8 and 8 of 37 lost deals).
    close = ranked[1] if len(ranked) > 1 and not clearly_ahead(ranked[0].share, ranked[1].share) else None
    none = next((cell for cell in total.cells if cell.reason == NO_VALUE), None)
    candidates = [(row, cell) for row in matrix.rows for cell in row.cells if cell.reason != NO_VALUE and cell.n]
    row, cell = max(candidates, key=lambda rc: (rc[1].n, rc[1].share.value or 0), default=(None, None))
    # Where the top reason gathers: the segment with the most of its deals (segments with several).
    gathered = sorted(
        ((r, c) for r in matrix.rows for c in r.cells if top and c.reason == top.reason and c.n),
        key=lambda rc: rc[1].n,
        reverse=True,
    )
    top_row, top_cell = gathered[0] if gathered else (None, None)
    # One segment only, a single deal or a tie has no "the most"; the biggest single spot may say it already.
    if len(gathered) < 2 or gathered[0][1].n < 2 or gathered[0][1].n == gathered[1][1].n or top_cell is cell:
        top_row, top_cell = None, None
    return {
        "count": total.count,
        "labels": total.labels,
        "rate": total.outcome_rate,
        "top_reason": names[top.reason] if top else "",
        "top_share": top.share if top else None,
        "top_n": top.n if top else 0,
        "top_query": top.query if top else "",
        "top_cell": top_cell,
        "top_where": segment_phrase(matrix.segment, top_row.key) if top_row else "",
        "close": close,
        "close_reason": names[close.reason] if close else "",
        "no_reason_n": none.n if none else 0,
        "no_reason_query": none.query if none else "",
        "row": row,
        "cell": cell,
        "cell_reason": names[cell.reason] if cell else "",
        "where": segment_phrase(matrix.segment, row.key) if row else "",
    }
