"""Learning from the why: a label's reason fields and marked fields shape the scorer (no Django here).

A rep who says "lost: no budget" says which part of the lead explains the outcome. Each such
*why* becomes a rationale row (Zaidan, Eisner & Piatko 2007, in the simplest form of Sharma,
Zhuang & Bilgic 2015): a copy of the labeled lead that keeps the named columns and sets every
other column to the average training lead, with the label's outcome. Its coefficients can only
explain that row through the named columns, so the regression learns "these columns of this lead
carry its outcome".

Trust is earned, twice over, on held-out labels only:

- per reason (``Why.key``): in K-fold cross-validation, a model fitted on the other folds with
  every rationale row at full weight scores each held-out label; the columns the label's why
  names should push it towards its outcome harder than the other columns do. Their rank among
  the lead's columns, raised to the number of columns named, is uniform on 0..1 when the why is
  chance. A reason's mean is shrunk by empirical Bayes (partial pooling): towards the mean of all
  the whys' agreements (itself shrunk towards chance by ``TRUST_PRIOR`` pseudo-labels), the more
  the fewer labels the reason has and the less the reasons differ. One test per fit asks whether
  the whys beat chance at all (the labels' mean agreement, one-sided at 1%). If they do, a reason's
  trust is its distance from chance relative to the rep's record (the pooled mean's), capped at 1:
  an average reason is trusted fully, whatever the fold models' weakness at a few labels makes the
  agreement of a good why look like. If not, it is ``2 m - 1`` (floored at 0). A rep whose reasons
  agree with the outcomes lends that to a reason heard twice; reasons given at random share a
  pooled mean near chance, however many there are, and pass the test in about one fit in a hundred.
- overall: the rationale rows, weighted by their reason's trust, are scaled by the strength from
  ``STRENGTHS`` with the lowest held-out log-loss on outcomes in the same folds, after Platt's
  sigmoid on each strength's held-out log-odds (the chosen fit is calibrated so anyway; raw
  log-loss would punish the spread the rows give the log-odds, not their ranking). 0 is the plain
  model, and a tie goes to the weaker.

So a taxonomy that does not match the outcomes costs (nearly) nothing: its reasons earn no trust,
or the strength falls back to 0 and the model is the plain one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression

from learning.core.calibration import calibrated_log_loss
from learning.core.fields import columns_of, field_of

TRUST_PRIOR = 2.0  # pseudo-labels at chance the pooled agreement of a fit's whys starts with
CHANCE_VARIANCE = 1.0 / 12.0  # an agreement's variance when the why is chance (uniform on 0..1)
RECORD_Z = 2.326  # one-sided 1%: the whys' mean agreement is above chance, so trust is relative to it
STRENGTHS = (0.0, 1.0, 4.0)  # rationale row weight per unit of trust; 0 is the plain model
MARKED = "marked"  # the trust key of the fields a rep marked on the lead itself


@dataclass(frozen=True)
class Why:
    """One reason a label gives: what earns the trust (a reason's code, or ``MARKED``) and the fields it names."""

    key: str
    fields: tuple[str, ...]


@dataclass(frozen=True)
class Rationale:
    """A why resolved against the scorer's input columns: the row it explains and the column indices it names."""

    row: int
    key: str
    columns: np.ndarray
    fields: tuple[str, ...]


@dataclass
class WhyFit:
    """What the whys add to a fit: the extra rows and their weights, and how much they were trusted."""

    design: sparse.csr_matrix  # the training rows followed by the rationale rows
    y: np.ndarray
    weights: np.ndarray
    strength: float
    reason_trust: dict[str, float]
    field_weights: dict[str, float]
    out_of_fold: np.ndarray | None  # held-out log-odds of the chosen fit, per training row
    plain_out_of_fold: np.ndarray | None = None  # the same folds' held-out log-odds without the whys


def resolve(whys: Sequence[Sequence[Why]], feature_names: Sequence[str]) -> list[Rationale]:
    """The whys of each training row that name at least one column the scorer knows."""
    resolved = []
    for row, row_whys in enumerate(whys):
        for why in row_whys:
            by_field = {field: set(columns_of(field, feature_names)) for field in why.fields}
            names = set().union(*by_field.values())
            columns = np.array([j for j, name in enumerate(feature_names) if name in names], dtype=np.int64)
            if len(columns):  # only the fields the scorer knows carry the why's weight (and are shown with it)
                known = tuple(field for field, found in by_field.items() if found)
                resolved.append(Rationale(row=row, key=why.key, columns=columns, fields=known))
    return resolved


def rationale_design(
    codes: np.ndarray, rationales: Sequence[Rationale], *, offsets: np.ndarray, widths: np.ndarray, n_slots: int
) -> sparse.csr_matrix:
    """One row per rationale: its lead's one-hot slots in the named columns, the average training
    lead's slot shares in every other column."""
    average = np.bincount(codes.ravel(), minlength=n_slots) / max(len(codes), 1)
    rows = np.tile(average, (len(rationales), 1))
    for i, rationale in enumerate(rationales):
        for j in rationale.columns:
            rows[i, offsets[j] : offsets[j] + widths[j]] = 0.0
            rows[i, codes[rationale.row, j]] = 1.0
    return sparse.csr_matrix(rows)


def agreement(pushes: np.ndarray, columns: np.ndarray) -> float:
    """How much harder the named columns push a lead towards its outcome than the others: the best
    named column's rank share among all columns, to the power of the number named (uniform on 0..1
    when the columns are named at random)."""
    best = pushes[columns].max()
    share = (np.count_nonzero(pushes < best) + 0.5 * np.count_nonzero(pushes == best)) / len(pushes)
    return float(share ** len(columns))


def earned_trust(agreements: dict[str, list[float]], *, per_label: Sequence[float] | None = None) -> dict[str, float]:
    """Per reason, 0..1: ``m``, its mean agreement shrunk by empirical Bayes (partial pooling, a
    normal-normal model) towards the mean agreement of all the whys, every label counted once
    (itself shrunk towards chance, 0.5, by ``TRUST_PRIOR`` pseudo-labels; with a single reason this
    is the whole estimate), the more the fewer labels the reason has and the less the reasons
    differ (their spread beyond chance, by DerSimonian and Laird's moments). When the
    labels' raw mean agreement is above chance by ``RECORD_Z`` standard errors, trust is ``(m - ½) /
    (pooled - ½)`` capped at 1 (relative to the rep's record); otherwise ``2 m - 1`` floored at 0.
    A rep whose reasons agree with the outcomes lends that to a reason heard twice; reasons given at
    random share a pooled mean near chance, whatever their number.

    ``per_label``: each label's mean agreement, when a label can give more than one (a reason and
    marked fields). The test then counts labels, not agreements: two whys of one lead name columns
    of the same pushes and are not independent, and the mean of a label's agreements has at most
    the chance variance of one. Default: every agreement is a label of its own."""
    keys = [key for key, values in agreements.items() if len(values)]
    trust = {key: 0.0 for key in agreements}
    if not keys:
        return trust
    counts = np.array([len(agreements[key]) for key in keys], dtype=float)
    means = np.array([np.mean(agreements[key]) for key in keys])
    total, agreeing = float(counts.sum()), float((counts * means).sum())
    pooled = (agreeing + 0.5 * TRUST_PRIOR) / (total + TRUST_PRIOR)
    precision = counts / CHANCE_VARIANCE
    centre = float((precision * means).sum() / precision.sum())
    q = float((precision * (means - centre) ** 2).sum())
    scale = float(precision.sum() - (precision**2).sum() / precision.sum())
    spread = max(0.0, (q - (len(keys) - 1)) / scale) if scale > 0 else 0.0
    shrunk = pooled + spread / (spread + CHANCE_VARIANCE / counts) * (means - pooled)
    record, n = (float(np.mean(per_label)), len(per_label)) if per_label else (agreeing / total, total)
    if (record - 0.5) / np.sqrt(CHANCE_VARIANCE / n) > RECORD_Z and pooled > 0.5:
        earned = np.clip((shrunk - 0.5) / (pooled - 0.5), 0.0, 1.0)
    else:
        earned = np.maximum(0.0, 2.0 * shrunk - 1.0)
    trust.update(zip(keys, earned.tolist(), strict=True))
    return trust


def learn_whys(
    design: sparse.csr_matrix,
    y: np.ndarray,
    codes: np.ndarray,
    rationales: Sequence[Rationale],
    *,
    offsets: np.ndarray,
    widths: np.ndarray,
    estimator: LogisticRegression,
    folds: Sequence[tuple[np.ndarray, np.ndarray]],
    row_weights: np.ndarray | None = None,
) -> WhyFit:
    """Rationale rows for ``rationales``, weighted by the trust each reason earns and the strength
    the held-out outcomes choose (see the module's docstring). Without ``folds`` (too few labels of
    an outcome to hold any out) nothing can be earned and the fit is the plain one. ``row_weights``:
    each labeled row's weight in every fit (default 1; the rationale rows keep their own)."""
    n_slots = design.shape[1]
    label_weight = np.ones(len(y)) if row_weights is None else np.asarray(row_weights, dtype=float)
    extra = rationale_design(codes, rationales, offsets=offsets, widths=widths, n_slots=n_slots)
    owner = np.array([r.row for r in rationales], dtype=np.int64)
    keys = [r.key for r in rationales]
    if not folds or not rationales:
        return _chosen(design, y, label_weight, extra, owner, rationales, np.zeros(len(rationales)), 0.0, {}, None)
    agreements: dict[str, list[float]] = {key: [] for key in keys}
    by_row: dict[int, list[float]] = {}
    for train, test in folds:
        mine = np.isin(owner, train)
        model = _fit(estimator, design, y, label_weight, train, extra[mine], y[owner[mine]], np.ones(int(mine.sum())))
        coef = model.coef_.ravel()
        held = np.flatnonzero(np.isin(owner, test))
        baseline = np.array([coef[codes[train, j]].mean() for j in range(codes.shape[1])])
        for i in held:
            rationale = rationales[int(i)]
            sign = 1.0 if y[rationale.row] == 1 else -1.0
            pushes = sign * (coef[codes[rationale.row]] - baseline)
            agreed = agreement(pushes, rationale.columns)
            agreements[rationale.key].append(agreed)
            by_row.setdefault(rationale.row, []).append(agreed)
    trust = earned_trust(agreements, per_label=[float(np.mean(values)) for values in by_row.values()])
    unit = np.array([trust[key] for key in keys])
    losses = {}
    logits = {}
    for strength in STRENGTHS if unit.any() else (0.0,):
        out = np.empty(len(y))
        for train, test in folds:
            mine = np.isin(owner, train) & (unit > 0) & (strength > 0)
            model = _fit(estimator, design, y, label_weight, train, extra[mine], y[owner[mine]], strength * unit[mine])
            out[test] = model.decision_function(design[test])
        logits[strength] = out
        losses[strength] = calibrated_log_loss(out, y)
    chosen = min(losses, key=lambda strength: (losses[strength], strength))  # ties: the weaker
    fit = _chosen(design, y, label_weight, extra, owner, rationales, chosen * unit, chosen, trust, logits[chosen])
    fit.plain_out_of_fold = logits[0.0]
    return fit


def _fit(
    estimator: LogisticRegression,
    design: sparse.csr_matrix,
    y: np.ndarray,
    row_weights: np.ndarray,
    train: np.ndarray,
    extra: sparse.csr_matrix,
    extra_y: np.ndarray,
    extra_weights: np.ndarray,
) -> LogisticRegression:
    keep = extra_weights > 0
    stacked = sparse.vstack([design[train], extra[keep]]).tocsr()
    weights = np.concatenate([row_weights[train], extra_weights[keep]])
    return clone(estimator).fit(stacked, np.concatenate([y[train], extra_y[keep]]), sample_weight=weights)


def _chosen(
    design: sparse.csr_matrix,
    y: np.ndarray,
    row_weights: np.ndarray,
    extra: sparse.csr_matrix,
    owner: np.ndarray,
    rationales: Sequence[Rationale],
    weights: np.ndarray,
    strength: float,
    trust: dict[str, float],
    out_of_fold: np.ndarray | None,
) -> WhyFit:
    keep = weights > 0
    named: dict[str, list[float]] = {}
    for rationale, weight in zip(rationales, weights, strict=True):
        for field in rationale.fields:
            named.setdefault(field, []).append(float(weight))
    return WhyFit(
        design=sparse.vstack([design, extra[keep]]).tocsr(),
        y=np.concatenate([y, y[owner[keep]]]),
        weights=np.concatenate([row_weights, weights[keep]]),
        strength=strength,
        reason_trust=trust,
        field_weights={field: float(np.mean(values)) for field, values in named.items()},
        out_of_fold=out_of_fold,
    )


def simulated_whys(
    contributions: np.ndarray,
    y: np.ndarray,
    feature_names: Sequence[str],
    *,
    accuracy: float,
    rng: np.random.Generator,
) -> list[tuple[Why, ...]]:
    """The backtest's rep: for each lead, with probability ``accuracy`` the column whose contribution
    (under a scorer fitted on the whole pool, ``contributions``) pushes hardest towards its outcome
    ``y``, otherwise a column drawn at random; named as its field, which is also the trust key."""
    sign = np.where(np.asarray(y) == 1, 1.0, -1.0)[:, None]
    informed = np.argmax(sign * contributions, axis=1)
    drawn = rng.integers(0, len(feature_names), size=len(informed))
    named = np.where(rng.random(len(informed)) < accuracy, informed, drawn)
    return [(Why(key=field_of(feature_names[j]), fields=(field_of(feature_names[j]),)),) for j in named]
