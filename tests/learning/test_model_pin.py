"""A version an admin promotes or rolls back to by hand is pinned: later versions are trained and
measured against it but not promoted, until the admin resumes automatic promotion (audited)."""

from __future__ import annotations

from typing import Any

import pytest

from config.models import AuditLog
from learning.models import LoopSettings, ModelStatus, ModelVersion
from learning.selectors import loop_status, model_pin
from learning.services import loop, training, workers
from learning.services.admin import GuardOverrideError, model_promote, model_promotion_resume


@pytest.fixture
def two_versions(make_leads: Any) -> tuple[ModelVersion, ModelVersion]:
    """v1 and v2 trained on the same labels; v2 is active."""
    make_leads(90, seed=5, labeled=0.5)
    first = training.train_model_version(labels_revision=1)
    second = training.train_model_version(labels_revision=2)
    assert first is not None and second is not None and second.status == ModelStatus.ACTIVE
    return first, second


def active_version() -> int:
    return ModelVersion.objects.get(status=ModelStatus.ACTIVE).version


def learn_one_label() -> ModelVersion:
    """What a rep's label sets off: the learning loop trains a new version (and rescores)."""
    workers.labels_changed()
    assert loop.run_learning_loop() == 1
    return ModelVersion.objects.order_by("-version").first()


@pytest.mark.django_db
def test_a_rollback_holds_across_the_next_training_run(two_versions: Any, admin: Any) -> None:
    first, _ = two_versions
    model_promote(user=admin, version=first)

    newer = learn_one_label()

    assert newer.version == 3
    assert active_version() == 1, "the admin's rollback holds"
    assert newer.status == ModelStatus.CANDIDATE
    assert newer.note == "not promoted while v1 is pinned"
    settings = LoopSettings.objects.get()
    assert (settings.pinned_version_id, settings.pinned_by) == (first.pk, admin)


@pytest.mark.django_db
def test_a_version_held_back_by_the_pin_keeps_its_guard_figures(
    two_versions: Any, admin: Any, monkeypatch: Any
) -> None:
    first, _ = two_versions
    model_promote(user=admin, version=first)
    monkeypatch.setattr(training, "GUARD_MIN_LABELS", 5)
    ModelVersion.objects.filter(pk=first.pk).update(last_label_id=0)  # every label is new to v1
    right = lambda scorer, y: (0.05 + 0.9 * y, 0.05 + 0.9 * y)  # noqa: E731  (perfectly right)
    monkeypatch.setattr(training, "_held_out", right)

    newer = learn_one_label()

    guard = newer.metrics["guard"]
    assert guard["candidate_auc"] == 1.0 and guard["active_auc"] < 1.0
    assert newer.status == ModelStatus.CANDIDATE
    assert newer.note == (
        f"passed the guard (ROC AUC 1.000 on {guard['held_out']} new labels, v1's {guard['active_auc']:.3f}); "
        "not promoted while v1 is pinned"
    )
    assert active_version() == 1


@pytest.mark.django_db
def test_a_worse_version_under_a_pin_is_rejected_as_ever(two_versions: Any, admin: Any, monkeypatch: Any) -> None:
    first, _ = two_versions
    model_promote(user=admin, version=first)
    monkeypatch.setattr(training, "GUARD_MIN_LABELS", 5)
    ModelVersion.objects.filter(pk=first.pk).update(last_label_id=0)
    wrong = lambda scorer, y: (1.0 - y * 0.9, 1.0 - y * 0.9)  # noqa: E731  (perfectly wrong)
    monkeypatch.setattr(training, "_held_out", wrong)

    newer = learn_one_label()

    assert newer.status == ModelStatus.REJECTED and "below active v1" in newer.note
    assert active_version() == 1


@pytest.mark.django_db
def test_a_pin_set_while_a_version_trains_still_holds(two_versions: Any, admin: Any, monkeypatch: Any) -> None:
    first, second = two_versions
    monkeypatch.setattr(training, "GUARD_MIN_LABELS", 5)
    checked = {"held_out": 30, "candidate_auc": 0.8, "active_auc": 0.8, "active_version": 1}  # v2 passed the guard
    ModelVersion.objects.filter(pk=second.pk).update(last_label_id=0, metrics={**second.metrics, "guard": checked})
    right = lambda scorer, y: (0.05 + 0.9 * y, 0.05 + 0.9 * y)  # noqa: E731  (perfectly right)
    monkeypatch.setattr(training, "_held_out", right)
    decide = training._promotion_decision

    def admin_rolls_back_meanwhile(**kwargs: Any) -> Any:
        decision = decide(**kwargs)  # the guard passed the new version against v2 ...
        model_promote(user=admin, version=first)  # ... and then the admin rolled back to v1
        return decision

    monkeypatch.setattr(training, "_promotion_decision", admin_rolls_back_meanwhile)

    newer = learn_one_label()

    assert newer.status == ModelStatus.CANDIDATE and newer.note.endswith("not promoted while v1 is pinned")
    assert "v2's" in newer.note, "the guard's figure is the version it measured against, active when training began"
    assert active_version() == 1


@pytest.mark.django_db
def test_resuming_automatic_promotion_lets_the_next_version_in(two_versions: Any, admin: Any) -> None:
    first, _ = two_versions
    model_promote(user=admin, version=first)
    held_back = learn_one_label()
    assert held_back.status == ModelStatus.CANDIDATE and active_version() == 1

    # The version the pin held back passed the guard against v1: resuming makes it active at once.
    assert model_promotion_resume(user=admin) == (1, held_back.version)
    assert active_version() == held_back.version
    assert ModelVersion.objects.get(pk=held_back.pk).note == ""
    newer = learn_one_label()

    assert newer.version == 4 and active_version() == 4
    assert model_pin() is None
    assert model_promotion_resume(user=admin) is None, "nothing pinned: nothing to resume"


@pytest.mark.django_db
def test_resuming_with_nothing_held_back_keeps_the_pinned_version_until_the_next_training(
    two_versions: Any, admin: Any
) -> None:
    first, _ = two_versions
    model_promote(user=admin, version=first)

    assert model_promotion_resume(user=admin) == (1, None)
    assert active_version() == 1 and model_pin() is None


@pytest.mark.django_db
def test_pinning_and_resuming_are_audited(two_versions: Any, admin: Any) -> None:
    first, second = two_versions
    model_promote(user=admin, version=first)
    model_promote(user=admin, version=second)
    model_promotion_resume(user=admin)

    entries = [(e.user, e.action, e.target, e.changes) for e in AuditLog.objects.order_by("id")]
    assert entries == [
        (admin, "model.rollback", "model v1", {"active": ["v2", "v1"], "pinned": [None, "v1"]}),
        (admin, "model.promote", "model v2", {"active": ["v1", "v2"], "pinned": ["v1", "v2"]}),
        (admin, "model.resume", "automatic promotion", {"pinned": ["v2", None]}),
    ]


@pytest.mark.django_db
def test_pinning_the_active_version_keeps_it_and_is_audited_once(two_versions: Any, admin: Any) -> None:
    _, second = two_versions
    model_promote(user=admin, version=second)
    model_promote(user=admin, version=second)

    entry = AuditLog.objects.get()
    assert (entry.action, entry.changes) == ("model.pin", {"pinned": [None, "v2"]})
    assert active_version() == 2 and model_pin() is not None


@pytest.mark.django_db
def test_a_rejected_version_is_promoted_only_when_the_admin_overrides_the_guard(admin: Any) -> None:
    for number, status in ((1, ModelStatus.ACTIVE), (2, ModelStatus.REJECTED)):
        ModelVersion.objects.create(version=number, labels=10, estimator="x", artifact=b"", status=status)
    rejected = ModelVersion.objects.get(version=2)

    with pytest.raises(GuardOverrideError, match="v2 was rejected by the promotion guard"):
        model_promote(user=admin, version=rejected)
    assert active_version() == 1 and not AuditLog.objects.exists()

    model_promote(user=admin, version=rejected, override_guard=True)
    assert active_version() == 2


@pytest.mark.django_db
def test_the_loop_status_says_the_model_is_pinned(two_versions: Any, admin: Any) -> None:
    first, _ = two_versions
    assert "(model v2)" in loop_status()

    model_promote(user=admin, version=first)

    assert "(model v1, pinned by hand)" in loop_status()


def make_version(version: int, status: str, note: str = "") -> ModelVersion:
    return ModelVersion.objects.create(
        version=version, labels=10 * version, estimator="x", artifact=b"", status=status, note=note
    )


@pytest.mark.django_db
def test_the_settings_page_says_which_version_is_pinned_by_whom_and_since_when(admin: Any, page_for: Any) -> None:
    make_version(1, "retired")
    make_version(2, "active")
    client = page_for(admin)
    assert "Automatic promotion is on" in client.get("/settings/").content.decode()

    response = client.post("/settings/models/1/activate/")

    assert response.status_code == 302 and response["Location"] == "/settings/#models"
    page = client.get("/settings/").content.decode()
    assert "Model v1 is now active and pinned" in page
    pin = LoopSettings.objects.get().pinned_at
    assert f"<strong>v1 is pinned</strong> by admin1 since {pin:%-d %b %Y %H:%M}" in page
    assert "automatic promotion is off" in page
    assert "Resume automatic promotion</button>" in page
    assert "active · <strong>pinned</strong>" in page


@pytest.mark.django_db
def test_the_page_tells_what_became_of_the_versions_trained_under_the_pin(
    two_versions: Any, admin: Any, page_for: Any
) -> None:
    model_promote(user=admin, version=two_versions[0])
    learn_one_label()

    page = page_for(admin).get("/settings/").content.decode()

    assert "1 trained since, the newest v3 passed the guard." in page
    assert "not promoted while v1 is pinned" in page


@pytest.mark.django_db
def test_resume_on_the_page_is_audited_and_says_what_follows(admin: Any, page_for: Any) -> None:
    make_version(1, "retired")
    make_version(2, "active")
    client = page_for(admin)
    client.post("/settings/models/1/activate/")

    response = client.post("/settings/models/resume/")

    assert response.status_code == 302 and response["Location"] == "/settings/#models"
    assert LoopSettings.objects.get().pinned_version is None
    entry = AuditLog.objects.latest("id")
    assert (entry.user, entry.action, entry.changes) == (admin, "model.resume", {"pinned": ["v1", None]})
    page = client.get("/settings/").content.decode()
    assert "Automatic promotion resumed: v1 is no longer pinned" in page
    assert "Automatic promotion is on" in page and "Resume automatic promotion</button>" not in page


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["rep", "manager"])
def test_only_an_admin_can_resume_automatic_promotion(
    role: str, request: pytest.FixtureRequest, page_for: Any, admin: Any
) -> None:
    make_version(1, "active")
    model_promote(user=admin, version=ModelVersion.objects.get())

    response = page_for(request.getfixturevalue(role)).post("/settings/models/resume/")

    assert response.status_code == 403
    assert LoopSettings.objects.get().pinned_version is not None


@pytest.mark.django_db
def test_promoting_a_rejected_version_asks_first_and_changes_nothing_until_confirmed(admin: Any, page_for: Any) -> None:
    make_version(1, "active")
    make_version(2, "rejected", note="ROC AUC 0.610 on 25 new labels is below active v1's 0.700")
    client = page_for(admin)

    asked = client.post("/settings/models/2/activate/")

    assert asked.status_code == 200
    text = asked.content.decode()
    assert "Promote v2, which the guard rejected?" in text
    assert "ROC AUC 0.610 on 25 new labels is below active v1&#x27;s 0.700" in text
    assert 'name="confirm" value="1"' in text and "Promote v2 anyway</button>" in text
    assert ModelVersion.objects.get(status="active").version == 1 and not AuditLog.objects.exists()

    client.post("/settings/models/2/activate/", {"confirm": "1"})

    assert ModelVersion.objects.get(status="active").version == 2
    assert AuditLog.objects.get().action == "model.promote"


@pytest.mark.django_db
def test_a_rejected_versions_button_asks_in_the_browser_and_says_why(admin: Any, page_for: Any) -> None:
    make_version(1, "rejected", note="ROC AUC 0.610 on 25 new labels is below active v2's 0.700")
    make_version(2, "active")

    page = page_for(admin).get("/settings/").content.decode()

    assert (
        'data-confirm="The promotion guard rejected v1 (ROC AUC 0.610 on 25 new labels is below active v2&#x27;s '
        '0.700). Promote it anyway? It stays active, pinned, until you resume automatic promotion."'
    ) in page
    assert '<input type="hidden" name="confirm" value="">' in page
    assert "Roll back to v1…</button>" in page


@pytest.mark.django_db
def test_the_page_says_which_version_resuming_will_promote(two_versions: Any, admin: Any, page_for: Any) -> None:
    first, _ = two_versions
    model_promote(user=admin, version=first)
    held_back = learn_one_label()

    page = page_for(admin).get("/settings/").content.decode()

    assert f"v{held_back.version}, which passed the guard while held back, becomes active now." in page
    response = page_for(admin).post("/settings/models/resume/", follow=True)
    assert (
        f"v{held_back.version}, which passed the guard while v1 was pinned, is active now" in response.content.decode()
    )
