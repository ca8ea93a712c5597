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

A block's features (profile, attributes, behaviour) are cached too, keyed by the block's token,
which every write of a lead or an activity in the block changes: after a label, rescoring reads
features from the cache instead of the database. Cached features are at most FEATURES_MAX_AGE
old (recency counts move with the clock).
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from django.core.cache import caches
from django.db.models import F
from django.utils import timezone

from learning.core.explain import describe
from learning.core.features import activity_types_of, build_frame
from learning.core.model import LeadScorer, top_factors
from learning.core.rules import PointRules, score_by_rules
from learning.core.strategies import EXPERTS, rank_pool
from learning.mixing import queue_mix_record_pool, queue_mix_shares
from learning.models import ChunkStatus, LoopSettings, LoopState, ModelVersion, RescoreChunk, RescoreRun
from learning.selectors import active_model, loop_settings, loop_state, point_rules, scorer_for

if TYPE_CHECKING:
    from leads.scorestore import ScoreRows

logger = logging.getLogger(__name__)

EXPLAIN_HEAD = 2_000  # leads explained at rescore: the queue's head; the rest on first read
CHUNK_STALE_AFTER = timedelta(seconds=60)  # a chunk takes seconds; a claim this old is a dead worker's
FEATURES_MAX_AGE = timedelta(minutes=15)
FEATURES_CODE = "f1"  # bump when build_frame's output changes, so no worker reads another's features
RESULT_TIMEOUT = 3600
MAX_HELPERS = 32
RUNS_KEPT = 20
WAIT_STEP = 0.02


class LoopCache:
    """The loop cache, where an outage is a miss: every value in it can be computed again, and a
    Redis restart must not fail a label or a rescore."""

    def __init__(self) -> None:
        self.cache = caches["loop"]

    def _try(self, what: str, default: Any, call: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return call(*args, **kwargs)
        except Exception:
            logger.warning("loop cache %s failed; going on without it", what, exc_info=True)
            return default

    def get(self, key: str) -> Any:
        return self._try("get", None, self.cache.get, key)

    def set(self, key: str, value: Any, timeout: int) -> None:
        self._try("set", None, self.cache.set, key, value, timeout=timeout)

    def add(self, key: str, value: Any, timeout: int) -> bool:
        """True when the key was added, and when the cache cannot tell (act as if it was)."""
        return bool(self._try("add", True, self.cache.add, key, value, timeout=timeout))

    def delete(self, key: str) -> None:
        self._try("delete", None, self.cache.delete, key)

    def delete_many(self, keys: list[str]) -> None:
        self._try("delete", None, self.cache.delete_many, keys)


def loop_cache() -> LoopCache:
    return LoopCache()


@dataclass
class RescoreResult:
    leads: int
    model_version: int | None
    scores_version: int
    seconds: float


@dataclass
class ScoringInputs:
    model: ModelVersion | None
    scorer: LeadScorer | None
    rules: PointRules | None
    types: list[str] | None


def scoring_inputs(*, model_version: int | str | None = "active") -> ScoringInputs:
    """The active model (or a given version, or the cold-start rules when None) and what it reads."""
    if model_version == "active":
        model = active_model()
    elif model_version is None:
        model = None
    else:
        model = ModelVersion.objects.defer("artifact").filter(version=model_version).first()
    scorer = scorer_for(version=model.version) if model else None
    rules = None if scorer else point_rules()
    types = activity_types_of(scorer.feature_names_) if scorer else list(rules.activity_points) if rules else None
    return ScoringInputs(model=model, scorer=scorer, rules=rules, types=types)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def score_frame(
    frame: pd.DataFrame, *, scorer: LeadScorer | None, rules: PointRules | None, explain: bool = True
) -> tuple[pd.DataFrame, np.ndarray | None]:
    """P(convert), fit and behaviour scores and, with ``explain``, the explanation (JSON text) per
    row; and the model's per-column contributions (None under the cold-start rules)."""
    if scorer is not None:
        proba, contributions = scorer.score_with_contributions(frame)
        behaviour = scorer.behaviour_mask_
        scored = pd.DataFrame(
            {
                "score": proba,
                "fit_score": 100 * _sigmoid(contributions[:, ~behaviour].sum(axis=1)),
                "behavior_score": 100 * _sigmoid(contributions[:, behaviour].sum(axis=1)),
                "explanation": None,
            },
            index=frame.index,
        )
        if explain:
            factors = top_factors(frame, scorer.feature_names_, contributions)
            scored["explanation"] = [json.dumps([describe(f) for f in row], ensure_ascii=False) for row in factors]
        return scored, contributions
    assert rules is not None
    result = score_by_rules(frame, rules)
    hot = max(rules.hot_points, 1.0)
    scored = pd.DataFrame(
        {
            "score": result.probability,
            "fit_score": np.minimum(100.0, 100.0 * result.fit_points / hot),
            "behavior_score": np.minimum(100.0, 100.0 * result.behaviour_points / hot),
            "explanation": [json.dumps(lines, ensure_ascii=False) for lines in result.explanations]
            if explain
            else None,
        },
        index=frame.index,
    )
    return scored, None


def feature_frame(*, lead_ids: Sequence[int], as_of: datetime, activity_types: list[str] | None = None) -> pd.DataFrame:
    """Features of these leads as of ``as_of``, read from the database (training, explanations)."""
    from leads.selectors import activity_events_frame, lead_profiles_frame

    return build_frame(
        lead_profiles_frame(lead_ids=lead_ids),
        activity_events_frame(lead_ids=lead_ids, activity_types=activity_types),
        as_of=as_of,
        activity_types=activity_types,
    )


def _features_key(block: int, token: str, types: list[str] | None) -> str:
    digest = hashlib.sha1(json.dumps(types).encode()).hexdigest()[:12]
    return f"features:{FEATURES_CODE}:{block}:{token}:{digest}"


def block_features(
    *, block: int, lead_ids: np.ndarray, as_of: datetime, types: list[str] | None, token: str | None
) -> tuple[pd.DataFrame, bool]:
    """Features of these leads of one block, from the loop cache while the block's token stands
    and they are younger than FEATURES_MAX_AGE; else from the database (then cached). Returns the
    frame and whether it came from the cache."""
    key = _features_key(block, token, types) if token else None
    if key is not None:
        cached = loop_cache().get(key)
        if cached is not None:
            cached_as_of, frame = cached
            if as_of - cached_as_of <= FEATURES_MAX_AGE and pd.Index(lead_ids).isin(frame.index).all():
                return frame.loc[lead_ids], True
    frame = feature_frame(lead_ids=lead_ids, as_of=as_of, activity_types=types)
    if key is not None:
        loop_cache().set(key, (as_of, frame), timeout=int(FEATURES_MAX_AGE.total_seconds()))
    return frame, False


# --- Planning and claiming chunks ----------------------------------------------------------------


def run_plan(*, model_version: int | None, as_of: datetime) -> tuple[RescoreRun, np.ndarray]:
    """A new run with one pending chunk per block that holds open leads; returns it and the open ids."""
    from leads.models import BLOCK_SIZE
    from leads.selectors import open_lead_ids

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
    from learning.services import worker_id

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
) -> dict:
    """Score the open leads of one chunk's block; with ``share`` (a helper's chunk) put the result
    in the loop cache for the worker that writes the run."""
    from leads.selectors import lead_block_tokens, open_lead_ids

    started = time.perf_counter()
    ids = open_lead_ids(block=chunk.block)
    token = lead_block_tokens().get(chunk.block)
    frame, cached = block_features(block=chunk.block, lead_ids=ids, as_of=run.as_of, types=inputs.types, token=token)
    scored, _ = score_frame(frame, scorer=inputs.scorer, rules=inputs.rules, explain=False)
    deal_value = frame["deal_value"].to_numpy(dtype=float) if "deal_value" in frame else np.full(len(ids), np.nan)
    result = {
        "lead_ids": ids,
        "score": scored["score"].to_numpy(dtype=float),
        "fit_score": scored["fit_score"].to_numpy(dtype=float),
        "behavior_score": scored["behavior_score"].to_numpy(dtype=float),
        "expected_value": scored["score"].to_numpy(dtype=float) * deal_value - settings.cost_per_lead,
    }
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
    from learning.tasks import rescore_chunks

    for _ in range(min(chunks - 1, MAX_HELPERS)):
        try:
            rescore_chunks.delay(run.key)
        except Exception:  # the broker is down: the loop scores every chunk itself
            logger.warning("could not ask for rescoring help; scoring every chunk here", exc_info=True)
            return


def _stale(chunk: RescoreChunk, now: datetime) -> bool:
    from learning.services import claimant_is_dead

    if chunk.claimed_at is not None and now - chunk.claimed_at > CHUNK_STALE_AFTER:
        return True
    return bool(chunk.claimed_by) and claimant_is_dead(chunk.claimed_by)


def _gather(*, run: RescoreRun, inputs: ScoringInputs, settings: LoopSettings) -> list[dict]:
    """Score what is left, wait for the helpers, take over dead ones' chunks; every chunk's result
    (the ones scored here stay in memory; the helpers' come from the loop cache)."""
    from learning.services import worker_id

    mine: dict[int, dict] = {}
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


# --- The whole rescore ---------------------------------------------------------------------------


def explanations_for(*, lead_ids: Sequence[int], as_of: datetime, inputs: ScoringInputs) -> dict[int, str]:
    """The explanation (JSON text) of each of these leads under ``inputs``: the queue's head at
    rescore, any other lead on first read."""
    if len(lead_ids) == 0:
        return {}
    frame = feature_frame(lead_ids=lead_ids, as_of=as_of, activity_types=inputs.types)
    explained = score_frame(frame, scorer=inputs.scorer, rules=inputs.rules)[0]["explanation"]
    return {int(lead_id): text for lead_id, text in explained.items()}


def rescore_open_leads(*, now: datetime | None = None) -> RescoreResult:
    """Score every open lead with the active model (or the point rules), rank the queue and write
    all scores at once: readers see the old scores or the new ones, never a mix."""
    from leads.scorestore import ScoreRows, scores_replace
    from leads.selectors import open_lead_keys_and_scores
    from learning.models import WebhookEndpoint
    from learning.services import fault_pause, webhook_deliveries_create

    started = time.perf_counter()
    now = now or timezone.now()
    settings = loop_settings()
    inputs = scoring_inputs()
    model_version = inputs.model.version if inputs.model else None
    timings: dict[str, float] = {}

    def lap(stage: str, since: float) -> float:
        now_ = time.perf_counter()
        timings[stage] = round(now_ - since, 3)
        return now_

    run, _ = run_plan(model_version=model_version, as_of=now)
    chunks = run.chunks.count()
    _ask_for_help(run, chunks)
    mark = lap("plan", started)
    results = _gather(run=run, inputs=inputs, settings=settings)
    mark = lap("score_chunks", mark)

    def column(name: str) -> np.ndarray:
        parts = [result[name] for result in results]
        return np.concatenate(parts) if parts else np.zeros(0)

    lead_ids = np.concatenate([r["lead_ids"] for r in results]).astype(np.int64) if results else np.zeros(0, np.int64)
    proba = column("score")
    two_class = np.column_stack([1 - proba, proba])
    ranking = rank_pool(
        two_class,
        strategy=settings.strategy,
        exploration=settings.exploration,
        rng=np.random.default_rng(),
        shares=queue_mix_shares(),
    )
    if set(ranking.totals) == set(EXPERTS):  # the adaptive mix: what its next credit is measured against
        queue_mix_record_pool(totals=ranking.totals, pool=len(proba), exploration=settings.exploration)
    label = "model unsure" if inputs.scorer is not None else "cold start: near the hot threshold"
    mark = lap("rank", mark)
    explanations = explanations_for(lead_ids=lead_ids[ranking.order[:EXPLAIN_HEAD]], as_of=now, inputs=inputs)
    mark = lap("explain_head", mark)
    rows = ScoreRows(
        lead_ids=lead_ids,
        score=proba,
        fit_score=column("fit_score"),
        behavior_score=column("behavior_score"),
        expected_value=column("expected_value"),
        uncertainty=1.0 - two_class.max(axis=1) if len(proba) else np.zeros(0),
        priority=ranking.priority(),
        queue_reason=np.where(ranking.explored, "exploration", label).astype(object),
        explanations=explanations,
        propensity=ranking.propensity,
    )
    webhook = WebhookEndpoint.objects.filter(pk=1, active=True).exists()
    before = open_lead_keys_and_scores() if webhook else None
    state_pk = loop_state().pk

    def on_swap() -> None:
        LoopState.objects.filter(pk=state_pk).update(
            scores_version=F("scores_version") + 1, scores_updated_at=timezone.now()
        )
        if before is not None:
            version = LoopState.objects.values_list("scores_version", flat=True).get(pk=state_pk)
            webhook_deliveries_create(
                scores=_score_frame(rows),
                before=before,
                model_version=model_version,
                scored_at=now,
                scores_version=version,
            )

    scores_replace(
        rows=rows, model_version=model_version, scored_at=now, on_swap=on_swap, pause=lambda: fault_pause("rescore")
    )
    lap("write", mark)
    seconds = time.perf_counter() - started
    RescoreRun.objects.filter(pk=run.pk).update(finished_at=timezone.now(), seconds=seconds, timings=timings)
    state = loop_state()
    logger.info(
        "rescored %s open leads in %.2fs (scores v%s, %s chunks): %s",
        len(lead_ids),
        seconds,
        state.scores_version,
        chunks,
        timings,
    )
    return RescoreResult(
        leads=len(lead_ids), model_version=model_version, scores_version=state.scores_version, seconds=seconds
    )


def _score_frame(rows: ScoreRows) -> pd.DataFrame:
    """The new scores as the webhook reads them: one row per lead id."""
    from learning.services import WEBHOOK_FIELDS

    return pd.DataFrame({name: getattr(rows, name) for name in WEBHOOK_FIELDS}, index=pd.Index(rows.lead_ids))
