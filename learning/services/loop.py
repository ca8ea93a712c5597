"""The learning loop: one worker at a time claims it (a conditional update), beats a heartbeat
while it trains and rescores, and gives it back; a dead worker's claim is taken over."""

from __future__ import annotations

import contextlib
import logging
import threading
from datetime import datetime, timedelta
from typing import Any

from django.db import connection
from django.db.models import Case, Q, Value, When
from django.utils import timezone

from config.dbstats import analyze_if_stale
from feedback.models import Label, Lease, Skip
from leads.models import Activity, Lead, ScoreEvent
from learning.models import LoopLock, LoopSettings, LoopState
from learning.rescoring import rescore_open_leads
from learning.selectors import loop_settings, loop_state
from learning.selectors.loop import HEARTBEAT_EVERY, HEARTBEAT_STALE_AFTER
from learning.services.training import train_model_version
from learning.services.workers import claimant_is_dead, enqueue_learning, loop_state_update, rescore_flag, worker_id

logger = logging.getLogger(__name__)


def _claim() -> bool:
    """Take the loop for this worker; a conditional update, so only one worker runs it at a time.

    A claim is taken over when its worker stopped beating (HEARTBEAT_STALE_AFTER), or at once
    when that worker ran on this machine and its process is gone (a SIGKILL, an OOM kill).
    """
    now = timezone.now()
    lock = LoopLock.objects.get_or_create(pk=1)[0]  # a migration makes the row; a flushed database has none
    mine: dict[str, Any] = {"running_since": now, "heartbeat_at": now, "claimed_by": worker_id()}
    free = LoopLock.objects.filter(pk=lock.pk)
    if free.filter(running_since__isnull=True).update(**mine):
        return True
    stale = free.filter(running_since__isnull=False).filter(
        Q(heartbeat_at__lt=now - HEARTBEAT_STALE_AFTER)
        | Q(heartbeat_at__isnull=True, running_since__lt=now - HEARTBEAT_STALE_AFTER)
    )
    if stale.update(**mine):
        logger.warning("took over the learning loop from %s (no heartbeat)", lock.claimed_by or "a silent worker")
        return _taken_over()
    # Conditional on the same claimant, so two workers noticing the death do not both take it.
    if (
        lock.running_since is not None
        and lock.claimed_by
        and claimant_is_dead(lock.claimed_by)
        and free.filter(claimed_by=lock.claimed_by, running_since=lock.running_since).update(**mine)
    ):
        logger.warning("took over the learning loop from %s (process gone)", lock.claimed_by)
        return _taken_over()
    return False


def _taken_over() -> bool:
    # A dead worker may have cleared rescore_requested and died before its scores committed.
    loop_state_update(**rescore_flag(on=True))
    return True


class _Heartbeat:
    """Beats every HEARTBEAT_EVERY while the loop runs, from a thread with its own connection,
    so a long training or rescore is not mistaken for a dead worker."""

    def __init__(self, lock_pk: int) -> None:
        self.lock_pk = lock_pk
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="leadloop-heartbeat", daemon=True)

    def __enter__(self) -> _Heartbeat:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(timeout=5)

    def _run(self) -> None:
        try:
            while not self.stop.wait(HEARTBEAT_EVERY.total_seconds()):
                try:
                    LoopLock.objects.filter(pk=self.lock_pk, claimed_by=worker_id()).update(heartbeat_at=timezone.now())
                except Exception:  # the database is away for a moment: beat again next time
                    logger.warning("heartbeat failed", exc_info=True)
        finally:
            connection.close()


def retrain_due(*, state: LoopState, settings: LoopSettings, now: datetime) -> bool:
    """The admin's retrain trigger: N labels waiting, or any label waiting for M minutes; or an
    import that changed what the labeled leads look like (``retrain_requested``)."""
    if state.retrain_requested:
        return True
    waiting = state.labels_revision - state.trained_revision
    if waiting <= 0:
        return False
    if waiting >= max(settings.retrain_every_labels, 1):
        return True
    minutes = settings.retrain_every_minutes
    return bool(minutes) and state.pending_since is not None and now - state.pending_since >= timedelta(minutes=minutes)


def _work_due(state: LoopState) -> bool:
    return state.rescore_requested or retrain_due(state=state, settings=loop_settings(), now=timezone.now())


def run_learning_loop(*, max_rounds: int = 10) -> int:
    """Train on new labels and rescore until nothing is pending. Safe to call any number of times:
    a burst of labels leads to one or two trainings, not one per label. Returns rounds run."""
    if not _claim():
        return 0
    rounds = 0
    try:
        with _heartbeat():
            rounds = _loop_rounds(max_rounds)
    except Exception as exc:
        LoopLock.objects.filter(pk=1).update(
            last_error=f"{type(exc).__name__}: {exc}"[:2000], last_error_at=timezone.now()
        )
        raise
    else:
        LoopLock.objects.filter(pk=1).update(last_success_at=timezone.now())
    finally:
        LoopLock.objects.filter(pk=1).update(running_since=None, heartbeat_at=None, claimed_by="")
    if _work_due(loop_state()):
        enqueue_learning()  # work that arrived while this run was finishing
    return rounds


def _heartbeat() -> contextlib.AbstractContextManager[Any]:
    if connection.in_atomic_block:
        # Called inside a caller's transaction (tests, a shell): nobody else sees the claim anyway,
        # and a second connection would wait on this one's locks.
        return contextlib.nullcontext()
    return _Heartbeat(1)


def _loop_rounds(max_rounds: int) -> int:
    # Fresh planner statistics, and no pile of dead rows, in the tables reps' requests read (see
    # config.dbstats).
    analyze_if_stale([Lead, Activity, Label, Lease, Skip, ScoreEvent, LoopState, LoopLock], vacuum=True)
    rounds = 0
    while rounds < max_rounds:
        state = loop_state()
        retrain = retrain_due(state=state, settings=loop_settings(), now=timezone.now())
        if not retrain and not state.rescore_requested:
            break
        rounds += 1
        if retrain:
            revision = state.labels_revision
            # Cleared before training: an import during it asks again, for the next round.
            loop_state_update(retrain_requested=False)
            train_model_version(labels_revision=revision)
            # Labels that arrived during training keep waiting, from now.
            loop_state_update(
                trained_revision=revision,
                pending_since=Case(When(labels_revision__gt=revision, then=Value(timezone.now())), default=None),
            )
        # Cleared before rescoring: a request made during the rescore is served next round.
        loop_state_update(**rescore_flag(on=False))
        LoopLock.objects.filter(pk=1).update(running_since=timezone.now())
        try:
            rescore_open_leads()
        except BaseException:  # failed or cut short (a cold stop's SystemExit too): ask for it again
            _rescore_again()
            raise
    return rounds


def _rescore_again() -> None:
    """Put back the request a failed rescore cleared, so the next run (a redelivered message, the
    clock's catch-up) serves it; if the database is away, a takeover of the claim asks anyway."""
    try:
        loop_state_update(**rescore_flag(on=True))
    except Exception:
        logger.warning("could not ask for the rescore again", exc_info=True)
