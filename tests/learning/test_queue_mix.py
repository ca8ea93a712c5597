"""The adaptive mix in production: rescores record what the draw was made of, training runs pay it."""

from __future__ import annotations

from typing import Any

import pytest

from feedback.services import label_submit, lease_next_leads
from learning import rescoring
from learning.core.mix import MIN_BATCH, MixState
from learning.core.strategies import EXPERTS
from learning.models import LoopSettings, ModelVersion, QueueMix
from learning.selectors import queue_mix_summary
from learning.services import training


def label_from_queue(rep: Any, count: int) -> None:
    for lead in lease_next_leads(user=rep, limit=count, lease_minutes=15):
        outcome = "converted" if (lead.score or 0) > 0.5 else "not_converted"
        label_submit(
            user=rep, lead=lead, outcome=outcome, reason_code="champion" if outcome == "converted" else "no_budget"
        )


def test_training_runs_learn_the_mix_from_queue_labels_and_the_settings_page_says_why(
    make_leads: Any, rep: Any, admin: Any, page_for: Any, monkeypatch: Any
) -> None:
    # The queue's picks are random, and on 40 of them the promotion guard rejected v3 about one
    # run in twenty; this test is about the mix, so every version goes live.
    monkeypatch.setattr(training, "GUARD_MIN_LABELS", 10**9)
    make_leads(90, seed=5, labeled=0.5)
    assert LoopSettings.objects.get().strategy == "adaptive"
    training.train_model_version(labels_revision=1)
    rescoring.rescore_open_leads()
    mix = QueueMix.objects.get()
    assert set(mix.totals) == set(EXPERTS) and mix.pool > 0
    label_from_queue(rep, MIN_BATCH)
    training.train_model_version(labels_revision=2)  # the first batch: pending, nothing to score it on yet
    state = MixState.from_json(QueueMix.objects.get().state)
    assert (
        state.rounds == 0 and len(state.pending["labels"]) == MIN_BATCH and set(state.pending["ratios"]) == set(EXPERTS)
    )
    rescoring.rescore_open_leads()
    label_from_queue(rep, MIN_BATCH)
    version = training.train_model_version(labels_revision=3)
    state = MixState.from_json(QueueMix.objects.get().state)
    assert state.rounds == 1 and set(state.last_gains) == set(EXPERTS), "the second batch scored the first"
    assert state.shares() != pytest.approx(MixState().shares())
    weighted = version.metrics["weighted"]
    assert weighted["n"] == 2 * MIN_BATCH and 0 < weighted["effective_n"] <= 2 * MIN_BATCH + 1e-9
    assert ModelVersion.objects.get(version=1).metrics["weighted"]["n"] == 0, "imported history is its own stream"
    summary = queue_mix_summary()
    assert sum(share for _, share in summary["shares"]) == pytest.approx(1.0)
    assert summary["training"] == (
        f"v{version.version} weighed each of the queue's picks by its inverse pick probability to the power 0.5, "
        "so a lead the queue favoured counts for less and one it seldom draws for more; "
        f"{2 * MIN_BATCH} of its {version.labels} labels came from the queue, and the rest weigh 1."
    )
    page = page_for(admin).get("/settings/").content.decode()
    assert "Queue mix" in page and "after 1 measured batch:" in page
    assert "Training: v" in page and "to the power 0.5" in page


def test_fewer_queue_labels_than_a_batch_wait_for_the_next_run(make_leads: Any, rep: Any) -> None:
    make_leads(90, seed=5, labeled=0.5)
    training.train_model_version(labels_revision=1)
    rescoring.rescore_open_leads()
    label_from_queue(rep, MIN_BATCH - 1)
    training.train_model_version(labels_revision=2)
    mix = QueueMix.objects.get()
    assert MixState.from_json(mix.state).pending == {} and mix.last_label_id == 0, "too few: nothing moved"
    label_from_queue(rep, 1)
    training.train_model_version(labels_revision=3)
    state = MixState.from_json(QueueMix.objects.get().state)
    assert len(state.pending["labels"]) == MIN_BATCH, "the waiting labels make the batch"


def test_labels_given_outside_the_queue_leave_the_mix_alone(make_leads: Any, rep: Any) -> None:
    from leads.models import Lead

    make_leads(90, seed=5, labeled=0.5)
    training.train_model_version(labels_revision=1)
    rescoring.rescore_open_leads()
    for lead in Lead.objects.filter(status="open").order_by("id")[:5]:
        label_submit(user=rep, lead=lead, outcome="not_converted", reason_code="no_budget")
    training.train_model_version(labels_revision=2)
    mix = QueueMix.objects.get()
    assert MixState.from_json(mix.state).pending == {} and mix.last_label_id == 0


def test_a_single_strategy_setting_says_the_mix_is_not_used(defaults: None) -> None:
    LoopSettings.objects.update(strategy="uncertainty", exploration=0.3)
    summary = queue_mix_summary()
    assert dict(summary["shares"]) == pytest.approx({"uncertainty": 0.7, "random": 0.3})
    assert "uncertainty alone" in summary["why"]


def test_an_undone_label_of_the_pending_batch_leaves_it_out_of_the_measure(make_leads: Any, rep: Any) -> None:
    from feedback.services import label_undo

    make_leads(90, seed=5, labeled=0.5)
    training.train_model_version(labels_revision=1)
    rescoring.rescore_open_leads()
    label_from_queue(rep, MIN_BATCH)
    training.train_model_version(labels_revision=2)
    label_undo(user=rep, lease_minutes=15)  # the batch's last label is gone before it was scored
    rescoring.rescore_open_leads()
    label_from_queue(rep, MIN_BATCH)
    training.train_model_version(labels_revision=3)
    state = MixState.from_json(QueueMix.objects.get().state)
    assert state.rounds == 1 and set(state.last_gains) == set(EXPERTS)
    assert len(state.pending["labels"]) == MIN_BATCH


@pytest.mark.parametrize("moved", ["step", "state only"])
def test_a_step_is_dropped_when_the_mix_changed_while_its_gains_were_computed(
    make_leads: Any, rep: Any, monkeypatch: pytest.MonkeyPatch, moved: str
) -> None:
    from learning.services import mix as mix_service

    make_leads(90, seed=5, labeled=0.5)
    training.train_model_version(labels_revision=1)
    rescoring.rescore_open_leads()
    label_from_queue(rep, MIN_BATCH)
    training.train_model_version(labels_revision=2)
    rescoring.rescore_open_leads()
    label_from_queue(rep, MIN_BATCH)
    computing = mix_service._gains

    before = QueueMix.objects.get()
    # Another run's step moves both; a switch of the strategy setting clears the pending batch only.
    changed = {"last_label_id": 10**9, "state": {**MixState().as_json(), "rounds": 7}}
    if moved == "state only":
        changed = {"last_label_id": before.last_label_id, "state": {**before.state, "pending": {}}}

    def meanwhile(*args: Any, **kwargs: Any) -> Any:
        gains = computing(*args, **kwargs)  # computed without holding the row: the mix changes now
        QueueMix.objects.filter(pk=1).update(**changed)
        return gains

    monkeypatch.setattr(mix_service, "_gains", meanwhile)
    training.train_model_version(labels_revision=3)
    mix = QueueMix.objects.get()
    assert (mix.last_label_id, mix.state) == (changed["last_label_id"], changed["state"]), "the change stands"


def test_the_training_sentence_says_when_every_label_weighed_alike_and_is_absent_before_a_model() -> None:
    from learning.selectors import training_summary

    assert training_summary(None) is None
    unweighted = ModelVersion(version=4, labels=120, metrics={"train_weights": 0.0, "weighted": {"n": 0}})
    assert training_summary(unweighted) == "v4 weighed every label alike (0 of its 120 labels came from the queue)."
    older = ModelVersion(version=2, labels=80, metrics={})  # trained before the weights were recorded
    assert training_summary(older) == "v2 weighed every label alike (0 of its 80 labels came from the queue)."
