"""Query strategies: which leads to ask the reps about first.

Built on modAL's uncertainty measures. They take an estimator and call its
``predict_proba``; scoring has already computed the probabilities, so they are handed
over through ``KnownProbabilities`` instead of being predicted twice.

Plain uncertainty sampling clumps: on real lead and churn data it asks about one ambiguous
region over and over and loses to random sampling. ``weighted`` therefore never takes "the most
uncertain leads": it draws the queue at random, giving the more uncertain leads (with rare
positives: the likelier ones) a higher chance, and only as far as the model has shown on labels
it was not trained on that its scores rank leads well (``weighted_ranking``). The default,
``representative``, draws the same way and then fills each place at the head of the queue with
whichever of the next few drawn leads best keeps the labeled set like the whole pool, column by
column (kernel herding over the scorer's slots, ``herded_head``): where the model is too weak to
steer, a labeled set that covers every value in its share still trains a better one than a
random draw does. The older strategies mix three sources at the head of the ranking,
interleaved by share:

- the strategy's most informative rows, with near-duplicates pushed down when the caller
  hands over a feature matrix (``diverse`` and ``balanced``); ``balanced`` measures
  uncertainty around the pool's average score instead of 0.5 (see ``recentred``),
- the highest-P rows (``balanced``): with 3-10% conversion, uncertainty alone rarely shows the
  model a positive, and reps should see hot leads anyway,
- an ``exploration`` share of random rows, so the queue keeps seeing the whole pool.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from modAL.uncertainty import classifier_entropy, classifier_margin, classifier_uncertainty

STRATEGIES = ("representative", "weighted", "balanced", "diverse", "uncertainty", "margin", "entropy", "random")
FEATURE_STRATEGIES = ("balanced", "diverse")  # the strategies that read ``features`` (near-duplicates)
SLOT_STRATEGIES = ("representative",)  # the strategies that read ``slots`` (the scorer's slot per column)
DEFAULT_STRATEGY = "representative"  # the backtest's best across datasets (README, "Backtest")
DEFAULT_EXPLORATION = 0.2
HEAD = 5000  # positions where the sources are interleaved; the tail stays in strategy order
DIVERSE_HEAD = 500  # positions ordered with the near-duplicate penalty (it is quadratic-ish)
CANDIDATES_PER_SLOT = 4  # the diverse head picks from this many times its length of top rows
HOT_SHARE = 0.1  # ``balanced``: the share of the head given to the highest-P rows
DUPLICATE_TOLERANCE = 0.1  # closer than this share of the typical distance between leads: a near-duplicate
WEIGHTED_TILT = 2.0  # ``weighted``: a trusted model's pick chance grows as (uncertainty / average) ** this
TARGET_POSITIVE_RATE = 0.5  # ``weighted``: the tilt fades out as the labeled set's converted share nears this
TRUST_FLOOR_AUC = 0.6  # ``weighted``: a model ranking no better than this out of fold is not trusted...
TRUST_FULL_AUC = 0.8  # ... one ranking this well is, fully
TRUST_LABELS = 5  # the out-of-fold AUC counts as (n / (n + this)) of itself, n the rarer outcome's labels
HERD_CANDIDATES = 20  # ``representative``: each place at the head goes to the best of the next this many drawn rows
HERD_HEAD = 200  # ``representative``: places ordered so; the rest keep the weighted draw's order
HERD_SAMPLE = 2000  # ``representative``: random rows whose slots stand for the pool's


class KnownProbabilities:
    """An 'estimator' whose predict_proba returns its input: lets modAL rank known probabilities."""

    def predict_proba(self, proba: np.ndarray) -> np.ndarray:
        return proba


def informativeness(proba: np.ndarray, strategy: str) -> np.ndarray:
    """Higher means the model learns more from a label (modAL's measures)."""
    known = KnownProbabilities()
    if strategy in ("uncertainty", "diverse", "weighted", "representative"):
        return classifier_uncertainty(known, proba)
    if strategy == "balanced":
        return classifier_uncertainty(known, recentred(proba))
    if strategy == "margin":
        return -classifier_margin(known, proba)
    if strategy == "entropy":
        return classifier_entropy(known, proba)
    if strategy == "random":
        return np.zeros(len(proba))
    raise ValueError(f"unknown strategy {strategy!r}; choose one of {', '.join(STRATEGIES)}")


def recentred(proba: np.ndarray) -> np.ndarray:
    """Probabilities shifted so the pool's average score sits at 0.5 (and scaled to stay in 0..1).

    With 3-10% conversion a calibrated model scores nearly every lead below 0.5, so "closest
    to 0.5" just means "highest score" and uncertainty sampling turns into exploitation. Measured
    around the average score instead, the uncertain leads are the ones the model cannot tell from
    a typical lead.
    """
    p = proba[:, -1]
    centre = float(np.clip(p.mean(), 1e-6, 1 - 1e-6)) if len(p) else 0.5
    shifted = 0.5 + (p - centre) / (2 * max(centre, 1 - centre))
    return np.column_stack([1 - shifted, shifted])


@dataclass
class Ranking:
    order: np.ndarray  # row indices, first = ask first
    explored: np.ndarray  # bool per row: placed by exploration, not by the strategy
    informativeness: np.ndarray
    hot: np.ndarray | None = None  # bool per row: placed as one of the highest-P rows
    streams: tuple[np.ndarray, np.ndarray] | None = None  # ``weighted``: its weighted draw and its plain random order

    def priority(self) -> np.ndarray:
        """1.0 for the first row of ``order`` down towards 0 for the last."""
        n = len(self.order)
        values = np.empty(n)
        values[self.order] = 1.0 - np.arange(n) / max(n, 1)
        return values


@dataclass
class SlotCodes:
    """What ``representative`` balances the labeled set on: the scorer's slot (a number bin or a
    category, numbered across all columns) of pool rows, column by column, and the labeled leads per slot."""

    codes: Callable[[np.ndarray], np.ndarray]  # pool row indices → one row of slot numbers each, a column per input
    labeled: np.ndarray  # per slot: the labeled leads in it (``LeadScorer.slot_counts_``)
    labeled_rows: int  # the labeled leads


def _typical_distance(X: np.ndarray) -> float:
    """The median distance between (up to 200 evenly spread) rows; 1.0 when they are all equal."""
    sample = X[np.linspace(0, len(X) - 1, min(len(X), 200)).astype(int)]
    typical = float(np.median(np.sqrt(((sample[:, None, :] - sample[None, :, :]) ** 2).sum(axis=2))))
    return typical if typical > 0 else 1.0


def push_down_duplicates(order: np.ndarray, features: np.ndarray, *, length: int, tolerance: float) -> np.ndarray:
    """Within the first ``length`` positions, move a row behind them when it lies within
    ``tolerance`` times the typical distance of a row placed before it (whichever source put it there)."""
    window = order[:length]
    X = np.asarray(features[window], dtype=np.float64)
    if len(window) < 2:
        return order
    limit = tolerance * _typical_distance(X)
    kept: list[int] = []
    deferred: list[int] = []
    nearest = np.full(len(window), np.inf)
    for i in range(len(window)):
        if nearest[i] < limit:
            deferred.append(i)
            continue
        kept.append(i)
        nearest = np.minimum(nearest, np.sqrt(((X - X[i]) ** 2).sum(axis=1)))
    return np.concatenate([window[kept], window[deferred], order[length:]]).astype(order.dtype)


def diverse_order(order: np.ndarray, features: np.ndarray, *, length: int) -> np.ndarray:
    """Reorder the first ``length`` positions of ``order`` so near-duplicates do not sit together.

    Greedy: each next row is the one with the best ``rank weight * novelty`` among the top
    candidates, where novelty is its distance to the nearest row already picked, capped at a
    typical distance between candidates (a lead unlike anything picked is not penalised; an
    exact duplicate of a picked lead scores 0). Rows not picked keep their order behind.
    """
    n_candidates = min(len(order), max(length * CANDIDATES_PER_SLOT, length))
    length = min(length, n_candidates)
    if length <= 1:
        return order
    candidates = order[:n_candidates]
    X = np.asarray(features[candidates], dtype=np.float64)
    weight = 1.0 - np.arange(n_candidates) / n_candidates  # the strategy's order, kept as a preference
    scale = _typical_distance(X) / 2
    novelty = np.full(n_candidates, np.inf)
    taken = np.zeros(n_candidates, dtype=bool)
    picked = np.empty(length, dtype=np.int64)
    for k in range(length):
        value = weight * np.minimum(novelty / scale, 1.0)
        value[taken] = -1.0
        best = int(np.argmax(value))
        picked[k] = best
        taken[best] = True
        novelty = np.minimum(novelty, np.sqrt(((X - X[best]) ** 2).sum(axis=1)))
    head = candidates[picked]
    rest = order[~np.isin(order, head)]
    return np.concatenate([head, rest])


def _interleave(sources: list[tuple[np.ndarray, int]], *, head: int) -> tuple[np.ndarray, np.ndarray]:
    """Spread each extra source's rows evenly over the head; the first source fills the rest.

    Each source is an ordered array of row indices and a count. The extra sources reserve their
    rows first (a row is taken once); the first source then skips them. Returns the head and,
    per position, the source that filled it.
    """
    owner = np.zeros(head, dtype=np.int64)
    for s, (_rows, count) in enumerate(sources[1:], start=1):
        if count <= 0:
            continue
        positions = np.round(np.linspace(0, head - 1, count) + (head / count) / 2).astype(int).clip(0, head - 1)
        for p in positions:
            free = np.flatnonzero(owner[p:] == 0)
            owner[p + free[0] if len(free) else np.flatnonzero(owner == 0)[0]] = s
    reserved: set[int] = set()
    picks: list[list[int]] = [[] for _ in sources]
    for s, (rows, _count) in enumerate(sources[1:], start=1):
        wanted = int((owner == s).sum())
        for row in rows:
            if len(picks[s]) == wanted:
                break
            if int(row) not in reserved:
                reserved.add(int(row))
                picks[s].append(int(row))
    main = [int(row) for row in sources[0][0][: head + len(reserved)] if int(row) not in reserved]
    picks[0] = main
    cursors = [0] * len(sources)
    slots = np.empty(head, dtype=np.int64)
    for position in range(head):
        s = int(owner[position])
        if cursors[s] >= len(picks[s]):  # an extra source ran dry: the first one fills in
            s = 0
            owner[position] = 0
        slots[position] = picks[s][cursors[s]]
        cursors[s] += 1
    return slots, owner


def rank_pool(
    proba: np.ndarray,
    *,
    strategy: str,
    exploration: float,
    rng: np.random.Generator,
    features: np.ndarray | None = None,
    labels: int | None = None,
    positives: int | None = None,
    keys: np.ndarray | None = None,
    model_auc: float | None = None,
    slots: SlotCodes | None = None,
) -> Ranking:
    """Order a pool: the strategy's most informative first, with an ``exploration`` share of
    random rows (and for ``balanced`` a share of the highest-P rows) interleaved at the head;
    ``weighted`` draws the whole order at random, weighted by uncertainty (``weighted_ranking``).

    ``features`` (one row per pool row, e.g. the scorer's per-column contributions) lets the
    ``diverse`` and ``balanced`` strategies push near-duplicates down; without it they rank as
    plain uncertainty. ``labels``, ``positives`` and ``model_auc``: the size and converted count of
    the labeled set the model was trained on, and its out-of-fold ROC AUC; ``weighted`` follows
    the model only as far as they show it has earned (unknown: it does not, and samples at
    random). ``keys``: one uniform random number per row, which random picks take in ascending
    order (default: drawn from ``rng``); the backtest shares them between strategies so that
    their random picks coincide. ``slots``: the scorer's slots of pool rows and of the labeled set,
    which ``representative`` balances the head of the queue on (without them it ranks as ``weighted``).
    """
    if not 0.0 <= exploration <= 1.0:
        raise ValueError("exploration must be between 0 and 1")
    n = len(proba)
    scores = informativeness(proba, strategy)
    explored = np.zeros(n, dtype=bool)
    hot = np.zeros(n, dtype=bool)
    by_key = np.argsort(keys, kind="stable") if keys is not None else None
    if strategy == "random":
        order = by_key if by_key is not None else rng.permutation(n)
        return Ranking(order=order, explored=explored, informativeness=scores, hot=hot)
    if strategy in ("weighted", "representative"):
        tilt = positive_need(labels=labels, positives=positives) * trust(model_auc, labels=labels, positives=positives)
        ranking = weighted_ranking(scores, exploration=exploration, tilt=tilt, rng=rng, keys=keys)
        if strategy == "weighted" or slots is None or n == 0:
            return ranking
        return herded_head(ranking, exploration=exploration, tilt=tilt, slots=slots)
    tiebreak = rng.random(n)
    order = np.lexsort((tiebreak, -scores))
    head = min(n, HEAD)
    if head == 0:
        return Ranking(order=order, explored=explored, informativeness=scores, hot=hot)
    n_explore = round(head * exploration)
    n_hot = round(head * HOT_SHARE) if strategy == "balanced" else 0
    n_hot = min(n_hot, head - n_explore)
    if features is not None and strategy in ("diverse", "balanced"):
        order = diverse_order(order, features, length=min(head - n_explore - n_hot, DIVERSE_HEAD))
    sources: list[tuple[np.ndarray, int]] = [(order, head - n_explore - n_hot)]
    if n_explore:
        picked = by_key[:n_explore] if by_key is not None else rng.choice(n, size=n_explore, replace=False)
        sources.append((picked, n_explore))
    if n_hot:
        by_p = np.lexsort((tiebreak, -proba[:, -1]))
        sources.append((by_p, n_hot))
    if len(sources) == 1:
        return Ranking(order=order, explored=explored, informativeness=scores, hot=hot)
    merged, owner = _interleave(sources, head=head)
    if n_explore:
        explored[merged[owner == 1]] = True
    if n_hot:
        hot[merged[owner == len(sources) - 1]] = True
    if features is not None and strategy in ("diverse", "balanced"):
        merged = push_down_duplicates(merged, features, length=min(head, DIVERSE_HEAD), tolerance=DUPLICATE_TOLERANCE)
    rest = order[~np.isin(order, merged)]
    return Ranking(order=np.concatenate([merged, rest]), explored=explored, informativeness=scores, hot=hot)


def select_batch(
    proba: np.ndarray,
    *,
    size: int,
    strategy: str,
    exploration: float,
    rng: np.random.Generator,
    features: np.ndarray | None = None,
    labels: int | None = None,
    positives: int | None = None,
    keys: np.ndarray | None = None,
    model_auc: float | None = None,
    slots: SlotCodes | None = None,
) -> np.ndarray:
    """The next ``size`` rows to label: the head of the same ranking the live queue uses."""
    ranking = rank_pool(
        proba,
        strategy=strategy,
        exploration=exploration,
        rng=rng,
        features=features,
        labels=labels,
        positives=positives,
        keys=keys,
        model_auc=model_auc,
        slots=slots,
    )
    return ranking.order[:size]


def positive_need(*, labels: int | None, positives: int | None) -> float:
    """1 with no converted lead among the labels, falling to 0 as their share reaches TARGET_POSITIVE_RATE.

    Labeled sets nearer half converted train better models (measured: labeling converted and
    not-converted leads half and half would add 0.005-0.048 AUC over the curve on every dataset of
    the backtest set), so while converted leads are rare the queue leans towards likely ones.
    """
    if not labels:
        return 1.0
    return float(np.clip(1.0 - (positives or 0) / labels / TARGET_POSITIVE_RATE, 0.0, 1.0))


def trust(model_auc: float | None, *, labels: int | None, positives: int | None) -> float:
    """0..1: how far the model's scores can be trusted to steer the queue, from its out-of-fold ROC AUC.

    A model that ranks no better than TRUST_FLOOR_AUC on labels it was not trained on gets 0 (its
    scores are noise, and following them lost to random sampling on the weak-signal datasets);
    the AUC is first shrunk towards 0.5 while the rarer outcome has few labels, as it is noisy then.
    """
    if model_auc is None or not labels or np.isnan(model_auc):
        return 0.0
    rarer = min(positives or 0, labels - (positives or 0))
    shrunk = 0.5 + (model_auc - 0.5) * rarer / (rarer + TRUST_LABELS)
    return float(np.clip((shrunk - TRUST_FLOOR_AUC) / (TRUST_FULL_AUC - TRUST_FLOOR_AUC), 0.0, 1.0))


def _merge(streams: list[tuple[np.ndarray, float]], n: int) -> tuple[np.ndarray, np.ndarray]:
    """Merge ordered streams of row indices so that each fills its weight's share of every prefix
    (stream s places its j-th row at time (j + 0.5) / weight); a row is placed once, where it first
    comes. Returns the merged order and, per position, the stream that placed it."""
    times, rows, sources = [], [], []
    for s, (stream, weight) in enumerate(streams):
        if weight > 0 and len(stream):
            times.append((np.arange(len(stream)) + 0.5) / weight)
            rows.append(stream)
            sources.append(np.full(len(stream), s))
    if not rows:
        return np.arange(n), np.zeros(n, dtype=np.int64)
    all_rows, all_sources = np.concatenate(rows), np.concatenate(sources)
    sequence = np.lexsort((all_sources, np.concatenate(times)))
    merged_rows, merged_sources = all_rows[sequence], all_sources[sequence]
    _, first = np.unique(merged_rows, return_index=True)
    first.sort()
    return merged_rows[first], merged_sources[first]


def weighted_ranking(
    uncertainty: np.ndarray,
    *,
    exploration: float,
    tilt: float,
    rng: np.random.Generator,
    keys: np.ndarray | None = None,
) -> Ranking:
    """A random order in which a lead comes early with a chance that grows with modAL's uncertainty,
    as far as ``tilt`` (0..1) allows; an ``exploration`` share of plain random rows is merged in.

    Sampling in proportion to uncertainty, instead of taking the most uncertain leads, keeps the
    batch spread over the whole pool (no clumping, no near-duplicate runs), and it is what makes
    rare positives show up: with 3-10% conversion a calibrated model scores nearly every lead
    below 0.5, where uncertainty grows with the score. A pick chance is
    ``(1 - tilt) + tilt * (u / mean u) ** WEIGHTED_TILT``, drawn by an exponential race on the
    row's random key, so with ``tilt`` 0 the order is plain random sampling's (same keys, same order).
    """
    n = len(uncertainty)
    u = keys if keys is not None else rng.random(n)
    centre = float(uncertainty.mean()) if n else 0.0
    relative = uncertainty / centre if centre > 0 else np.ones(n)
    weight = (1.0 - tilt) + tilt * np.power(relative, WEIGHTED_TILT)
    race = -np.log1p(-np.minimum(u, 1 - 1e-12)) / np.maximum(weight, 1e-12)
    drawn, by_key = np.argsort(race, kind="stable"), np.argsort(u, kind="stable")
    order, source = _merge([(drawn, 1.0 - exploration), (by_key, exploration)], n)
    explored = np.zeros(n, dtype=bool)
    explored[order[source == 1]] = True
    if tilt == 0:
        explored[:] = True  # no model worth following: the whole order is exploration
    return Ranking(
        order=order,
        explored=explored,
        informativeness=uncertainty,
        hot=np.zeros(n, dtype=bool),
        streams=(drawn, by_key),
    )


def herded_head(
    ranking: Ranking,
    *,
    exploration: float,
    tilt: float,
    slots: SlotCodes,
    head: int = HERD_HEAD,
    candidates: int = HERD_CANDIDATES,
) -> Ranking:
    """``ranking`` (a ``weighted_ranking``) with its first ``head`` places refilled so that the labeled
    set, with the queue's head added, stays as much like the whole pool as it can, column by column.

    Kernel herding over the scorer's slots: a slot's target is its share of all leads (the pool's share
    measured on HERD_SAMPLE random rows), and each place goes to whichever of the next ``candidates``
    rows of the weighted draw falls in the slots furthest below their target, given the labeled leads
    and the places already filled. An ``exploration`` share of the places, spread evenly, still takes
    plain random rows (in key order). With ``candidates`` 1 the head is the weighted draw's.
    """
    assert ranking.streams is not None, "herded_head refines a weighted_ranking"
    drawn, by_key = ranking.streams
    n = len(drawn)
    head = min(head, n)
    places = np.arange(head)
    times = np.concatenate([(places + 0.5) / max(1.0 - exploration, 1e-12), (places + 0.5) / max(exploration, 1e-12)])
    kinds = np.concatenate([np.zeros(head, dtype=np.int64), np.ones(head, dtype=np.int64)])
    explore_place = kinds[np.lexsort((kinds, times))][:head] == 1
    # The places can only reach this far into either stream (each place takes one row).
    drawn_window = drawn[: 2 * head + candidates]
    sample = by_key[: max(2 * head, HERD_SAMPLE)]
    rows = np.unique(np.concatenate([drawn_window, sample]))
    codes = np.asarray(slots.codes(rows), dtype=np.int64)
    n_slots = len(slots.labeled)
    pool_counts = np.bincount(codes[np.searchsorted(rows, sample[:HERD_SAMPLE])].ravel(), minlength=n_slots)
    pool_share = pool_counts / max(min(len(sample), HERD_SAMPLE), 1)
    target = (pool_share * n + slots.labeled) / (n + slots.labeled_rows)
    filled = slots.labeled.astype(float)
    taken = np.zeros(n, dtype=bool)
    chosen = np.empty(head, dtype=np.int64)
    key_cursor = drawn_cursor = 0
    for place in range(head):
        if explore_place[place]:
            while taken[by_key[key_cursor]]:
                key_cursor += 1
            row = by_key[key_cursor]
        else:  # the window holds more rows than the places can take, so options are never empty
            while taken[drawn_window[drawn_cursor]]:
                drawn_cursor += 1
            window = drawn_window[drawn_cursor:]
            options = window[~taken[window]][:candidates]
            gap = (slots.labeled_rows + place + 1) * target - filled
            row = options[int(np.argmax(gap[codes[np.searchsorted(rows, options)]].sum(axis=1)))]
        chosen[place] = row
        taken[row] = True
        filled += np.bincount(codes[np.searchsorted(rows, row)], minlength=n_slots)
    order = np.concatenate([chosen, ranking.order[~taken[ranking.order]]])
    explored = ranking.explored.copy()
    if tilt > 0:
        explored[chosen] = explore_place
    return Ranking(
        order=order,
        explored=explored,
        informativeness=ranking.informativeness,
        hot=ranking.hot,
        streams=ranking.streams,
    )
