"""HEAD on an API endpoint answers as its GET does, without the body (HTTP asks it of every GET
resource); the role checks are the GET's."""

from __future__ import annotations

from typing import Any

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from config.middleware import ApiHeadMiddleware
from feedback.models import Lease
from tests.conftest import ApiClient


def head(client: ApiClient, path: str) -> Any:
    return client.client.head(path, headers=client.headers)


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/reasons", "/api/leads", "/api/models", "/api/leads.csv"])
def test_head_answers_as_get_without_the_body(path: str, manager: Any, api_for: Any) -> None:
    client = api_for(manager)

    got, headed = client.get(path), head(client, path)

    assert (headed.status_code, got.status_code) == (200, 200)
    assert headed["Content-Type"] == got["Content-Type"]
    assert b"".join(headed.streaming_content if headed.streaming else [headed.content]) == b""


@pytest.mark.django_db
def test_head_of_a_lead_has_the_length_of_its_get(rep: Any, api_for: Any, make_leads: Any) -> None:
    client = api_for(rep)
    lead = make_leads(1)[0]

    headed = head(client, f"/api/leads/{lead}")

    assert headed.status_code == 200 and headed.content == b""
    assert int(headed["Content-Length"]) == len(client.get(f"/api/leads/{lead}").content)


@pytest.mark.django_db
def test_head_keeps_the_gets_role_checks_and_a_post_only_endpoint_says_405(rep: Any, api_for: Any) -> None:
    assert head(ApiClient(None), "/api/reasons").status_code == 401
    assert head(api_for(rep), "/api/leads.csv").status_code == 403
    refused = head(api_for(rep), "/api/labels")
    assert (refused.status_code, refused["Allow"]) == (405, "POST")


@pytest.mark.django_db
def test_head_of_the_queue_is_refused_and_leases_nothing(rep: Any, api_for: Any, make_leads: Any) -> None:
    make_leads(5)

    refused = head(api_for(rep), "/api/queue")

    assert (refused.status_code, refused["Allow"]) == (405, "GET")
    assert not Lease.objects.exists()


def test_the_middleware_itself_strips_the_body_and_keeps_its_length() -> None:
    request = RequestFactory().head("/api/reasons")
    seen: list[str] = []

    def get(inner: Any) -> HttpResponse:
        seen.append(inner.method)
        return HttpResponse(b'{"a": 1}', content_type="application/json")

    response = ApiHeadMiddleware(get)(request)

    assert seen == ["GET"] and request.method == "HEAD"
    assert (response.content, response["Content-Length"]) == (b"", "8")
