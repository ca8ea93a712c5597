"""The chunked rescore: one chunk per block of lead ids holding open leads, claimed by any worker,
results shared through the loop cache; dead workers' chunks taken over, lost results computed
again, block features reused while the block's token stands, and a loop cache outage survived."""

from __future__ import annotations

import logging
import subprocess
import sys
from collections.abc import Callable
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import pytest
from django.core.cache import caches
from django.utils import timezone

from leads.frames import lead_block_tokens, open_lead_ids
from leads.models import BLOCK_SIZE, Activity, Lead, LeadStatus
from leads.services import import_activities, lead_blocks_touch
from learning import rescoring, scoring, tasks
from learning.cache import loop_cache
from learning.models import ChunkStatus, RescoreChunk, RescoreRun
from learning.services import training, workers
from tests.conftest import NOW

# Open leads in blocks 0 and 1, and a labeled one alone in block 2 (no chunk for it).
OPEN_IDS = [7, 8, BLOCK_SIZE + 7]
LABELED_ID = 2 * BLOCK_SIZE + 7
HELPER = "helper-host:4242"


@pytest.fixture
def two_blocks(defaults: None) -> list[int]:
    for lead_id in [*OPEN_IDS, LABELED_ID]:
        Lead.objects.create(
            id=lead_id,
            external_id=f"B{lead_id}",
            industry="software",
            source="referral",
            deal_value=1000.0,
            status=LeadStatus.CONVERTED if lead_id == LABELED_ID else LeadStatus.OPEN,
        )
    return OPEN_IDS


@pytest.fixture
def scored_chunks(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, bool]]:
    """Every chunk_score call, as (block, shared through the cache)."""
    calls: list[tuple[int, bool]] = []
    real = rescoring.chunk_score

    def counting(**kwargs: Any) -> dict:
        calls.append((kwargs["chunk"].block, kwargs["share"]))
        return real(**kwargs)

    monkeypatch.setattr(rescoring, "chunk_score", counting)
    return calls


@pytest.fixture
def no_endless_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    """The loop waits for running chunks; a chunk nobody takes over would make it wait forever."""
    waits = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        if len(waits) > 50:
            raise AssertionError("the rescore kept waiting for a chunk nobody scores")

    monkeypatch.setattr(rescoring, "time", SimpleNamespace(perf_counter=rescoring.time.perf_counter, sleep=sleep))


def helpers_answer(monkeypatch: pytest.MonkeyPatch, after: Callable[[str], None] | None = None) -> list[str]:
    """Each help request is answered at once by a helper worker named HELPER (``after`` runs once
    it is done); returns the run keys asked about."""
    asked: list[str] = []

    def delay(run_key: str) -> None:
        asked.append(run_key)
        with monkeypatch.context() as patch:
            patch.setattr(rescoring, "worker_id", lambda: HELPER)
            rescoring.chunks_work(run_key=run_key)
        if after is not None:
            after(run_key)

    monkeypatch.setattr(tasks.rescore_chunks, "delay", delay)
    return asked


def nobody_helps(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tasks.rescore_chunks, "delay", lambda run_key: None)


def scored_ids() -> list[int]:
    return sorted(Lead.objects.scored().values_list("pk", flat=True))


def last_run_chunks() -> list[RescoreChunk]:
    return list(RescoreChunk.objects.filter(run=RescoreRun.objects.latest("id")).order_by("block"))


def plan_then(monkeypatch: pytest.MonkeyPatch, change: Callable[[RescoreRun], None]) -> None:
    """rescore_open_leads plans its run, then ``change`` happens to it."""
    real = rescoring.run_plan

    def planned(**kwargs: Any) -> tuple[RescoreRun, np.ndarray]:
        run, ids = real(**kwargs)
        change(run)
        return run, ids

    monkeypatch.setattr(rescoring, "run_plan", planned)


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", ""])
    process.wait()
    return process.pid


# --- Planning and claiming ------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_run_has_one_pending_chunk_per_block_holding_open_leads(two_blocks: list[int]) -> None:
    run, ids = rescoring.run_plan(model_version=None, as_of=NOW)

    assert ids.tolist() == OPEN_IDS
    assert run.leads == 3 and run.finished_at is None
    chunks = list(run.chunks.order_by("block").values_list("block", "status", "claimed_by"))
    assert chunks == [(0, ChunkStatus.PENDING, ""), (1, ChunkStatus.PENDING, "")]


@pytest.mark.django_db
def test_a_helper_claims_every_pending_chunk_and_shares_its_scores_in_the_loop_cache(two_blocks: list[int]) -> None:
    run, _ = rescoring.run_plan(model_version=None, as_of=NOW)

    assert rescoring.chunks_work(run_key=run.key) == 2

    chunks = list(run.chunks.order_by("block"))
    assert [(c.status, c.claimed_by, c.leads) for c in chunks] == [
        (ChunkStatus.DONE, workers.worker_id(), 2),
        (ChunkStatus.DONE, workers.worker_id(), 1),
    ]
    assert all(c.claimed_at is not None and c.finished_at is not None for c in chunks)
    shared = loop_cache().get(rescoring._result_key(run, 1))
    assert shared.lead_ids.tolist() == [BLOCK_SIZE + 7] and len(shared.score) == 1
    assert rescoring.chunks_work(run_key=run.key) == 0, "nothing left to claim"


@pytest.mark.django_db
def test_a_helper_finds_nothing_to_do_in_a_finished_or_unknown_run(two_blocks: list[int]) -> None:
    run, _ = rescoring.run_plan(model_version=None, as_of=NOW)
    RescoreRun.objects.filter(pk=run.pk).update(finished_at=timezone.now())

    assert rescoring.chunks_work(run_key=run.key) == 0
    assert rescoring.chunks_work(run_key="no-such-run") == 0
    assert set(run.chunks.values_list("status", flat=True)) == {ChunkStatus.PENDING}


# --- The whole rescore ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_rescore_writes_the_scores_the_helpers_shared_without_scoring_them_again(
    two_blocks: list[int], monkeypatch: pytest.MonkeyPatch, scored_chunks: list[tuple[int, bool]]
) -> None:
    asked = helpers_answer(monkeypatch)

    result = rescoring.rescore_open_leads()

    assert result.leads == 3
    assert len(asked) == 1, "one helper asked for the one chunk beyond the loop's own"
    assert scored_chunks == [(0, True), (1, True)], "both chunks scored once, by the helper"
    assert [(c.status, c.claimed_by) for c in last_run_chunks()] == [(ChunkStatus.DONE, HELPER)] * 2
    assert scored_ids() == OPEN_IDS
    assert RescoreRun.objects.get(key=asked[0]).finished_at is not None


@pytest.mark.django_db
def test_without_helpers_the_loop_scores_every_chunk_itself_and_keeps_them_out_of_the_cache(
    two_blocks: list[int], monkeypatch: pytest.MonkeyPatch, scored_chunks: list[tuple[int, bool]]
) -> None:
    nobody_helps(monkeypatch)

    rescoring.rescore_open_leads()

    assert scored_chunks == [(0, False), (1, False)]
    assert [(c.status, c.claimed_by) for c in last_run_chunks()] == [(ChunkStatus.DONE, workers.worker_id())] * 2
    assert scored_ids() == OPEN_IDS


@pytest.mark.django_db
@pytest.mark.parametrize("abandoned", ["process gone on this host", "claim too old"])
def test_a_chunk_claimed_by_a_dead_worker_is_taken_over_and_scored(
    abandoned: str,
    two_blocks: list[int],
    monkeypatch: pytest.MonkeyPatch,
    scored_chunks: list[tuple[int, bool]],
    no_endless_wait: None,
    caplog: pytest.LogCaptureFixture,
) -> None:
    import socket

    if abandoned == "process gone on this host":
        claim = {"claimed_by": f"{socket.gethostname()}:{dead_pid()}", "claimed_at": timezone.now()}
    else:
        claim = {
            "claimed_by": "another-host:123",
            "claimed_at": timezone.now() - rescoring.CHUNK_STALE_AFTER - timedelta(seconds=1),
        }
    nobody_helps(monkeypatch)
    plan_then(monkeypatch, lambda run: run.chunks.filter(block=1).update(status=ChunkStatus.RUNNING, **claim))

    with caplog.at_level(logging.WARNING, logger="learning.rescoring"):
        result = rescoring.rescore_open_leads()

    assert result.leads == 3
    assert scored_chunks == [(0, False), (1, False)]
    assert [c.status for c in last_run_chunks()] == [ChunkStatus.DONE, ChunkStatus.DONE]
    assert {c.claimed_by for c in last_run_chunks()} == {workers.worker_id()}, "the taker is named"
    assert "abandoned by" in caplog.text
    assert scored_ids() == OPEN_IDS


@pytest.mark.django_db
def test_a_chunk_claimed_by_a_live_worker_elsewhere_is_waited_for_not_taken_over(
    two_blocks: list[int], monkeypatch: pytest.MonkeyPatch, scored_chunks: list[tuple[int, bool]]
) -> None:
    """The other worker finishes its chunk while the loop waits (here: on the loop's first wait)."""

    def other_worker_finishes(seconds: float) -> None:
        chunk = RescoreChunk.objects.get(run=RescoreRun.objects.latest("id"), block=1)
        if chunk.status == ChunkStatus.RUNNING:
            inputs = scoring.scoring_inputs(model_version=chunk.run.model_version)
            rescoring.chunk_score(
                run=chunk.run, chunk=chunk, inputs=inputs, settings=rescoring.loop_settings(), share=True
            )

    nobody_helps(monkeypatch)
    plan_then(
        monkeypatch,
        lambda run: run.chunks.filter(block=1).update(
            status=ChunkStatus.RUNNING, claimed_by="another-host:123", claimed_at=timezone.now()
        ),
    )
    monkeypatch.setattr(
        rescoring, "time", SimpleNamespace(perf_counter=rescoring.time.perf_counter, sleep=other_worker_finishes)
    )

    rescoring.rescore_open_leads()

    assert scored_chunks == [(0, False), (1, True)], "block 1 scored once, by its own worker"
    assert scored_ids() == OPEN_IDS


@pytest.mark.django_db
def test_a_result_missing_from_the_loop_cache_is_computed_again(
    two_blocks: list[int],
    monkeypatch: pytest.MonkeyPatch,
    scored_chunks: list[tuple[int, bool]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    def evict_block_1(run_key: str) -> None:
        loop_cache().delete(rescoring._result_key(RescoreRun.objects.get(key=run_key), 1))

    helpers_answer(monkeypatch, after=evict_block_1)

    with caplog.at_level(logging.WARNING, logger="learning.rescoring"):
        result = rescoring.rescore_open_leads()

    assert result.leads == 3
    assert scored_chunks == [(0, True), (1, True), (1, False)]
    assert "missing from the loop cache" in caplog.text
    assert scored_ids() == OPEN_IDS


@pytest.mark.django_db
def test_a_failing_loop_cache_does_not_fail_a_rescore(
    two_blocks: list[int], monkeypatch: pytest.MonkeyPatch, scored_chunks: list[tuple[int, bool]]
) -> None:
    def down(*args: Any, **kwargs: Any) -> Any:
        raise ConnectionError("loop cache is down")

    cache = caches["loop"]
    for name in ("get", "set", "add", "delete", "delete_many"):
        monkeypatch.setattr(cache, name, down)

    result = rescoring.rescore_open_leads()  # helpers answer at once: Celery is eager here

    assert result.leads == 3
    assert scored_chunks == [(0, True), (1, True), (0, False), (1, False)], "shared in vain, scored again"
    assert scored_ids() == OPEN_IDS


# --- Block features -------------------------------------------------------------------------------


@pytest.fixture
def imported_block(make_leads: Any) -> tuple[int, np.ndarray]:
    make_leads(6, seed=3)
    ids = open_lead_ids()
    blocks = np.unique(ids // BLOCK_SIZE)
    assert len(blocks) == 1
    return int(blocks[0]), ids


def features(
    block: int, ids: np.ndarray, *, as_of: Any = NOW, types: tuple[str, ...] = ("pricing_visit", "email_open")
) -> tuple[pd.DataFrame, bool]:
    """The block's features for a model that reads these activity types (every type the leads have)."""
    return scoring.block_features(
        block=block, lead_ids=ids, as_of=as_of, types=list(types), token=lead_block_tokens()[block]
    )


@pytest.mark.django_db
def test_block_features_come_from_the_cache_while_the_blocks_token_stands(
    imported_block: tuple[int, np.ndarray],
) -> None:
    block, ids = imported_block
    first, first_cached = features(block, ids)
    # Written behind the services' back: the token stands, so the cached frame is what we get.
    Activity.objects.create(lead_id=int(ids[0]), type="pricing_visit", occurred_at=NOW - timedelta(hours=1))

    again, again_cached = features(block, ids)

    assert (first_cached, again_cached) == (False, True)
    pd.testing.assert_frame_equal(again, first)
    assert again.index.tolist() == ids.tolist()


@pytest.mark.django_db
@pytest.mark.parametrize("how", ["lead_blocks_touch", "an activity import"])
def test_block_features_are_read_again_once_the_blocks_token_changes(
    how: str, imported_block: tuple[int, np.ndarray]
) -> None:
    block, ids = imported_block
    before, _ = features(block, ids)
    old_token = lead_block_tokens()[block]
    lead = Lead.objects.get(pk=int(ids[0]))
    if how == "lead_blocks_touch":
        Activity.objects.create(lead=lead, type="pricing_visit", occurred_at=NOW - timedelta(hours=1))
        lead_blocks_touch(lead_ids=[lead.pk])
    else:
        when = (NOW - timedelta(hours=1)).isoformat()
        import_activities(rows=[(2, {"lead": lead.external_id, "type": "pricing_visit", "occurred_at": when})])

    after, cached = features(block, ids)

    assert lead_block_tokens()[block] != old_token
    assert cached is False
    assert after.loc[lead.pk, "count__pricing_visit"] == before.loc[lead.pk, "count__pricing_visit"] + 1


@pytest.mark.django_db
def test_cached_block_features_older_than_their_max_age_are_read_again(
    imported_block: tuple[int, np.ndarray],
) -> None:
    block, ids = imported_block
    features(block, ids)

    _, cached = features(block, ids, as_of=NOW + scoring.FEATURES_MAX_AGE + timedelta(seconds=1))

    assert cached is False


@pytest.mark.django_db
def test_a_second_rescore_reads_the_blocks_features_from_the_cache_until_a_lead_changes(
    imported_block: tuple[int, np.ndarray],
) -> None:
    _, ids = imported_block
    rescoring.rescore_open_leads(now=NOW)
    first = last_run_chunks()

    rescoring.rescore_open_leads(now=NOW + timedelta(minutes=1))
    second = last_run_chunks()
    lead_blocks_touch(lead_ids=[int(ids[0])])
    rescoring.rescore_open_leads(now=NOW + timedelta(minutes=2))
    third = last_run_chunks()

    assert [c.features_cached for c in (*first, *second, *third)] == [False, True, False]


@pytest.mark.django_db
@pytest.mark.filterwarnings("error::pandas.errors.Pandas4Warning")
def test_block_features_for_the_scorings_activity_types_ignore_other_event_types_quietly(
    imported_block: tuple[int, np.ndarray],
) -> None:
    block, ids = imported_block  # the leads have email_open events too

    frame, _ = features(block, ids, types=("pricing_visit",))

    assert "count__pricing_visit" in frame.columns and "count__email_open" not in frame.columns


def label_the_lead_of_block(block: int) -> Callable[[RescoreRun], None]:
    def label(run: RescoreRun) -> None:
        Lead.rows.filter(id__gte=block * BLOCK_SIZE, id__lt=(block + 1) * BLOCK_SIZE).update(
            status=LeadStatus.CONVERTED
        )

    return label


@pytest.mark.django_db
def test_a_block_whose_open_leads_were_all_labeled_after_planning_is_an_empty_chunk(
    two_blocks: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    nobody_helps(monkeypatch)
    plan_then(monkeypatch, label_the_lead_of_block(1))

    result = rescoring.rescore_open_leads()

    assert result.leads == 2
    chunks = [(c.block, c.status, c.leads) for c in last_run_chunks()]
    assert chunks == [(0, ChunkStatus.DONE, 2), (1, ChunkStatus.DONE, 0)]
    assert scored_ids() == [7, 8]


@pytest.mark.django_db
def test_under_a_trained_model_an_empty_chunk_is_scored_too(make_leads: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    make_leads(90, seed=5, labeled=0.5)
    far_block = int(Lead.objects.order_by("-id").values_list("id", flat=True)[0]) // BLOCK_SIZE + 1
    Lead.objects.create(id=far_block * BLOCK_SIZE + 7, external_id="FAR", industry="software")
    assert training.train_model_version(labels_revision=1) is not None
    nobody_helps(monkeypatch)
    plan_then(monkeypatch, label_the_lead_of_block(far_block))

    result = rescoring.rescore_open_leads()

    assert result.model_version is not None
    assert [c.leads for c in last_run_chunks()][-1] == 0
    assert far_block * BLOCK_SIZE + 7 not in scored_ids()
