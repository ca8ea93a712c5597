"""GET /api/models: model versions, newest first, with their held-out metrics."""

from __future__ import annotations

from typing import Any

import pytest

from feedback.models import Label
from learning.models import ModelStatus, ModelVersion
from tests.conftest import ApiClient


def add_version(version: int, status: str, labels: int) -> ModelVersion:
    return ModelVersion.objects.create(
        version=version,
        status=status,
        estimator="LeadScorer",
        labels=labels,
        metrics={"roc_auc": 0.7, "precision": 0.5},
        artifact=b"",
    )


@pytest.mark.django_db
def test_it_answers_an_empty_list_before_any_training(rep: Any, api_for: Any) -> None:
    response = api_for(rep).get("/api/models")

    assert response.status_code == 200
    assert response.json() == []


@pytest.mark.django_db
def test_it_lists_versions_newest_first_in_the_design_shape(manager: Any, api_for: Any) -> None:
    add_version(1, ModelStatus.RETIRED, 10)
    add_version(2, ModelStatus.ACTIVE, 20)
    add_version(3, ModelStatus.REJECTED, 30)

    body = api_for(manager).get("/api/models").json()

    assert [(m["version"], m["active"], m["labels"]) for m in body] == [(3, False, 30), (2, True, 20), (1, False, 10)]
    for model in body:
        assert {"version", "active", "created_at", "labels", "metrics"} <= set(model)
        assert model["metrics"] == {"roc_auc": 0.7, "precision": 0.5}
        assert model["created_at"]
        assert "artifact" not in model


@pytest.mark.django_db
def test_a_trained_model_is_listed_as_active(rep: Any, api_for: Any, make_leads: Any) -> None:
    from learning.services.loop import run_learning_loop

    make_leads(16, labeled=1.0)
    run_learning_loop()

    body = api_for(rep).get("/api/models").json()

    assert len(body) == 1
    model = body[0]
    assert (model["version"], model["active"], model["labels"]) == (1, True, Label.objects.count())
    assert 0.0 <= model["metrics"]["roc_auc"] <= 1.0


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["rep", "manager", "admin"])
def test_every_role_can_read_the_models(role: str, request: pytest.FixtureRequest, api_for: Any) -> None:
    assert api_for(request.getfixturevalue(role)).get("/api/models").status_code == 200


@pytest.mark.django_db
def test_a_user_without_a_role_gets_403(nobody: Any, api_for: Any) -> None:
    assert api_for(nobody).get("/api/models").status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize("key", [None, "bad-key"])
def test_it_answers_401_without_a_valid_token(key: str | None, defaults: None) -> None:
    assert ApiClient(key).get("/api/models").status_code == 401


@pytest.mark.django_db
def test_it_answers_405_to_a_post(admin: Any, api_for: Any) -> None:
    assert api_for(admin).post("/api/models", {"version": 1}).status_code == 405
