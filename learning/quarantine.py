"""One unreadable lead never stops the loop: it is found, quarantined (lead and field) and left out
of training and scoring, and the loop learns from the rest.

Features are read in bulk (``readable_features``, around ``learning.selectors.feature_frame``); when
a bulk read fails on data, the ids are halved until the leads that fail alone are found. Each is
recorded as a ``QuarantinedValue`` naming the field at fault: ``attributes`` when the stored
attributes are not an object, the custom value or profile column whose removal lets the lead's
features build, else ``row``. A quarantined lead
is tried alone on each read that asks for it, and released once it reads (fixed by an import or by
hand); until then the bulk read leaves it out, so it is looked for only once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime

import numpy as np
import pandas as pd
from django.db import DataError
from django.utils import timezone

from leads.frames import activity_events_frame, lead_attributes, lead_profiles_frame
from learning.core.features import build_frame
from learning.models import QuarantinedValue
from learning.selectors import feature_frame

logger = logging.getLogger(__name__)

# What a read or feature build raises on data it cannot take (pandas' ParserError is a ValueError).
DATA_ERRORS: tuple[type[Exception], ...] = (ValueError, TypeError, KeyError, IndexError, UnicodeError, DataError)
MAX_QUARANTINED_PER_READ = 50  # past this the data, not a few rows, is broken: the read fails loudly

Read = Callable[[np.ndarray], pd.DataFrame]


def readable_frame(*, lead_ids: np.ndarray, read: Read, field_of: Callable[[int, Exception], str]) -> pd.DataFrame:
    """``read(lead_ids)`` after it failed once: the leads that fail alone are quarantined and the
    frame of the others returned (in ``lead_ids`` order, without the quarantined ones)."""
    bad = _unreadable(lead_ids, read)
    if not bad or len(bad) > MAX_QUARANTINED_PER_READ:
        return read(lead_ids)  # fails again, with the original error: nothing to single out
    now = timezone.now()
    for lead_id, error in bad.items():
        field = field_of(lead_id, error)
        message = f"{type(error).__name__}: {error}"[:500]
        QuarantinedValue.objects.update_or_create(
            lead_id=lead_id, field=field[:100], defaults={"error": message, "found_at": now}
        )
        logger.warning("quarantined lead %s, field %s: %s", lead_id, field, message)
    good = lead_ids[~np.isin(lead_ids, list(bad))]
    return read(good)


def _unreadable(lead_ids: np.ndarray, read: Read) -> dict[int, Exception]:
    """The leads whose read fails on its own, by halving."""
    try:
        read(lead_ids)
        return {}
    except DATA_ERRORS as exc:
        if len(lead_ids) == 1:
            return {int(lead_ids[0]): exc}
    middle = len(lead_ids) // 2
    return {**_unreadable(lead_ids[:middle], read), **_unreadable(lead_ids[middle:], read)}


def held_among(*, lead_ids: np.ndarray) -> np.ndarray:
    """The quarantined leads among these (one small query: the table is empty or nearly so)."""
    quarantined = np.fromiter(set(QuarantinedValue.objects.values_list("lead_id", flat=True)), dtype=np.int64)
    return quarantined[np.isin(quarantined, lead_ids)] if quarantined.size else quarantined


def still_unreadable(*, held: np.ndarray, read: Read) -> np.ndarray:
    """Of these quarantined leads, the ones that still fail to read alone; the others are released."""
    readable = []
    for lead_id in held:
        try:
            read(np.array([lead_id], dtype=np.int64))
        except DATA_ERRORS:
            continue
        readable.append(int(lead_id))
    if readable:
        QuarantinedValue.objects.filter(lead_id__in=readable).delete()
        logger.info("released %s quarantined leads that read again", len(readable))
    return np.setdiff1d(held, readable)


def unreadable_field(*, attributes: object, profiles: pd.DataFrame, builds: Callable[[pd.DataFrame], object]) -> str:
    """The field of one lead at fault: its stored ``attributes`` when they are not an object or hold
    a value that is not text or a number; else the column of its one-row ``profiles`` without which
    ``builds`` succeeds; else ``row``."""
    if not isinstance(attributes, dict):
        return "attributes"
    for key, value in attributes.items():
        if value is not None and not isinstance(value, (str, int, float)):
            return str(key)
    for column in profiles.columns:
        try:
            builds(profiles.drop(columns=column))
        except DATA_ERRORS:
            continue
        return str(column)
    return "row"


def readable_features(
    *, lead_ids: Sequence[int] | np.ndarray, as_of: datetime, activity_types: list[str] | None = None
) -> pd.DataFrame:
    """Features of these leads as of ``as_of`` (training, scoring, explanations), one row per lead
    in ``lead_ids`` order, without the leads whose data cannot be read: those are quarantined, and
    callers take the frame's index as the leads they have."""
    ids = np.asarray(lead_ids, dtype=np.int64)

    def read(part: np.ndarray) -> pd.DataFrame:
        return feature_frame(lead_ids=part, as_of=as_of, activity_types=activity_types)

    held = held_among(lead_ids=ids)
    if held.size:
        ids = ids[~np.isin(ids, still_unreadable(held=held, read=read))]
    try:
        return read(ids)
    except DATA_ERRORS as exc:
        logger.warning("reading the features of %s leads failed (%s); looking for the leads at fault", len(ids), exc)
        return readable_frame(
            lead_ids=ids,
            read=read,
            field_of=lambda lead_id, _: _field_of(lead_id, as_of=as_of, activity_types=activity_types),
        )


def _field_of(lead_id: int, *, as_of: datetime, activity_types: list[str] | None) -> str:
    try:
        profiles = lead_profiles_frame(lead_ids=[lead_id])
    except DATA_ERRORS:
        profiles = pd.DataFrame(index=pd.Index([lead_id], name="lead_id"))
    events = activity_events_frame(lead_ids=[lead_id], activity_types=activity_types)
    return unreadable_field(
        attributes=lead_attributes(lead_id=lead_id),
        profiles=profiles,
        builds=lambda part: build_frame(part, events, as_of=as_of, activity_types=activity_types),
    )
