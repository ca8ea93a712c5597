"""Fixtures of the feedback tests: the dashboard team (two reps' labels over two months)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.feedback.dashboard_fixture import build_team


@pytest.fixture
def team(rep: Any, rep2: Any, manager: Any) -> dict[str, Any]:
    users = {"rep1": rep, "rep2": rep2}
    build_team(users)
    return users
