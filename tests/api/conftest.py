"""Fixtures shared by the API tests: a user without a role, leads with scores."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model

# The keys DESIGN.md promises for a lead; the API may add more, never drop these.
LEAD_KEYS = {
    "external_id",
    "score",
    "fit_score",
    "behavior_score",
    "expected_value",
    "uncertainty",
    "model_version",
    "scored_at",
    "explanation",
    "label",
}


@pytest.fixture
def nobody(defaults: None) -> Any:
    """A signed-up user no admin has given a role yet."""
    return get_user_model().objects.create_user(username="nobody", password="password-123")


@pytest.fixture
def scored_leads(make_leads: Any) -> list[str]:
    """Six open leads scored by the cold-start rules, as the worker would score them."""
    from learning.rescoring import rescore_open_leads

    ids = make_leads(6)
    rescore_open_leads()
    return ids
