"""A version training promotes by itself is in the audit log as an admin's promotion is: no user
(training did it), the versions, and why the promotion guard let it through. A run that promotes
nothing writes nothing."""

from __future__ import annotations

from typing import Any

import pytest

from config.models import AuditLog
from learning.models import ModelStatus, ModelVersion
from learning.services import training
from learning.services.admin import model_promote

pytestmark = pytest.mark.django_db

RIGHT = lambda scorer, y: (0.05 + 0.9 * y, 0.05 + 0.9 * y)  # noqa: E731  (perfectly right held-out predictions)
WRONG = lambda scorer, y: (1.0 - 0.9 * y, 1.0 - 0.9 * y)  # noqa: E731  (perfectly wrong)


@pytest.fixture
def history(make_leads: Any) -> list[str]:
    return make_leads(90, seed=5, labeled=0.5)


def every_label_new_to(version: ModelVersion, monkeypatch: Any) -> None:
    """Make the guard compare: the active version saw none of the labels, and a few are enough."""
    monkeypatch.setattr(training, "GUARD_MIN_LABELS", 5)
    ModelVersion.objects.filter(pk=version.pk).update(last_label_id=0)


def test_the_first_version_promoted_is_audited_with_no_user(history: list[str]) -> None:
    version = training.train_model_version(labels_revision=1)

    assert version is not None and version.status == ModelStatus.ACTIVE
    entry = AuditLog.objects.get()
    assert (entry.user, entry.action, entry.target) == (None, "model.auto_promote", "model v1")
    assert entry.changes == {"active": [None, "v1"], "guard": "no active version to compare with"}


def test_a_promotion_too_early_to_compare_says_so(history: list[str]) -> None:
    training.train_model_version(labels_revision=1)

    training.train_model_version(labels_revision=2)  # the same labels: none is new to v1

    entry = AuditLog.objects.order_by("-id").first()
    assert (entry.action, entry.target, entry.changes["active"]) == ("model.auto_promote", "model v2", ["v1", "v2"])
    assert entry.changes["guard"].startswith("0 new labels since v1: too few to compare")
    assert AuditLog.objects.count() == 2


def test_a_promotion_the_guard_measured_carries_its_figures(history: list[str], monkeypatch: Any) -> None:
    first = training.train_model_version(labels_revision=1)
    every_label_new_to(first, monkeypatch)
    monkeypatch.setattr(training, "_held_out", RIGHT)
    before = AuditLog.objects.count()

    second = training.train_model_version(labels_revision=2)

    assert second is not None and second.status == ModelStatus.ACTIVE
    guard = second.metrics["guard"]
    [entry] = AuditLog.objects.order_by("id")[before:]
    assert (entry.user, entry.action, entry.target) == (None, "model.auto_promote", "model v2")
    assert entry.changes == {
        "active": ["v1", "v2"],
        "guard": f"ROC AUC 1.000 on {guard['held_out']} new labels, v1's {guard['active_auc']:.3f}: "
        "not worse by more than 0.02",
    }


def test_a_version_the_guard_rejects_writes_nothing(history: list[str], monkeypatch: Any) -> None:
    first = training.train_model_version(labels_revision=1)
    every_label_new_to(first, monkeypatch)
    monkeypatch.setattr(training, "_held_out", WRONG)
    before = AuditLog.objects.count()

    second = training.train_model_version(labels_revision=2)

    assert second is not None and second.status == ModelStatus.REJECTED
    assert AuditLog.objects.count() == before


def test_a_version_held_back_by_a_pin_writes_nothing(history: list[str], admin: Any) -> None:
    first = training.train_model_version(labels_revision=1)
    model_promote(user=admin, version=first)  # pins v1
    before = AuditLog.objects.count()

    second = training.train_model_version(labels_revision=2)

    assert second is not None and second.status == ModelStatus.CANDIDATE
    assert AuditLog.objects.count() == before


def test_a_cold_start_run_writes_nothing(make_leads: Any) -> None:
    make_leads(20)  # no outcome yet: the point rules score

    assert training.train_model_version(labels_revision=1) is None
    assert not AuditLog.objects.exists()


def test_the_audit_page_shows_an_automatic_promotion_in_words(history: list[str], admin: Any, page_for: Any) -> None:
    training.train_model_version(labels_revision=1)
    training.train_model_version(labels_revision=2)

    text = page_for(admin).get("/settings/audit/").content.decode()

    row = text[text.index("model v2") - 300 : text.index("model v2") + 400]
    assert "<td>system</td><td>model.auto_promote</td><td>model v2</td>" in row
    assert "active: v1 → v2" in row and "guard: 0 new labels since v1: too few to compare" in row
