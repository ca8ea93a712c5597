"""The learning loop's claim: one worker at a time; a dead worker's claim is taken over."""

from __future__ import annotations

import socket
import subprocess
import sys
from datetime import timedelta

import pytest
from django.core.cache import caches
from django.utils import timezone
from redis.exceptions import TimeoutError as RedisTimeoutError

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


def test_a_loop_cache_that_hangs_skips_the_publish_instead_of_hanging_the_request_too(
    defaults: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Redis that hangs (CLIENT PAUSE, a blackholed host) times out on the flag; the broker is most
    likely on it, so publishing would hang the rep's request as long: skip it, the database says
    what is pending. (A cache that refuses connections still publishes: test_learning_messages.)"""

    def hangs(*args: object, **kwargs: object) -> bool:
        raise RedisTimeoutError("Timeout reading from socket")

    sent: list[str] = []
    monkeypatch.setattr(caches["loop"], "add", hangs)
    monkeypatch.setattr(workers, "enqueue", lambda name, *args: sent.append(name))

    workers.enqueue_learning()  # after the label's commit: must not raise into the request

    assert sent == []


def test_a_rescore_request_remembers_when_it_was_first_made_until_a_run_takes_it_on(defaults: None) -> None:
    workers.rescore_requested()
    first = loop_state().rescore_requested_at
    workers.rescore_requested()

    assert first is not None and loop_state().rescore_requested_at == first
    loop.run_learning_loop()
    assert (loop_state().rescore_requested, loop_state().rescore_requested_at) == (False, None)
