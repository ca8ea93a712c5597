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


@pytest.mark.parametrize("cut", [RuntimeError("the score table write was cancelled"), SystemExit(1)])
def test_a_rescore_that_fails_or_is_cut_short_is_asked_for_again(
    cut: BaseException, defaults: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The loop clears the request before rescoring; a failed run (or a worker's cold stop) puts it back,
    so the next run (the redelivered message, the clock's catch-up) rescores instead of finding nothing."""
    workers.rescore_requested()
    with monkeypatch.context() as patch:
        patch.setattr(loop, "rescore_open_leads", lambda: (_ for _ in ()).throw(cut))
        with pytest.raises(type(cut)):
            loop.run_learning_loop()
    assert loop_state().rescore_requested
    assert loop_lock().running_since is None  # the claim is given back either way

    version = loop_state().scores_version
    assert loop.run_learning_loop() == 1
    assert (loop_state().rescore_requested, loop_state().scores_version) == (False, version + 1)


def test_a_loop_cache_that_hangs_does_not_fail_the_request_that_labeled(
    defaults: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Hanging:
        def add(self, *args: object, **kwargs: object) -> bool:
            raise TimeoutError("Timeout reading from socket")

    sent: list[str] = []
    monkeypatch.setattr(workers, "loop_cache", Hanging)
    monkeypatch.setattr(workers, "enqueue", lambda name, *args: sent.append(name))

    workers.enqueue_learning()  # after the label's commit: must not raise into the request

    assert sent == []  # the broker is most likely on the same Redis; the database says what is pending
