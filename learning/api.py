from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from config.apiauth import token_auth
from config.roles import READERS
from learning.selectors import model_versions

router = Router(tags=["learning"])


class ModelOut(Schema):
    version: int
    active: bool
    status: str
    created_at: datetime
    labels: int
    estimator: str
    metrics: dict[str, Any]
    note: str


@router.get("/models", response=list[ModelOut], auth=token_auth(READERS))
def models_list(request: HttpRequest) -> list[Any]:
    """Model versions, newest first, with held-out metrics."""
    return model_versions()
