"""The permission matrix of the dashboards and settings pages and endpoints: every role, every path."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from config.models import AuditLog
from learning.models import ModelVersion, NextAction, PointRule
from tests.scores import create_scored_lead

MANAGER_GETS = [
    "/dashboards/",
    "/dashboards/?period=week&segment=band",
    "/dashboards/reasons/?outcome=converted&reason=champion",
]
ADMIN_GETS = [
    "/settings/",
    "/settings/preview/?hot_threshold=40",
    "/settings/rules/preview/?kind=activity&value=meeting&points=20",
    "/settings/audit/",
    "/settings/audit/?kind=imports&page=2",
]
ADMIN_POSTS = [
    ("/settings/", {"hot_threshold": "30"}),
    ("/settings/rules/", {"kind": "activity", "value": "meeting", "points": "20"}),
    ("/settings/rules/{rule}/delete/", {}),
    ("/settings/models/1/activate/", {}),
    ("/settings/reasons/", {"code": "new_reason", "label": "New", "outcome": "converted"}),
    ("/settings/reasons/champion/rename/", {"label": "Renamed"}),
    ("/settings/reasons/champion/retire/", {}),
    ("/settings/actions/", {"code": "new_action", "label": "New", "value": "5"}),
    ("/settings/actions/{action}/delete/", {}),
]


@pytest.fixture
def nobody(defaults: None) -> Any:
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_user(username="nobody", password="password-123")


@pytest.fixture
def world(defaults: None) -> dict[str, int]:
    ModelVersion.objects.create(version=1, labels=10, estimator="x", artifact=b"", status="retired")
    return {"rule": PointRule.objects.first().pk, "action": NextAction.objects.first().pk}


def expected_get(role: str, path: str) -> int:
    if path.startswith("/dashboards/"):
        return 200 if role in ("manager", "admin") else 403
    return 200 if role == "admin" else 403


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["rep", "manager", "admin", "nobody"])
@pytest.mark.parametrize("path", MANAGER_GETS + ADMIN_GETS)
def test_each_role_gets_only_its_pages(
    role: str, path: str, request: pytest.FixtureRequest, page_for: Any, world: Any
) -> None:
    response = page_for(request.getfixturevalue(role)).get(path)

    assert response.status_code == expected_get(role, path)


@pytest.mark.django_db
@pytest.mark.parametrize("path", MANAGER_GETS + ADMIN_GETS)
def test_an_anonymous_visitor_is_sent_to_the_login_page(path: str, world: Any) -> None:
    response = Client().get(path)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["rep", "manager", "nobody", "anonymous"])
@pytest.mark.parametrize(("path", "body"), ADMIN_POSTS)
def test_only_an_admin_can_change_settings(
    role: str, path: str, body: dict[str, str], request: pytest.FixtureRequest, page_for: Any, world: Any
) -> None:
    client = Client() if role == "anonymous" else page_for(request.getfixturevalue(role))

    response = client.post(path.format(**world), body)

    assert response.status_code == (302 if role == "anonymous" else 403)
    if role == "anonymous":
        assert response["Location"].startswith("/accounts/login/")
    assert not AuditLog.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(("path", "body"), ADMIN_POSTS)
def test_an_admin_reaches_every_settings_action(
    path: str, body: dict[str, str], admin: Any, page_for: Any, world: Any
) -> None:
    response = page_for(admin).post(path.format(**world), body)

    assert response.status_code in (200, 302, 400)  # 400: the settings form above is deliberately partial
    assert response.status_code != 403


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "/settings/preview/",
        "/settings/rules/preview/",
        "/dashboards/reasons/",
        "/settings/reasons/champion/retire/",
        "/settings/models/1/activate/",
    ],
)
def test_the_wrong_http_method_is_405(path: str, admin: Any, page_for: Any, world: Any) -> None:
    client = page_for(admin)
    response = client.post(path) if "preview" in path or "dashboards" in path else client.get(path)

    assert response.status_code == 405


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "status"), [("rep", 200), ("manager", 200), ("admin", 200)])
def test_next_actions_in_the_api_follow_the_lead_api_roles(
    role: str, status: int, request: pytest.FixtureRequest, api_for: Any, defaults: None
) -> None:

    create_scored_lead(external_id="A1", score=0.5)

    response = api_for(request.getfixturevalue(role)).get("/api/leads/A1")

    assert response.status_code == status
    assert "next_actions" in response.json()


@pytest.mark.django_db
def test_the_lead_api_without_a_token_is_401(defaults: None, api_for: Any) -> None:
    assert api_for(None).get("/api/leads/A1").status_code == 401
