"""One learning message per run, not per label: a "message queued" flag in the loop cache, taken
down when the task starts, and never left up by a publish that failed."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from kombu.exceptions import OperationalError

from config.celery import app as celery_app
from feedback.models import Label
from feedback.services import label_submit, label_undo
from leads.models import Lead
from learning import tasks
from learning.cache import loop_cache
from learning.models import LoopLock, LoopState
from learning.services import workers

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def own_flag() -> Iterator[None]:
    """The flag is named after the Celery queue; a queue of our own keeps this test's flag apart
    from any other test run sharing the loop cache (and takes it down afterwards)."""
    previous = celery_app.conf.task_default_queue
    celery_app.conf.task_default_queue = f"test-{uuid.uuid4().hex}"
    yield
    loop_cache().delete(workers.learn_queued_key())
    celery_app.conf.task_default_queue = previous


@pytest.fixture
def published(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Every learning message published (none is run: a message stays queued)."""
    messages: list[int] = []
    monkeypatch.setattr(tasks.learn, "delay", lambda: messages.append(1))
    return messages


@pytest.fixture
def label(rep: Any, make_leads: Any, django_capture_on_commit_callbacks: Any) -> Callable[[], None]:
    """Label the next open lead, in a transaction of its own that commits."""
    make_leads(6)

    def submit() -> None:
        lead = Lead.objects.filter(status="open").order_by("id").first()
        with django_capture_on_commit_callbacks(execute=True):
            label_submit(user=rep, lead=lead, outcome="converted", reason_code="champion")

    return submit


def flag_is_up() -> bool:
    return loop_cache().get(workers.learn_queued_key()) is not None


def test_a_burst_of_labels_committed_while_a_message_is_queued_publishes_one_message(
    label: Callable[[], None], published: list[int]
) -> None:
    for _ in range(5):
        label()

    assert published == [1]
    assert flag_is_up()
    assert LoopState.objects.get().labels_revision == 5, "every label is counted for the next run"


def test_once_the_task_starts_the_next_label_publishes_again(
    label: Callable[[], None], published: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    label()
    flag_when_the_loop_ran: list[bool] = []
    monkeypatch.setattr(tasks, "run_learning_loop", lambda: flag_when_the_loop_ran.append(flag_is_up()) or 0)

    tasks.learn()  # a worker runs the queued message
    label()

    assert flag_when_the_loop_ran == [False], "taken down before the loop reads what is pending"
    assert published == [1, 1]


def test_an_undone_label_is_served_by_the_message_already_queued(
    rep: Any, label: Callable[[], None], published: list[int], django_capture_on_commit_callbacks: Any
) -> None:
    label()

    with django_capture_on_commit_callbacks(execute=True):
        label_undo(user=rep, lease_minutes=15)

    assert published == [1]
    assert LoopState.objects.get().labels_revision == 2


def test_a_broker_error_on_publish_clears_the_flag_so_the_next_label_tries_again(
    label: Callable[[], None], monkeypatch: pytest.MonkeyPatch
) -> None:
    attempts: list[bool] = []

    def delay() -> None:
        attempts.append(True)
        if len(attempts) == 1:
            raise OperationalError("broker unreachable")

    monkeypatch.setattr(tasks.learn, "delay", delay)

    label()
    assert Label.objects.count() == 1, "the label is kept"
    assert not flag_is_up()

    label()
    assert len(attempts) == 2
    assert flag_is_up()


def test_with_the_loop_cache_down_every_label_publishes(
    label: Callable[[], None], published: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    def down(*args: Any, **kwargs: Any) -> Any:
        raise ConnectionError("loop cache is down")

    cache = loop_cache().cache
    for name in ("get", "add", "delete"):
        monkeypatch.setattr(cache, name, down)

    label()
    label()

    assert published == [1, 1], "no flag to share: better a message too many than none"


def test_with_celery_running_tasks_at_once_no_flag_is_left_behind(label: Callable[[], None]) -> None:
    label()  # Celery is eager here: the message runs the loop before the label returns

    assert not flag_is_up()
    assert LoopLock.objects.get().running_since is None and LoopState.objects.get().labels_revision == 1
