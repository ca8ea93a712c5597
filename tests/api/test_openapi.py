"""GET /api/openapi.json: the document that describes the API to other tools."""

from __future__ import annotations

from typing import Any

import pytest

EXPECTED = {
    "/api/leads/{external_id}": "get",
    "/api/queue": "get",
    "/api/labels": "post",
    "/api/reasons": "get",
    "/api/models": "get",
    "/api/leads/bulk": "post",
    "/api/activities/bulk": "post",
    "/api/leads": "get",
    "/api/leads.csv": "get",
}


@pytest.mark.django_db
def test_it_serves_the_document_with_every_path(rep: Any, api_for: Any) -> None:
    response = api_for(rep).get("/api/openapi.json")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    document = response.json()
    assert document["openapi"].startswith("3.")
    assert document["info"]["title"] == "Leadloop API"
    for path, method in EXPECTED.items():
        assert method in document["paths"].get(path, {}), path


@pytest.mark.django_db
def test_it_describes_the_token_header(rep: Any, api_for: Any) -> None:
    schemes = api_for(rep).get("/api/openapi.json").json()["components"]["securitySchemes"]

    assert any(s.get("type") == "apiKey" and s.get("name") == "Authorization" for s in schemes.values())


@pytest.mark.django_db
def test_the_queue_limit_is_described_with_its_bounds(rep: Any, api_for: Any) -> None:
    parameters = api_for(rep).get("/api/openapi.json").json()["paths"]["/api/queue"]["get"]["parameters"]

    limit = next(p for p in parameters if p["name"] == "limit")
    assert (limit["schema"]["minimum"], limit["schema"]["maximum"]) == (1, 100)
