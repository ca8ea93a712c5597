from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from feedback.models import Label
from leads.models import Lead, LeadStatus
from learning import rescoring
from learning.core import strategies
from learning.core.paired import paired_difference_se
from learning.models import LoopLock, LoopState, ModelStatus, ModelVersion
from learning.selectors import scores_state
from learning.services import loop, training, workers


@pytest.fixture
def history(make_leads: Any) -> list[str]:
    return make_leads(90, seed=5, labeled=0.5)


def test_while_one_outcome_is_missing_the_point_rules_score_the_leads(make_leads: Any) -> None:
    make_leads(20)
    assert training.train_model_version(labels_revision=1) is None
    result = rescoring.rescore_open_leads()
    assert result.model_version is None
    lead = Lead.objects.order_by("-score").first()
    assert lead.scored_at is not None and lead.model_version is None
    assert lead.explanation and "points" in lead.explanation[0]


def test_training_records_an_active_version_with_metrics_features_and_library_versions(history: list[str]) -> None:
    version = training.train_model_version(labels_revision=1)
    assert version is not None and version.status == ModelStatus.ACTIVE
    assert version.labels == Label.objects.count()
    assert set(version.metrics) >= {"roc_auc", "precision", "recall", "accuracy", "brier"}
    assert "count__pricing_visit" in version.features
    assert "scikit-learn" in version.library_versions and "modAL-python" in version.library_versions
    assert LoopState.objects.get().rescore_requested


def test_rescoring_writes_every_open_lead_with_explanation_and_expected_value(history: list[str]) -> None:
    training.train_model_version(labels_revision=1)
    result = rescoring.rescore_open_leads()
    open_leads = Lead.objects.filter(status=LeadStatus.OPEN)
    assert result.leads == open_leads.count() > 0
    assert not open_leads.filter(score__isnull=True).exists()
    lead = open_leads.first()
    assert 0 <= lead.score <= 1 and 0 <= lead.uncertainty <= 0.5
    assert lead.model_version == 1
    assert lead.expected_value == pytest.approx(lead.score * lead.deal_value - 50.0)
    assert all(line[0] in "▲▼" for line in lead.explanation)
    assert scores_state()["scores_version"] == result.scores_version


def test_the_guard_keeps_a_worse_model_out_and_says_why(history: list[str], monkeypatch: Any) -> None:
    first = training.train_model_version(labels_revision=1)
    # New labels the active model never saw, then a candidate that scores them worse.
    monkeypatch.setattr(training, "GUARD_MIN_LABELS", 5)
    ModelVersion.objects.filter(pk=first.pk).update(last_label_id=0)  # every label is new to v1
    wrong = lambda scorer, y: (1.0 - y * 0.9, 1.0 - y * 0.9)  # noqa: E731  (perfectly wrong)
    monkeypatch.setattr(training, "_held_out", wrong)
    second = training.train_model_version(labels_revision=2)
    assert second.status == ModelStatus.REJECTED
    assert "below active v1" in second.note
    assert second.metrics["guard"]["candidate_auc"] < second.metrics["guard"]["active_auc"]
    assert ModelVersion.objects.get(status=ModelStatus.ACTIVE) == first


def test_an_admin_can_roll_back_to_an_older_version(history: list[str]) -> None:
    first = training.train_model_version(labels_revision=1)
    second = training.train_model_version(labels_revision=2)
    assert second.status == ModelStatus.ACTIVE
    training.model_activate(version=first)
    statuses = dict(ModelVersion.objects.values_list("version", "status"))
    assert statuses == {1: ModelStatus.ACTIVE, 2: ModelStatus.RETIRED}


def test_a_burst_of_labels_is_learned_in_one_run_not_one_per_label(history: list[str], monkeypatch: Any) -> None:
    for _ in range(50):
        workers.labels_changed()
    calls: list[int] = []
    real = training.train_model_version

    def counting(**kwargs: Any) -> Any:
        calls.append(kwargs["labels_revision"])
        return real(**kwargs)

    monkeypatch.setattr(loop, "train_model_version", counting)
    rounds = loop.run_learning_loop()
    assert len(calls) == 1 and rounds == 1
    state = LoopState.objects.get()
    assert state.trained_revision == state.labels_revision
    assert LoopLock.objects.get().running_since is None
    assert loop.run_learning_loop() == 0, "nothing pending: nothing to do"


def test_a_second_worker_backs_off_while_the_loop_is_claimed(history: list[str]) -> None:
    workers.labels_changed()
    assert loop._claim()
    assert loop.run_learning_loop() == 0
    LoopLock.objects.update(running_since=None)
    assert loop.run_learning_loop() == 1


def test_leads_past_the_queue_head_show_their_explanation_on_read(
    history: list[str], monkeypatch: Any, rep: Any, api_for: Any
) -> None:
    monkeypatch.setattr(rescoring, "EXPLAIN_HEAD", 3)
    training.train_model_version(labels_revision=1)
    rescoring.rescore_open_leads()
    open_leads = Lead.objects.filter(status=LeadStatus.OPEN)
    assert open_leads.filter(explanation__isnull=False).count() == 3
    lead = open_leads.filter(explanation__isnull=True).first()
    body = api_for(rep).get(f"/api/leads/{lead.external_id}").json()
    assert body["explanation"] and all(line[0] in "▲▼" for line in body["explanation"])
    lead.refresh_from_db()
    assert lead.explanation is None, "a read computes and shows; the rescore writes explanations"


def test_the_retrain_trigger_waits_for_n_labels_or_m_minutes(history: list[str]) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from learning.models import LoopSettings

    loop.run_learning_loop()
    LoopSettings.objects.update(retrain_every_labels=3, retrain_every_minutes=30)
    versions = ModelVersion.objects.count()
    workers.labels_changed()
    workers.labels_changed()
    assert loop.run_learning_loop() == 0, "two labels waiting, three wanted"
    assert ModelVersion.objects.count() == versions
    LoopState.objects.update(pending_since=timezone.now() - timedelta(minutes=31))
    assert loop.run_learning_loop() == 1, "the oldest label has waited 30 minutes"
    assert ModelVersion.objects.count() == versions + 1
    state = LoopState.objects.get()
    assert state.trained_revision == state.labels_revision and state.pending_since is None
    for _ in range(3):
        workers.labels_changed()
    assert loop.run_learning_loop() == 1, "three labels waiting"


def test_fresh_settings_follow_the_backtests_default_strategy_and_exploration(defaults: None) -> None:
    from learning.core.strategies import DEFAULT_EXPLORATION, DEFAULT_STRATEGY
    from learning.selectors import loop_settings

    settings = loop_settings()
    assert (settings.strategy, settings.exploration) == (DEFAULT_STRATEGY, DEFAULT_EXPLORATION)


def test_rescoring_marks_why_each_lead_is_queued(history: list[str]) -> None:
    from learning.models import LoopSettings

    LoopSettings.objects.update(strategy="uncertainty", exploration=0.5)
    training.train_model_version(labels_revision=1)
    rescoring.rescore_open_leads()
    rows = list(Lead.objects.filter(status=LeadStatus.OPEN).values_list("queue_reason", "current__propensity"))
    assert {reason for reason, _ in rows} == {"exploration", "model unsure"}
    # "Model unsure" only where the draw made a lead at least 1.25 times as likely as a uniform pick:
    # a lead at about a random pick's odds is not said to be there for the model's doubt.
    for reason, propensity in rows:
        assert (reason == "model unsure") == (propensity * len(rows) >= strategies.FAVOURED)


def test_a_version_records_its_metrics_with_and_without_the_reasons_and_what_each_reason_earned(
    history: list[str],
) -> None:
    from feedback.models import Reason

    urgent = Reason.objects.get(code="urgent_pain")
    urgent.fields = ["activity:pricing_visit"]
    urgent.save()
    silent = Reason.objects.get(code="unresponsive")
    silent.fields = ["activity:pricing_visit", "recency"]
    silent.save()
    Label.objects.filter(outcome="converted").update(reason=urgent)
    Label.objects.filter(outcome="not_converted").update(reason=silent)
    marked = Label.objects.order_by("id").first()
    marked.fields = ["industry"]
    marked.save()

    version = training.train_model_version(labels_revision=1)

    assert version is not None
    plain_keys = {"roc_auc", "precision", "recall", "accuracy", "brier", "threshold", "n", "positives", "called_hot"}
    assert set(version.metrics) >= plain_keys | {"without_reasons", "reason_trust", "field_weights"}
    assert set(version.metrics["without_reasons"]) == plain_keys
    assert version.metrics["without_reasons"]["n"] == version.metrics["n"] == version.labels
    trust = version.metrics["reason_trust"]
    assert set(trust) == {"urgent_pain", "unresponsive", "marked"}
    counts = version.metrics["reason_labels"]  # the n behind each trust: every reason given, fields or not
    assert counts["marked"] == 1
    assert set(trust) - {"marked"} <= set(counts)
    given = Label.objects.exclude(reason=None).values_list("reason__code", flat=True)
    assert {code: n for code, n in counts.items() if code != "marked"} == {c: list(given).count(c) for c in set(given)}
    assert all(0.0 <= weight <= 1.0 for weight in trust.values())
    assert set(version.metrics["field_weights"]) == {"activity:pricing_visit", "recency", "industry"}


def test_a_version_records_the_noise_of_each_difference_the_reasons_made(history: list[str], monkeypatch: Any) -> None:
    held_out: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []

    def two_fits(scorer: Any, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        rng = np.random.default_rng(0)
        ours = np.clip(0.4 * y + 0.6 * rng.random(len(y)), 0, 1)
        theirs = np.clip(ours + rng.normal(0, 0.1, len(y)), 0, 1)
        held_out.append((y, ours, theirs))
        return ours, theirs

    monkeypatch.setattr(training, "_held_out", two_fits)
    version = training.train_model_version(labels_revision=1)

    assert version is not None
    errors = version.metrics["reasons_difference_se"]
    y, ours, theirs = held_out[0]
    assert errors == pytest.approx(paired_difference_se(y, ours, theirs, threshold=version.metrics["threshold"]))
    assert set(errors) == {"roc_auc", "precision", "recall", "accuracy", "brier"}
    assert all(error > 0 for error in errors.values())


def test_without_any_reason_fields_both_metrics_are_the_plain_models(history: list[str]) -> None:
    version = training.train_model_version(labels_revision=1)
    assert version is not None
    without = version.metrics["without_reasons"]
    assert without["roc_auc"] == version.metrics["roc_auc"] and without["brier"] == version.metrics["brier"]
    assert version.metrics["reason_trust"] == {} and version.metrics["field_weights"] == {}


def test_versions_trained_a_label_apart_do_not_slip_past_the_guard(history: list[str], monkeypatch: Any) -> None:
    first = training.train_model_version(labels_revision=1)
    monkeypatch.setattr(training, "GUARD_MIN_LABELS", 5)
    # v2 goes live unchecked: too few labels since v1 to compare on (as when every label retrains).
    ModelVersion.objects.filter(pk=first.pk).update(
        last_label_id=Label.objects.order_by("-pk").values_list("pk", flat=True)[3]
    )
    second = training.train_model_version(labels_revision=2)
    assert second.status == ModelStatus.ACTIVE and "candidate_auc" not in second.metrics["guard"]
    assert training.guard_reference(second) == first, "an unchecked version is no reference"
    # A worse candidate is now judged against v1 on every label v1 never saw, not against v2 on none.
    ModelVersion.objects.filter(pk=first.pk).update(last_label_id=0)
    ModelVersion.objects.filter(pk=second.pk).update(
        last_label_id=Label.objects.order_by("-pk").values_list("pk", flat=True)[0]
    )
    wrong = lambda scorer, y: (1.0 - y * 0.9, 1.0 - y * 0.9)  # noqa: E731  (perfectly wrong)
    monkeypatch.setattr(training, "_held_out", wrong)
    third = training.train_model_version(labels_revision=3)

    assert third.status == ModelStatus.REJECTED
    assert third.metrics["guard"]["active_version"] == 1
    assert "below v1's" in third.note and "the last version checked (v2" in third.note
    assert ModelVersion.objects.get(status=ModelStatus.ACTIVE) == second


def test_a_checked_version_is_its_own_reference(history: list[str], monkeypatch: Any) -> None:
    first = training.train_model_version(labels_revision=1)
    monkeypatch.setattr(training, "GUARD_MIN_LABELS", 5)
    ModelVersion.objects.filter(pk=first.pk).update(last_label_id=0)  # every label is new to v1: v2 is checked
    right = lambda scorer, y: (0.1 + 0.8 * y, 0.1 + 0.8 * y)  # noqa: E731  (perfectly right)
    monkeypatch.setattr(training, "_held_out", right)
    second = training.train_model_version(labels_revision=2)

    assert second.status == ModelStatus.ACTIVE and "candidate_auc" in second.metrics["guard"]
    assert training.guard_reference(second) == second


def test_a_mix_that_leans_on_random_tells_the_reps_so(history: list[str], monkeypatch: Any) -> None:
    """The adaptive mix at 99% random: a lead the draw made only a little likelier than a random pick
    is not said to be there for the model's doubt (it was, before: any lead above a uniform pick)."""
    from learning.models import LoopSettings

    LoopSettings.objects.update(strategy="adaptive", exploration=0.2)
    monkeypatch.setattr(rescoring, "queue_mix_shares", lambda: {"random": 0.99, "uncertainty": 0.005, "entropy": 0.005})
    training.train_model_version(labels_revision=1)
    rescoring.rescore_open_leads()
    assert set(Lead.objects.filter(status=LeadStatus.OPEN).values_list("queue_reason", flat=True)) == {"exploration"}


def test_imports_learn_the_activity_types_the_live_model_knows(history: list[str]) -> None:
    from learning.selectors import known_activity_types

    assert known_activity_types() is None  # before the first model every type is welcome
    training.train_model_version(labels_revision=1)
    assert known_activity_types() == {"pricing_visit", "email_open"}  # the synthetic leads' events
