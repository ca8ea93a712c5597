"""The learning loop's claim: one worker at a time; a dead worker's claim is taken over."""

from __future__ import annotations

import socket
import subprocess
import sys
from datetime import timedelta

import pytest
from django.utils import timezone

from learning.models import LoopLock, LoopState
from learning.selectors import loop_lock, loop_state
from learning.services import loop, workers

pytestmark = pytest.mark.django_db


def claimed(by: str, *, beat_ago: timedelta) -> None:
    now = timezone.now()
    LoopLock.objects.update_or_create(
        pk=1, defaults={"running_since": now - beat_ago, "heartbeat_at": now - beat_ago, "claimed_by": by}
    )
    LoopState.objects.update_or_create(pk=1, defaults={"rescore_requested": False})


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_a_live_claim_with_a_fresh_heartbeat_is_respected(defaults: None) -> None:
    claimed("another-host:123", beat_ago=timedelta(seconds=5))
    assert not loop._claim()


def test_a_claim_whose_heartbeat_stopped_is_taken_over_and_rescored(defaults: None) -> None:
    claimed("another-host:123", beat_ago=loop.HEARTBEAT_STALE_AFTER + timedelta(seconds=1))

    assert loop._claim()

    assert loop_lock().claimed_by == workers.worker_id()
    assert loop_state().rescore_requested, "the dead worker may have died before its scores committed"


def test_a_claim_by_a_dead_process_on_this_machine_is_taken_over_at_once(defaults: None) -> None:
    claimed(f"{socket.gethostname()}:{dead_pid()}", beat_ago=timedelta(seconds=1))

    assert loop._claim()
    assert loop_lock().claimed_by == workers.worker_id()


def test_the_loop_releases_its_claim_when_done(defaults: None) -> None:
    workers.rescore_requested()
    assert loop.run_learning_loop() == 1
    lock = loop_lock()
    assert (lock.running_since, lock.heartbeat_at, lock.claimed_by) == (None, None, "")
