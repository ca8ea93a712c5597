"""GET /api/queue?limit=N: the caller's next leads, each leased to the caller."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from feedback.models import Lease
from feedback.services import label_submit
from leads.models import Lead
from tests.api.conftest import LEAD_KEYS


def queued(client: Any, **params: Any) -> list[str]:
    response = client.get("/api/queue", **params)
    assert response.status_code == 200, response.content
    return [lead["external_id"] for lead in response.json()["leads"]]


@pytest.mark.django_db
def test_it_returns_open_leads_in_the_design_shape(rep: Any, api_for: Any, scored_leads: list[str]) -> None:
    response = api_for(rep).get("/api/queue", limit=3)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"leads"}
    assert len(body["leads"]) == 3
    for lead in body["leads"]:
        assert set(lead) >= LEAD_KEYS
        assert lead["external_id"] in scored_leads
        assert 0.0 <= lead["score"] <= 1.0
        assert lead["label"] is None


@pytest.mark.django_db
def test_it_leases_the_leads_to_the_caller(rep: Any, api_for: Any, make_leads: Any) -> None:
    make_leads(6)

    ids = queued(api_for(rep), limit=4)

    leases = Lease.objects.filter(lead__external_id__in=ids)
    assert leases.count() == 4
    assert {lease.user for lease in leases} == {rep}
    assert all(lease.expires_at > timezone.now() for lease in leases)


@pytest.mark.django_db
def test_a_second_rep_gets_different_leads(rep: Any, rep2: Any, api_for: Any, make_leads: Any) -> None:
    make_leads(6)

    first = queued(api_for(rep), limit=3)
    second = queued(api_for(rep2), limit=3)

    assert len(first) == len(second) == 3
    assert not set(first) & set(second)


@pytest.mark.django_db
def test_the_same_rep_asking_again_gets_the_same_leads(rep: Any, api_for: Any, make_leads: Any) -> None:
    make_leads(6)
    client = api_for(rep)

    assert set(queued(client, limit=3)) == set(queued(client, limit=3))


@pytest.mark.django_db
def test_it_returns_fewer_leads_when_the_pool_runs_dry(rep: Any, rep2: Any, api_for: Any, make_leads: Any) -> None:
    make_leads(4)

    assert len(queued(api_for(rep), limit=3)) == 3
    assert len(queued(api_for(rep2), limit=3)) == 1


@pytest.mark.django_db
def test_an_expired_lease_frees_the_lead_for_another_rep(rep: Any, rep2: Any, api_for: Any, make_leads: Any) -> None:
    make_leads(2)
    mine = queued(api_for(rep), limit=2)
    Lease.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    assert set(queued(api_for(rep2), limit=2)) == set(mine)


@pytest.mark.django_db
def test_labeled_leads_are_never_queued(rep: Any, api_for: Any, make_leads: Any) -> None:
    ids = make_leads(3)
    label_submit(user=rep, lead=Lead.objects.get(external_id=ids[0]), outcome="converted", reason_code="champion")

    assert set(queued(api_for(rep), limit=10)) == set(ids[1:])


@pytest.mark.django_db
def test_the_default_limit_is_ten(rep: Any, api_for: Any, make_leads: Any) -> None:
    make_leads(12)

    assert len(queued(api_for(rep))) == 10


@pytest.mark.django_db
def test_an_admin_may_take_a_queue_too(admin: Any, api_for: Any, make_leads: Any) -> None:
    make_leads(2)

    assert len(queued(api_for(admin), limit=1)) == 1


@pytest.mark.django_db
@pytest.mark.parametrize("limit", [0, -1, 101, 1000, "ten"])
def test_it_answers_400_naming_limit_for_a_bad_limit(limit: Any, rep: Any, api_for: Any, make_leads: Any) -> None:
    make_leads(2)

    response = api_for(rep).get("/api/queue", limit=limit)

    assert response.status_code == 400
    body = response.json()
    assert body["detail"].startswith("limit: ")
    assert [error["field"] for error in body["errors"]] == ["limit"]
    assert not Lease.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["manager", "nobody"])
def test_it_answers_403_to_anyone_but_reps_and_admins(
    role: str, request: pytest.FixtureRequest, api_for: Any, make_leads: Any
) -> None:
    make_leads(2)

    response = api_for(request.getfixturevalue(role)).get("/api/queue")

    assert response.status_code == 403
    assert not Lease.objects.exists()


@pytest.mark.django_db
def test_it_answers_401_without_a_token_or_with_a_bad_one(make_leads: Any, api_for: Any) -> None:
    from tests.conftest import ApiClient

    make_leads(2)

    assert api_for(None).get("/api/queue").status_code == 401
    assert ApiClient("bad-key").get("/api/queue").status_code == 401
    assert not Lease.objects.exists()


@pytest.mark.django_db
def test_it_answers_405_to_a_post(rep: Any, api_for: Any, make_leads: Any) -> None:
    make_leads(2)

    assert api_for(rep).post("/api/queue", {"limit": 1}).status_code == 405


@pytest.mark.django_db
def test_a_mistyped_parameter_is_a_400_naming_it_and_leases_nothing(
    rep: Any, api_for: Any, scored_leads: list[str]
) -> None:
    """``limt=2`` once leased the default ten leads to the caller."""
    response = api_for(rep).get("/api/queue", limt=2)

    assert response.status_code == 400
    assert "limt: not a parameter of this endpoint" in response.json()["detail"]
    assert not Lease.objects.exists()
