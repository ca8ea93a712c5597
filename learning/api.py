from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Router, Schema

from config.apiauth import refuse_unknown_parameters, responses, token_auth
from config.roles import READERS
from learning.models import ModelStatus
from learning.selectors import model_versions

router = Router(tags=["learning"])


class ModelOut(Schema):
    version: int
    active: bool
    status: Literal[tuple(ModelStatus.values)]  # type: ignore[valid-type]
    created_at: datetime
    labels: int
    estimator: str
    metrics: dict[str, Any]
    note: str


@router.get("/models", response=responses({200: list[ModelOut]}), auth=token_auth(READERS))
def models_list(request: HttpRequest) -> list[Any]:
    """Model versions, newest first, with held-out metrics."""
    refuse_unknown_parameters(request)
    return model_versions()
