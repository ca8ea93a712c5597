"""Reads about the why: the lead fields the model knows, which field each explanation line names,
what the reasons bought the active model, and the candidate reasons hidden in the notes."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.cache import cache

from config.rates import Z_95
from feedback.models import Reason
from feedback.selectors import reasons, unexplained_notes
from leads.models import PROFILE_FIELDS
from leads.selectors import activity_type_names, attribute_names
from learning.core.explain import column_of_line
from learning.core.features import IGNORED
from learning.core.fields import field_of, field_words, known_fields
from learning.core.notes import NoteGroup, note_groups
from learning.selectors import active_model, point_rules

# The behaviour columns every feature frame has, whatever the activity types.
GROUP_COLUMNS = ["act_total", "act_last_30d", "act_days_since_last", "act_active_days", "lead_age_days"]
NOTES_READ = 2000  # candidate reasons read at most this many notes, the newest
QUALITY_KEYS = [("roc_auc", "ROC AUC", True), ("precision", "precision", True), ("recall", "recall", True)]
QUALITY_KEYS += [("accuracy", "accuracy", True), ("brier", "Brier score (lower is better)", False)]
SHOWN_PLACES = 3  # the metrics are shown to three decimals (floatformat:3)


def feature_columns() -> list[str]:
    """The feature columns the model sees: the active model's; before the first model, those the
    profile fields, the custom attributes, the activity types and the cold-start rules give."""
    model = active_model()
    if model is not None and model.features:
        return [str(column) for column in model.features]
    rules = point_rules()
    profile = [name for name in PROFILE_FIELDS if name not in IGNORED and name != "created_at"]
    rule_fields = [rule.field for rule in rules.profile_rules]
    types = dict.fromkeys([*activity_type_names(), *rules.activity_points])
    return [*profile, *rule_fields, *attribute_names(), *(f"count__{kind}" for kind in types), *GROUP_COLUMNS]


def known_lead_fields() -> list[str]:
    """Every lead field the model knows, in its columns' order: what reasons and reps may point at."""
    return known_fields(feature_columns())


@dataclass(frozen=True)
class Mark:
    """An explanation line a rep can mark as the real reason, and the field it names."""

    key: int  # its shortcut: Shift + key
    line: str
    field: str
    words: str
    together: tuple[int, ...] = ()  # the other lines about the same field: marking one marks them too

    @property
    def up(self) -> bool:
        return self.line.startswith("▲")


def explanation_marks(*, lines: list[str] | None) -> list[Mark]:
    """The lines of an explanation that name a field the model knows, numbered from 1."""
    columns = feature_columns() if lines else []
    known = set(known_fields(columns))
    marks: list[Mark] = []
    for line in lines or []:
        column = column_of_line(line, columns)
        if column is None:
            continue
        field = field_of(column)
        if field in known:
            marks.append(Mark(key=len(marks) + 1, line=line, field=field, words=field_words(field)))
    marks = marks[:9]
    return [
        replace(mark, together=tuple(other.key for other in marks if other.field == mark.field and other is not mark))
        for mark in marks
    ]


def field_choices() -> list[tuple[str, str]]:
    """(field, plain words) for every field the model knows: what an admin picks a reason's fields from."""
    return [(name, field_words(name)) for name in known_lead_fields()]


def shown(value: float, places: int = SHOWN_PLACES) -> float:
    """``value`` as the page shows it: rounded half up from its decimal form, as ``floatformat`` does."""
    return float(Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def _verdict(gain: float, error: float | None) -> str:
    """How a difference reads: within 1.96 standard errors (its 95% interval holds 0) it is a tie,
    whichever way it leans, as the dashboards' "clearly ahead" reads two reasons' shares. Without a
    standard error (a version trained before they were recorded) by its sign alone."""
    if error is not None and (gain != 0 or error != 0) and abs(gain) <= Z_95 * error:
        return "no clear difference"
    return "better" if gain > 0 else "worse" if gain < 0 else "same"


def why_bought(metrics: dict[str, Any] | None) -> dict[str, Any]:
    """What the why bought the active model: its held-out metrics with and without the reasons
    (an ablation fit), each difference with its standard error when the version recorded one, and
    per reason its trust, the weight its rows carry now (trust times the strength the held-out
    outcomes chose) and the fields it points at with theirs.
    ``measured`` is False while the model's metrics hold no ablation."""
    metrics = metrics or {}
    without = metrics.get("without_reasons")
    errors = metrics.get("reasons_difference_se")
    errors = errors if isinstance(errors, dict) else {}
    trust = metrics.get("reason_trust") or {}
    counts = metrics.get("reason_labels")
    counts = counts if isinstance(counts, dict) else {}
    weights = metrics.get("field_weights") or {}
    strength = metrics.get("reason_strength")
    strength = float(strength) if isinstance(strength, int | float) else None
    rows = []
    if isinstance(without, dict):
        for key, name, higher_is_better in QUALITY_KEYS:
            with_, without_ = metrics.get(key), without.get(key)
            if isinstance(with_, int | float) and isinstance(without_, int | float):
                # The difference of the values shown, so that the row adds up as read (0.756 vs 0.749: +0.007).
                with_shown, without_shown = shown(with_), shown(without_)
                gain = with_shown - without_shown if higher_is_better else without_shown - with_shown
                gain = round(gain, SHOWN_PLACES)
                error = errors.get(key)
                error = shown(error) if isinstance(error, int | float) else None  # compared as shown, too
                verdict = _verdict(gain, error)
                direction = {"better": "up", "worse": "down"}.get(verdict, "")
                rows.append(
                    {
                        "key": key,
                        "name": name,
                        "with": with_,
                        "without": without_,
                        "gain": gain,
                        "se": error,
                        "verdict": verdict,
                        "direction": direction,
                    }
                )
    per_reason = [
        {
            "reason": reason,
            "trust": trust.get(reason.code),
            "labels": counts.get(reason.code, 0) if counts else None,  # None: a version trained before it was kept
            "weight": trust[reason.code] * strength if reason.code in trust and strength is not None else None,
            "fields": [(name, field_words(name), weights.get(name)) for name in reason.fields],
        }
        for reason in reasons()
    ]
    return {
        "measured": bool(rows),
        "metrics": rows,
        "with_errors": any(row["se"] is not None for row in rows),
        "trust_measured": bool(trust) or bool(weights),
        "strength": strength,
        "reasons": per_reason,
    }


def candidate_reasons(*, limit: int = NOTES_READ) -> list[NoteGroup]:
    """Groups of notes no reason fits, offered as new reasons (``members``: their labels' ids); a
    group whose suggested code is already a reason is left out. Reads at most ``limit`` notes; the
    grouping is cached per set of notes, so a page view costs one small query until a note arrives."""
    rows = unexplained_notes(limit=limit)
    if not rows:
        return []
    digest = hashlib.sha1(",".join(str(label_id) for label_id, _, _ in rows).encode()).hexdigest()
    groups = cache.get_or_set(
        f"why:note-groups:v3:{digest}",
        lambda: note_groups(
            [note for _, note, _ in rows],
            [outcome for _, _, outcome in rows],
            keys=[label_id for label_id, _, _ in rows],
        ),
        timeout=24 * 3600,
    )
    taken = set(Reason.objects.values_list("code", flat=True))
    return [group for group in groups or () if group.code not in taken]
