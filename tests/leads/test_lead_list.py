"""The lead list: filters and sorts by score, expected value, uncertainty, industry, source, status, label."""

from __future__ import annotations

import re
from typing import Any

import pytest

from feedback.services import label_submit
from leads.models import Lead
from tests.scores import create_scored_lead, set_score


def listed(response: Any) -> list[str]:
    assert response.status_code == 200
    return re.findall(r'<td><a href="/leads/[^"]+/">([^<]+)</a>', response.content.decode())


@pytest.fixture
def scored(make_leads: Any) -> list[str]:
    ids = make_leads(6)
    for i, external_id in enumerate(ids):
        set_score(
            Lead.objects.get(external_id=external_id),
            score=0.1 + 0.15 * i,
            expected_value=1000.0 * i,
            uncertainty=[0.1, 0.45, 0.3, 0.2, 0.05, 0.4][i],
        )
    return ids


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"score_min": "40"}, [5, 4, 3, 2]),
        ({"score_min": "20", "score_max": "60"}, [3, 2, 1]),
        ({"ev_min": "3500"}, [5, 4]),
        ({"uncertainty_min": "30"}, [5, 2, 1]),
        ({"sort": "expected_value", "ev_min": "1"}, [5, 4, 3, 2, 1]),
        ({"sort": "uncertainty"}, [1, 5, 2, 3, 0, 4]),
        ({"sort": "-score"}, [0, 1, 2, 3, 4, 5]),
        ({"industry": "retail"}, [4, 1]),
        ({"source": "referral"}, [4, 2, 0]),
    ],
)
def test_the_list_filters_and_sorts(
    query: dict[str, str], expected: list[int], scored: list[str], rep: Any, page_for: Any
) -> None:
    assert listed(page_for(rep).get("/leads/", query)) == [scored[i] for i in expected]


@pytest.mark.django_db
def test_the_list_filters_by_label_outcome_and_reason(scored: list[str], rep: Any, page_for: Any) -> None:
    for i, (outcome, reason) in {1: ("converted", "champion"), 2: ("not_converted", "no_budget")}.items():
        label_submit(user=rep, lead=Lead.objects.get(external_id=scored[i]), outcome=outcome, reason_code=reason)
    client = page_for(rep)

    assert listed(client.get("/leads/", {"status": "all", "reason": "no_budget"})) == [scored[2]]
    assert listed(client.get("/leads/", {"status": "converted"})) == [scored[1]]
    assert scored[1] not in listed(client.get("/leads/"))  # open leads by default


@pytest.mark.django_db
def test_a_bad_filter_value_is_named_on_a_400_page_and_the_others_still_apply(
    scored: list[str], rep: Any, page_for: Any
) -> None:
    response = page_for(rep).get("/leads/", {"score_min": "lots", "industry": "retail"})

    assert response.status_code == 400
    assert "score_min: " in response.content.decode()
    assert re.findall(r'<td><a href="/leads/[^"]+/">([^<]+)</a>', response.content.decode()) == [
        scored[4],
        scored[1],
    ]


@pytest.mark.django_db
def test_the_list_pages_through_many_leads(make_leads: Any, rep: Any, page_for: Any) -> None:
    make_leads(60)
    client = page_for(rep)

    first, second = listed(client.get("/leads/")), listed(client.get("/leads/", {"page": "2"}))

    assert (len(first), len(second)) == (50, 10)
    assert not set(first) & set(second)


@pytest.mark.django_db
def test_a_score_sort_lists_the_leads_not_scored_yet_after_the_scored_ones_across_pages() -> None:
    from leads.selectors import LeadFilters, lead_page

    scored = [create_scored_lead(external_id=f"S{i}", score=0.2 * (i + 1)).external_id for i in range(3)]
    unscored = [Lead.objects.create(external_id=f"U{i}").external_id for i in range(2)]

    pages = [lead_page(filters=LeadFilters(sort="score"), number=n, size=2) for n in (1, 2, 3)]

    assert [[lead.external_id for lead in rows] for rows, _ in pages] == [
        [scored[2], scored[1]],
        [scored[0], unscored[0]],
        [unscored[1]],
    ]
    assert [more for _, more in pages] == [True, True, False]
