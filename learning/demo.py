"""The demo team's story: imported history, then ten weeks of rep labels drawn by the queue, with
reasons and notes that follow patterns a manager can find, and models trained as the labels came.

The patterns (what the dashboards should let a manager discover):
- retail and small firms lose mostly on budget; education on timing; outbound leads go silent;
- in the last 30 days manufacturing started losing to a competitor ("Quotient");
- webinar leads are won on urgency, referrals through a champion, software on product fit;
- one lost deal in ten fits no reason ("Other"): its notes tell of purchasing moved to head office
  or a failed security review, which the taxonomy offers as candidate reasons.

Each period's labels are drawn the way the queue draws them (the default strategy's distribution
with its random floor, ``learning.core.strategies.select_batch``), and carry what the queue stores
as propensity (the per-draw pick probability) and the score the model of the day showed. Models are
trained with the production trainer on the labels that existed at each checkpoint, with features as
of that day.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise

import numpy as np
from django.contrib.auth.models import User
from django.db import transaction

from feedback.history import PastLabel, labels_date_outcomes, labels_record_past
from leads.demo import DemoData, generate
from leads.models import Lead
from leads.services import import_activities, import_finish, import_leads
from learning.core.rules import score_by_rules
from learning.core.strategies import DEFAULT_EXPLORATION, DEFAULT_STRATEGY, select_batch
from learning.models import ModelVersion
from learning.selectors import feature_frame, point_rules, scorer_for
from learning.services.mix import queue_mix_record_pool, queue_mix_shares
from learning.services.training import train_model_version

HISTORY_BEFORE_DAYS = 80  # imported outcomes happened before the team started labeling
CHECKPOINT_DAYS = (62, 45, 28, 12)  # a model was trained this many days ago (then, at the end, now)
LABELS_PER_PERIOD = (60, 90, 110, 160, 200)  # rep labels per period for STORY_LEADS leads (scaled to others)
STORY_LEADS = 1100
REPS = {"riley": 0.35, "sam": 0.3, "jordan": 0.2, "casey": 0.15}
JORDAN_JOINED_DAYS = 30  # jordan joined a month ago: no labels before that
COMPETITOR_DAYS = 30  # a competitor ("Quotient") entered manufacturing this many days ago
DEMO_SOURCE = "manage.py seed_demo"  # where the audit log says the demo's imports came from
DEMO_FILE = "demo story"  # what it names as their file (its target reads "leads from demo story")

LOST_NOTES = {
    "no_budget": [
        "CFO froze all new spend until next fiscal year.",
        "Loved the demo, but there is no budget line for it this year.",
        "Budget went to store refits; revisit in Q3.",
        "Procurement capped new software at half our price.",
        "",
    ],
    "bad_timing": [
        "Mid school year: they only buy over the summer.",
        "Re-org under way; asked us to come back in six months.",
        "Busy with a system migration until spring.",
        "",
    ],
    "no_authority": [
        "Our contact cannot sign; the director never joined a call.",
        "Champion left the company; nobody else owns it.",
        "",
    ],
    "competitor": [
        "Went with Quotient: 20% cheaper and bundled with their ERP.",
        "Quotient offered a free first year.",
        "Chose Quotient; their rep was already on site.",
        "Signed with the incumbent vendor after a discount.",
    ],
    "poor_fit": ["Too small for the product; a spreadsheet does the job.", "Needs an on-premise install.", ""],
    "unresponsive": [
        "No reply after three follow-ups.",
        "Opened every email, never booked a call.",
        "Ghosted after the first call.",
        "",
    ],
    # Two themes no reason fits yet, for the taxonomy's candidate reasons (grouped from the notes).
    "other_not_converted": [
        "Purchasing moved to head office; the branch cannot buy software on its own now.",
        "Head office purchasing took over all software buying for the branches.",
        "Branch buying stopped: head office purchasing now signs every software order.",
        "Failed their security review: they need a SOC 2 report first.",
        "Security review blocked it until we have a SOC 2 report.",
        "Their security review wants SOC 2 and single sign-on before any pilot.",
    ],
}
OWN_DRAWS = 4  # the seed of each lead's own draws (outcome, reason, note), with its external id
OTHER_SHARE = 0.1  # lost deals whose rep found no reason that fits ("Other", with a note)
WON_NOTES = {
    "budget_approved": ["Budget signed off by the VP this quarter.", "Had money left in this year's budget.", ""],
    "urgent_pain": [
        "Came from the webinar with a deadline next month.",
        "Audit coming up; needed it live in weeks.",
        "Their old tool is being switched off; urgent.",
        "",
    ],
    "champion": ["The referrer introduced us to the COO, who pushed it through.", "Strong champion in ops.", ""],
    "strong_fit": ["Exactly the integrations they needed.", "Fits their stack out of the box.", ""],
    "price_value": ["ROI case closed it: pays back in four months.", ""],
}


@dataclass
class Story:
    history: int
    labels: int
    versions: list[int]


def _lost_reason(lead: dict[str, str], days_ago: float, rng: np.random.Generator) -> str:
    if rng.random() < OTHER_SHARE:
        return "other_not_converted"
    weights = {code: 1.0 for code in LOST_NOTES if code != "other_not_converted"}
    if lead["industry"] == "retail":
        weights["no_budget"] += 20  # about two in three retail losses (63-70%, loaded at 8 times in 3 days)
    if lead["employees"] in ("1-10", "11-50"):  # small firms: the size fields "No budget" speaks to
        weights["no_budget"] += 8  # clear on any day the demo is loaded, at 500 leads too
    if lead["industry"] == "education":
        weights["bad_timing"] += 3
    if lead["industry"] == "manufacturing" and days_ago <= COMPETITOR_DAYS:
        weights["competitor"] += 20
    if lead["source"] == "outbound":
        weights["unresponsive"] += 4
    if lead["seniority"] == "individual contributor":
        weights["no_authority"] += 2
    if lead["employees"] == "1-10":
        weights["poor_fit"] += 3
    return _pick(weights, rng)


def _won_reason(lead: dict[str, str], rng: np.random.Generator) -> str:
    weights = {code: 1.0 for code in WON_NOTES}
    if lead["source"] == "webinar":
        weights["urgent_pain"] += 8
    if lead["source"] == "referral":
        weights["champion"] += 4
    if lead["industry"] == "software":
        weights["strong_fit"] += 3
    if lead["seniority"] in ("c-level", "vp"):
        weights["budget_approved"] += 2
    return _pick(weights, rng)


def _pick(weights: dict[str, float], rng: np.random.Generator) -> str:
    codes = list(weights)
    p = np.array([weights[c] for c in codes])
    return codes[int(rng.choice(len(codes), p=p / p.sum()))]


def _workday(day: datetime, rng: np.random.Generator) -> datetime:
    """A time in working hours; a weekend day moves back to a random day of the week before it."""
    if day.weekday() >= 5:
        day -= timedelta(days=int(rng.integers(day.weekday() - 4, day.weekday() + 1)))
    return day.replace(hour=int(rng.integers(8, 18)), minute=int(rng.integers(0, 60)), second=0, microsecond=0)


def date_history(*, data: DemoData, lead_ids: dict[str, int], now: datetime, seed: int) -> int:
    """Imported outcomes get their own dates, before the team started labeling."""
    rng = np.random.default_rng(seed + 1)
    dates = {}
    for row in data.leads:
        if row["outcome"]:
            created = datetime.fromisoformat(row["created_at"]).replace(tzinfo=now.tzinfo)
            latest = now - timedelta(days=HISTORY_BEFORE_DAYS)
            span = max((latest - created).days, 1)
            dates[lead_ids[row["external_id"]]] = _workday(created + timedelta(days=float(rng.uniform(1, span))), rng)
    return labels_date_outcomes(outcome_dates=dates)


def _scores(lead_ids: Sequence[int], as_of: datetime) -> tuple[np.ndarray, int | None]:
    """What reps saw then: the active model's P(convert), or the cold-start rules' before any model."""
    frame = feature_frame(lead_ids=lead_ids, as_of=as_of)
    version = ModelVersion.objects.filter(status="active").values_list("version", flat=True).first()
    if version is None:
        return score_by_rules(frame, point_rules()).probability, None
    return scorer_for(version=version).predict_proba(frame)[:, 1], version


def _queue_draw(proba: np.ndarray, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``n`` rows drawn as the queue draws them (the default strategy with the mix learned so far), and
    each one's per-draw pick probability: the propensity the queue stores on a lease and its label.
    The draw's make-up is recorded as a rescore records it, so the next training run pays the mix."""
    two = np.column_stack([1 - proba, proba])
    ranking = select_batch(
        two,
        size=min(n, len(proba)),
        strategy=DEFAULT_STRATEGY,
        exploration=DEFAULT_EXPLORATION,
        rng=rng,
        shares=queue_mix_shares(),
    )
    queue_mix_record_pool(totals=ranking.totals, pool=len(proba), exploration=DEFAULT_EXPLORATION)
    return ranking.order, ranking.propensity[ranking.order]


def play_labels(
    *, data: DemoData, lead_ids: dict[str, int], users: Mapping[str, User], now: datetime, seed: int
) -> Story:
    """Ten weeks of rep labels in periods between model checkpoints; a model trained at each."""
    rng = np.random.default_rng(seed + 2)
    rows = {lead_ids[row["external_id"]]: (row, p) for row, p in zip(data.leads, data.probabilities, strict=True)}
    start = now - timedelta(days=CHECKPOINT_DAYS[0] + 14)
    bounds = [start, *(now - timedelta(days=d) for d in CHECKPOINT_DAYS), now]
    labeled: set[int] = {lead_ids[row["external_id"]] for row in data.leads if row["outcome"]}
    versions: list[int] = []
    total = 0
    for period, (begin, end) in enumerate(pairwise(bounds)):
        pool = [
            lead_id
            for lead_id, (row, _) in rows.items()
            if lead_id not in labeled and datetime.fromisoformat(row["created_at"]).replace(tzinfo=now.tzinfo) < begin
        ]
        proba, version = _scores(pool, begin)
        wanted = max(10, round(LABELS_PER_PERIOD[period] * len(rows) / STORY_LEADS))
        picked, propensity = _queue_draw(proba, wanted, rng)
        past = [
            _label(rows[pool[i]], pool[i], float(proba[i]), version, float(q), begin, end, now, users, rng)
            for i, q in zip(picked, propensity, strict=True)
        ]
        total += labels_record_past(labels=past)
        labeled.update(label.lead_id for label in past)
        if end < now:
            trained = train_model_version(labels_revision=period + 1, now=end)
            if trained is not None:
                ModelVersion.objects.filter(pk=trained.pk).update(created_at=end)
                versions.append(trained.version)
    return Story(history=0, labels=total, versions=versions)


def _label(
    row_p: tuple[dict[str, str], float],
    lead_id: int,
    score: float,
    version: int | None,
    propensity: float,
    begin: datetime,
    end: datetime,
    now: datetime,
    users: Mapping[str, User],
    rng: np.random.Generator,
) -> PastLabel:
    row, p = row_p
    when = _workday(begin + (end - begin) * float(rng.uniform(0, 1)), rng)
    # Not before the period (a weekend moves back, which at the first period's start would date the
    # label before the imported history), not in the future.
    when = min(max(when, begin), now - timedelta(minutes=5))
    days_ago = (now - when).total_seconds() / 86400
    reps = {name: share for name, share in REPS.items() if name != "jordan" or days_ago <= JORDAN_JOINED_DAYS}
    rep = _pick(reps, rng)
    if row["industry"] == "manufacturing" and days_ago <= COMPETITOR_DAYS:
        p *= 0.5  # the new competitor takes half the deals manufacturing used to win
    # The lead's own draws for what happened and why: the shared stream's draws depend on the day
    # the demo is loaded (a weekend moves a date with an extra draw), and the story must not.
    own = np.random.default_rng([OWN_DRAWS, zlib.crc32(row["external_id"].encode())])
    won = bool(own.random() < p)
    reason = _won_reason(row, own) if won else _lost_reason(row, days_ago, own)
    notes = (WON_NOTES if won else LOST_NOTES)[reason]
    return PastLabel(
        lead_id=lead_id,
        outcome="converted" if won else "not_converted",
        reason_code=reason,
        user=users[rep],
        labeled_at=when,
        note=notes[int(own.integers(len(notes)))],
        score_seen=round(score, 4),
        model_version_seen=version,
        propensity=propensity,
        seconds_to_label=round(float(rng.lognormal(1.3, 0.5)), 1),
    )


def lead_ids_of(external_ids: Sequence[str]) -> dict[str, int]:
    return dict(Lead.rows.filter(external_id__in=external_ids).values_list("external_id", "id"))


def history_outcomes(*, data: DemoData, now: datetime, seed: int, share: float = 0.6) -> None:
    """Mark some of the oldest leads as imported history: their outcome drawn from the hidden logic."""
    rng = np.random.default_rng(seed + 3)
    oldest = now - timedelta(days=HISTORY_BEFORE_DAYS + 5)
    for row, p in zip(data.leads, data.probabilities, strict=True):
        created = datetime.fromisoformat(row["created_at"]).replace(tzinfo=now.tzinfo)
        row["outcome"] = ""
        if created < oldest and rng.random() < share:
            row["outcome"] = "converted" if rng.random() < p else "not_converted"


def demo_users() -> list[tuple[str, str, str]]:
    """(name, role, password) of the demo team."""
    reps: list[tuple[str, str, str]] = [(name, "rep", "leadloop-rep") for name in REPS]
    return [*reps, ("morgan", "manager", "leadloop-manager"), ("alex", "admin", "leadloop-admin")]


def tell_story(*, users: Mapping[str, User], n_leads: int, now: datetime, seed: int = 7) -> Story:
    """Load the demo leads and activity, their imported history, the reps' labels and the models.

    The leads and the activity come in as every import does: stored, then audited and announced by
    ``import_finish`` (by nobody, from ``manage.py seed_demo``). One transaction: the learning loop
    the imports announce starts only once the whole story is in, so no worker trains a model of
    "today" between the story's own checkpoints.
    """
    data = generate(n_leads=n_leads, labeled_share=0.0, seed=seed, now=now)
    history_outcomes(data=data, now=now, seed=seed)
    with transaction.atomic():
        imported = import_leads(rows=enumerate(data.leads, start=2), outcome_column="outcome")
        import_finish(result=imported, kind="leads", by=None, source=DEMO_SOURCE, file_name=DEMO_FILE)
        activities = import_activities(rows=enumerate(data.activities, start=2))
        import_finish(result=activities, kind="activities", by=None, source=DEMO_SOURCE, file_name=DEMO_FILE)
        lead_ids = lead_ids_of([row["external_id"] for row in data.leads])
        date_history(data=data, lead_ids=lead_ids, now=now, seed=seed)
        story = play_labels(data=data, lead_ids=lead_ids, users=users, now=now, seed=seed)
    story.history = imported.labels
    return story
