"""Which worker this is, and the messages that bring the workers to the loop.

Services enqueue a task by its registered name (``enqueue``), so they never import ``tasks.py``.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from typing import Any

from celery import current_app
from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from learning.cache import loop_cache
from learning.models import LoopState

logger = logging.getLogger(__name__)

LEARN_QUEUED_TIMEOUT = 30  # seconds a "learning message is queued" flag lives, in case the message is lost


def enqueue(task_name: str, *args: Any) -> None:
    """Send a message to the task registered under ``task_name`` (``delay``, so eager mode runs it
    in place). A web process never imports ``tasks.py`` itself: on first use Celery's autodiscovery
    imports every app's tasks module, which registers the task."""
    if task_name not in current_app.tasks:
        current_app.loader.import_default_modules()
    current_app.tasks[task_name].delay(*args)


def fault_pause(stage: str) -> None:
    """Fault-injection hook for the reliability tests: ``LEADLOOP_FAULT_PAUSE=rescore:30`` makes this
    process sleep 30 s at that point of the loop, so a test can kill it there. Unset in production."""
    spec = os.environ.get("LEADLOOP_FAULT_PAUSE", "")
    if not spec:
        return
    name, _, seconds = spec.partition(":")
    if name == stage:
        logger.warning("fault pause: %s for %ss (LEADLOOP_FAULT_PAUSE)", stage, seconds)
        time.sleep(float(seconds or 30))


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def claimant_is_dead(claimed_by: str) -> bool:
    """True when the claim was made on this host by a process that no longer exists."""
    host, _, pid = claimed_by.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False  # another machine's worker: only its heartbeat tells
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def learn_queued_key() -> str:
    return f"learn-queued:{current_app.conf.task_default_queue}"  # the queue its message goes to


def enqueue_learning() -> None:
    """Ask a worker to run the loop, unless a message is already queued and not yet started: under
    a burst of labels one message serves them all (the worker reads what is pending from the
    database when it starts, after taking the flag down), and the web tier publishes ~once per run
    instead of once per label."""
    flags = loop_cache()
    if not flags.add(learn_queued_key(), 1, timeout=LEARN_QUEUED_TIMEOUT):  # or the cache hangs: see add
        return
    try:
        enqueue("learning.learn")
    except Exception:  # the broker is down: the database still says what is pending
        flags.delete(learn_queued_key())
        logger.warning("could not reach the broker; pending learning waits for the next worker run", exc_info=True)


def learning_started() -> None:
    """A learning message reached a worker: later changes need a message of their own."""
    loop_cache().delete(learn_queued_key())


def loop_state_update(**changes: Any) -> None:
    """Write the loop's state row (one UPDATE). A migration makes the row; where it is missing (a
    database flushed between tests) this first write makes it."""
    if not LoopState.objects.filter(pk=1).update(**changes):
        LoopState.objects.get_or_create(pk=1)
        LoopState.objects.filter(pk=1).update(**changes)


def labels_changed() -> None:
    """Called in the transaction that adds or removes a label: count it, learn after commit."""
    loop_state_update(
        labels_revision=F("labels_revision") + 1, pending_since=Coalesce(F("pending_since"), Value(timezone.now()))
    )
    transaction.on_commit(enqueue_learning)


def rescore_flag(*, on: bool) -> dict[str, Any]:
    """The loop state's fields for a rescore asked for (since the first ask: /healthz measures how long
    it has waited) or taken on by a run."""
    if on:
        since = Coalesce(F("rescore_requested_at"), Value(timezone.now()))
        return {"rescore_requested": True, "rescore_requested_at": since}
    return {"rescore_requested": False, "rescore_requested_at": None}


def rescore_requested(*, retrain: bool = False) -> None:
    """Ask the loop to rescore every open lead; with ``retrain``, to train again first, whatever the
    retrain trigger says (the features the labels were learned from changed, not the labels)."""
    loop_state_update(**rescore_flag(on=True), **({"retrain_requested": True} if retrain else {}))
    transaction.on_commit(enqueue_learning)
