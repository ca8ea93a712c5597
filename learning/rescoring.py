"""Rescoring every open lead, fanned out across workers in blocks of lead ids.

The learning loop (one worker) plans a run: one ``RescoreChunk`` row per block of BLOCK_SIZE lead
ids that holds open leads. It asks the other workers for help (one ``learning.rescore_chunks``
message per extra chunk), then claims chunks itself like any helper; a chunk is claimed with a
conditional UPDATE, so no two workers score the same one. A chunk's scores go to the shared loop
cache. When every chunk is done, the loop ranks the whole pool (the queue needs one global
order), explains the head of the queue and writes all scores at once (``leads.scorestore``).

Nothing is lost with a worker: a chunk claimed by a worker that died is scored again by the loop
after CHUNK_STALE_AFTER (at once when the dead process was on this machine), a result missing
from the cache is computed again, and a run that never finished is replaced by the next one.
How a chunk is scored, and how its features are cached, is ``learning.scoring``.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
import pandas as pd
from django.db.models import F
from django.utils import timezone

from leads.frames import lead_block_tokens, open_lead_ids, open_lead_keys_and_scores
from leads.models import BLOCK_SIZE
from leads.scorestore import ScoreRows, scores_replace
from learning.cache import loop_cache
from learning.core.strategies import EXPERTS, Ranking, rank_pool
from learning.models import ChunkStatus, LoopSettings, LoopState, RescoreChunk, RescoreRun, WebhookEndpoint
from learning.scoring import ScoringInputs, block_features, explanations_for, score_frame, scoring_inputs
from learning.selectors import loop_settings, loop_state
from learning.services.mix import queue_mix_record_pool, queue_mix_shares
from learning.services.webhooks import WEBHOOK_FIELDS, webhook_deliveries_create
from learning.services.workers import claimant_is_dead, enqueue, fault_pause, loop_state_update, worker_id

logger = logging.getLogger(__name__)

EXPLAIN_HEAD = 2_000  # leads explained at rescore: the queue's head; the rest on first read
CHUNK_STALE_AFTER = timedelta(seconds=60)  # a chunk takes seconds; a claim this old is a dead worker's
RESULT_TIMEOUT = 3600
MAX_HELPERS = 32
RUNS_KEPT = 20
WAIT_STEP = 0.02


@dataclass
class RescoreResult:
    leads: int
    model_version: int | None
    scores_version: int
    seconds: float


@dataclass
class ChunkScores:
    """One chunk's scores, row for row with ``lead_ids``. The same shape holds the whole pool once
    the chunks are joined."""

    lead_ids: np.ndarray
    score: np.ndarray
    fit_score: np.ndarray
    behavior_score: np.ndarray
    expected_value: np.ndarray


@dataclass
class Laps:
    """Seconds spent in each stage of a run, recorded on its ``RescoreRun``."""

    mark: float = field(default_factory=time.perf_counter)
    timings: dict[str, float] = field(default_factory=dict)

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.timings[stage] = round(now - self.mark, 3)
        self.mark = now


# --- Planning and claiming chunks ----------------------------------------------------------------


def run_plan(*, model_version: int | None, as_of: datetime) -> tuple[RescoreRun, np.ndarray]:
    """A new run with one pending chunk per block that holds open leads; returns it and the open ids."""
    ids = open_lead_ids()
    run = RescoreRun.objects.create(key=uuid.uuid4().hex, model_version=model_version, as_of=as_of, leads=len(ids))
    blocks = np.unique(ids // BLOCK_SIZE) if len(ids) else np.zeros(0, dtype=np.int64)
    RescoreChunk.objects.bulk_create([RescoreChunk(run=run, block=int(block)) for block in blocks])
    old = RescoreRun.objects.order_by("-id").values_list("id", flat=True)[RUNS_KEPT : RUNS_KEPT + 1]
    if old:
        RescoreRun.objects.filter(id__lte=old[0]).delete()
    return run, ids


def _claim(run: RescoreRun) -> RescoreChunk | None:
    """The next pending chunk of the run, now ours; None when none is left."""
    while True:
        candidate = (
            RescoreChunk.objects.filter(run=run, status=ChunkStatus.PENDING)
            .order_by("block")
            .values_list("pk", flat=True)
            .first()
        )
        if candidate is None:
            return None
        claimed = RescoreChunk.objects.filter(pk=candidate, status=ChunkStatus.PENDING).update(
            status=ChunkStatus.RUNNING, claimed_by=worker_id(), claimed_at=timezone.now()
        )
        if claimed:
            return RescoreChunk.objects.get(pk=candidate)


def _result_key(run: RescoreRun, block: int) -> str:
    return f"rescore:{run.key}:{block}"


def chunk_score(
    *, run: RescoreRun, chunk: RescoreChunk, inputs: ScoringInputs, settings: LoopSettings, share: bool = True
) -> ChunkScores:
    """Score the open leads of one chunk's block; with ``share`` (a helper's chunk) put the result
    in the loop cache for the worker that writes the run."""
    started = time.perf_counter()
    ids = open_lead_ids(block=chunk.block)
    token = lead_block_tokens().get(chunk.block)
    frame, cached = block_features(block=chunk.block, lead_ids=ids, as_of=run.as_of, types=inputs.types, token=token)
    if len(frame) < len(ids):  # quarantined leads are left out, and keep no score
        ids = ids[np.isin(ids, frame.index.to_numpy())]
        frame = frame.loc[ids]
    scored, _ = score_frame(frame, scorer=inputs.scorer, rules=inputs.rules, explain=False)
    deal_value = frame["deal_value"].to_numpy(dtype=float) if "deal_value" in frame else np.full(len(ids), np.nan)
    result = ChunkScores(
        lead_ids=ids,
        score=scored["score"].to_numpy(dtype=float),
        fit_score=scored["fit_score"].to_numpy(dtype=float),
        behavior_score=scored["behavior_score"].to_numpy(dtype=float),
        expected_value=scored["score"].to_numpy(dtype=float) * deal_value - settings.cost_per_lead,
    )
    if share:
        loop_cache().set(_result_key(run, chunk.block), result, timeout=RESULT_TIMEOUT)
    RescoreChunk.objects.filter(pk=chunk.pk).update(
        status=ChunkStatus.DONE,
        finished_at=timezone.now(),
        leads=len(ids),
        seconds=time.perf_counter() - started,
        features_cached=cached,
    )
    return result


def chunks_work(*, run_key: str) -> int:
    """Claim and score chunks of a run until none is pending (a helper's task). Returns chunks scored."""
    run = RescoreRun.objects.filter(key=run_key, finished_at__isnull=True).first()
    if run is None:
        return 0
    inputs = scoring_inputs(model_version=run.model_version)
    settings = loop_settings()
    done = 0
    while (chunk := _claim(run)) is not None:
        chunk_score(run=run, chunk=chunk, inputs=inputs, settings=settings, share=True)
        done += 1
    return done


def _ask_for_help(run: RescoreRun, chunks: int) -> None:
    for _ in range(min(chunks - 1, MAX_HELPERS)):
        try:
            enqueue("learning.rescore_chunks", run.key)
        except Exception:  # the broker is down: the loop scores every chunk itself
            logger.warning("could not ask for rescoring help; scoring every chunk here", exc_info=True)
            return


def _stale(chunk: RescoreChunk, now: datetime) -> bool:
    if chunk.claimed_at is not None and now - chunk.claimed_at > CHUNK_STALE_AFTER:
        return True
    return bool(chunk.claimed_by) and claimant_is_dead(chunk.claimed_by)


def _gather(*, run: RescoreRun, inputs: ScoringInputs, settings: LoopSettings) -> list[ChunkScores]:
    """Score what is left, wait for the helpers, take over dead ones' chunks; every chunk's result
    (the ones scored here stay in memory; the helpers' come from the loop cache)."""
    mine: dict[int, ChunkScores] = {}
    while (chunk := _claim(run)) is not None:
        mine[chunk.block] = chunk_score(run=run, chunk=chunk, inputs=inputs, settings=settings, share=False)
    while True:
        running = list(RescoreChunk.objects.filter(run=run, status=ChunkStatus.RUNNING))
        if not running:
            break
        now = timezone.now()
        for chunk in running:
            if _stale(chunk, now) and RescoreChunk.objects.filter(
                pk=chunk.pk, status=ChunkStatus.RUNNING, claimed_at=chunk.claimed_at
            ).update(claimed_at=now, claimed_by=worker_id()):
                logger.warning(
                    "rescore chunk %s of %s was abandoned by %s; scoring it here",
                    chunk.block,
                    run.key[:8],
                    chunk.claimed_by,
                )
                mine[chunk.block] = chunk_score(run=run, chunk=chunk, inputs=inputs, settings=settings, share=False)
        time.sleep(WAIT_STEP)
    results = []
    blocks = list(RescoreChunk.objects.filter(run=run).order_by("block").values_list("block", flat=True))
    for block in blocks:
        result = mine.get(block) or loop_cache().get(_result_key(run, block))
        if result is None:  # evicted, or a cache the helper could not share: score it here
            logger.warning("rescore chunk %s of %s missing from the loop cache; scoring it again", block, run.key[:8])
            chunk = RescoreChunk.objects.get(run=run, block=block)
            result = chunk_score(run=run, chunk=chunk, inputs=inputs, settings=settings, share=False)
        results.append(result)
    loop_cache().delete_many([_result_key(run, block) for block in blocks if block not in mine])
    return results


# --- The whole rescore, step by step ------------------------------------------------------------


def rescore_open_leads(*, now: datetime | None = None) -> RescoreResult:
    """Score every open lead with the active model (or the point rules), rank the queue and write
    all scores at once: readers see the old scores or the new ones, never a mix."""
    started = time.perf_counter()
    now = now or timezone.now()
    settings = loop_settings()
    inputs = scoring_inputs()
    model_version = inputs.model.version if inputs.model else None
    laps = Laps(mark=started)

    run, _ = run_plan(model_version=model_version, as_of=now)
    chunks = run.chunks.count()
    _ask_for_help(run, chunks)
    laps.lap("plan")
    pool = _pool_of(_gather(run=run, inputs=inputs, settings=settings))
    laps.lap("score_chunks")
    ranking = _rank(pool, settings=settings)
    laps.lap("rank")
    explanations = explanations_for(lead_ids=pool.lead_ids[ranking.order[:EXPLAIN_HEAD]], as_of=now, inputs=inputs)
    laps.lap("explain_head")
    rows = _score_rows(pool, ranking=ranking, inputs=inputs, explanations=explanations)
    _write(rows, model_version=model_version, scored_at=now)
    laps.lap("write")

    seconds = time.perf_counter() - started
    RescoreRun.objects.filter(pk=run.pk).update(finished_at=timezone.now(), seconds=seconds, timings=laps.timings)
    state = loop_state()
    logger.info(
        "rescored %s open leads in %.2fs (scores v%s, %s chunks): %s",
        len(pool.lead_ids),
        seconds,
        state.scores_version,
        chunks,
        laps.timings,
    )
    return RescoreResult(
        leads=len(pool.lead_ids), model_version=model_version, scores_version=state.scores_version, seconds=seconds
    )


def _pool_of(results: list[ChunkScores]) -> ChunkScores:
    """The chunks' scores joined into one pool, in block order."""

    def column(name: str, dtype: type = float) -> np.ndarray:
        parts = [getattr(result, name) for result in results]
        return np.concatenate(parts) if parts else np.zeros(0, dtype)

    return ChunkScores(
        lead_ids=column("lead_ids", np.int64).astype(np.int64),
        score=column("score"),
        fit_score=column("fit_score"),
        behavior_score=column("behavior_score"),
        expected_value=column("expected_value"),
    )


def _two_class(pool: ChunkScores) -> np.ndarray:
    return np.column_stack([1 - pool.score, pool.score])


def _rank(pool: ChunkScores, *, settings: LoopSettings) -> Ranking:
    """The queue's order: one draw from the admin's strategy (the adaptive mix at its learned shares);
    for the mix, each expert's total weight over this pool is recorded for the next training's credit."""
    ranking = rank_pool(
        _two_class(pool),
        strategy=settings.strategy,
        exploration=settings.exploration,
        rng=np.random.default_rng(),
        shares=queue_mix_shares(),
    )
    if set(ranking.totals) == set(EXPERTS):
        queue_mix_record_pool(totals=ranking.totals, pool=len(pool.score), exploration=settings.exploration)
    return ranking


def _score_rows(
    pool: ChunkScores, *, ranking: Ranking, inputs: ScoringInputs, explanations: dict[int, str]
) -> ScoreRows:
    """What the score store writes: scores, queue priority and reason, the head's explanations."""
    label = "model unsure" if inputs.scorer is not None else "cold start: near the hot threshold"
    return ScoreRows(
        lead_ids=pool.lead_ids,
        score=pool.score,
        fit_score=pool.fit_score,
        behavior_score=pool.behavior_score,
        expected_value=pool.expected_value,
        uncertainty=1.0 - _two_class(pool).max(axis=1) if len(pool.score) else np.zeros(0),
        priority=ranking.priority(),
        queue_reason=np.where(ranking.explored, "exploration", label).astype(object),
        explanations=explanations,
        propensity=ranking.propensity,
    )


def _write(rows: ScoreRows, *, model_version: int | None, scored_at: datetime) -> None:
    """Swap in every score at once; in the same transaction bump the scores version and queue the
    webhook deliveries of the scores that changed."""
    webhook = WebhookEndpoint.objects.filter(pk=1, active=True).exists()
    before = open_lead_keys_and_scores() if webhook else None

    def on_swap() -> None:
        loop_state_update(scores_version=F("scores_version") + 1, scores_updated_at=timezone.now())
        if before is not None:
            version = LoopState.objects.values_list("scores_version", flat=True).get(pk=1)
            webhook_deliveries_create(
                scores=_webhook_frame(rows),
                before=before,
                model_version=model_version,
                scored_at=scored_at,
                scores_version=version,
            )

    scores_replace(
        rows=rows,
        model_version=model_version,
        scored_at=scored_at,
        on_swap=on_swap,
        pause=lambda: fault_pause("rescore"),
    )


def _webhook_frame(rows: ScoreRows) -> pd.DataFrame:
    """The new scores as the webhook reads them: one row per lead id."""
    return pd.DataFrame({name: getattr(rows, name) for name in WEBHOOK_FIELDS}, index=pd.Index(rows.lead_ids))
