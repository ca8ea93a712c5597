"""The lead list: filters and sorts by score, expected value, uncertainty, industry, source, status, label."""

from __future__ import annotations

import re
from typing import Any

import pytest

from feedback.models import Reason
from feedback.services import label_submit
from leads import selectors as leads_selectors
from leads.models import Lead
from tests.scores import create_scored_lead, spread_scores


def listed(response: Any) -> list[str]:
    assert response.status_code == 200
    return re.findall(r'<td><a href="/leads/[^"]+/">([^<]+)</a>', response.content.decode())


def lost_on_budget(rep: Any, external_id: str) -> None:
    label_submit(
        user=rep, lead=Lead.objects.get(external_id=external_id), outcome="not_converted", reason_code="no_budget"
    )


@pytest.fixture
def scored(make_leads: Any) -> list[str]:
    return spread_scores(make_leads(6))


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
def test_a_label_reason_lists_closed_leads_whatever_the_default_status_says(
    scored: list[str], rep: Any, page_for: Any
) -> None:
    lost_on_budget(rep, scored[2])
    client = page_for(rep)

    for query in ({"reason": "no_budget"}, {"status": "open", "reason": "no_budget"}):
        response = client.get("/leads/", query)
        assert listed(response) == [scored[2]]  # a labeled lead is closed: "Open" could list nothing
        assert selected(response.content.decode(), "status") == "all"
    assert listed(client.get("/leads/", {"status": "converted", "reason": "no_budget"})) == []


@pytest.mark.django_db
def test_a_retired_reason_can_still_be_filtered_by_and_says_it_is_retired(
    scored: list[str], rep: Any, page_for: Any
) -> None:
    lost_on_budget(rep, scored[2])
    Reason.objects.filter(code="no_budget").update(active=False)

    response = page_for(rep).get("/leads/", {"status": "all", "reason": "no_budget"})

    assert listed(response) == [scored[2]]
    assert '<option value="no_budget" selected>Not converted: No budget (retired)</option>' in response.content.decode()


@pytest.mark.django_db
def test_a_bad_filter_value_is_named_on_a_400_page_and_the_others_still_apply(
    scored: list[str], rep: Any, page_for: Any
) -> None:
    response = page_for(rep).get("/leads/", {"score_min": "lots", "industry": "retail"})

    assert response.status_code == 400
    assert "Score ≥ % (“lots”): " in response.content.decode()
    assert re.findall(r'<td><a href="/leads/[^"]+/">([^<]+)</a>', response.content.decode()) == [
        scored[4],
        scored[1],
    ]


def selected(body: str, name: str) -> str:
    """The value a <select> of the filter form shows."""
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', body, re.S)
    assert select is not None, name
    return re.findall(r'<option value="([^"]*)"[^>]*selected', select.group(1))[0]


def field_value(body: str, name: str) -> str | None:
    field = re.search(rf'<input type="number" name="{name}"[^>]*>', body)
    assert field is not None, name
    value = re.search(r'value="([^"]*)"', field.group(0))
    return value.group(1) if value else None


@pytest.mark.django_db
def test_a_score_range_that_ends_below_its_start_says_so_instead_of_finding_nothing(
    scored: list[str], rep: Any, page_for: Any
) -> None:
    response = page_for(rep).get("/leads/", {"score_min": "80", "score_max": "20"})

    body = response.content.decode()
    assert response.status_code == 400
    flash = re.search(r'<p class="flash error".*?</p>', body, re.S).group(0)
    assert "Score ≤ % (“20”): 20% is below Score ≥ 80%: no lead could match" in flash
    assert field_value(body, "score_min") == "80"  # the start still applies; the list shows what it finds


@pytest.mark.django_db
def test_a_bad_filter_value_leaves_the_other_choices_on_the_form_and_names_the_field_by_its_label(
    scored: list[str], rep: Any, page_for: Any
) -> None:
    query = {"score_min": "abc", "status": "all", "sort": "company", "ev_min": "1000"}

    response = page_for(rep).get("/leads/", query)

    body = response.content.decode()
    assert response.status_code == 400
    assert (selected(body, "status"), selected(body, "sort"), field_value(body, "ev_min")) == ("all", "company", "1000")
    assert field_value(body, "score_min") is None  # left out, as the table leaves it out
    assert "Some filters were left out: Score ≥ % (“abc”): Enter a whole number." in body
    two = page_for(rep).get("/leads/", {"score_min": "abc", "uncertainty_min": "99"}).content.decode()
    assert "(“abc”): Enter a whole number; Uncertainty ≥ % (“99”): Enter 0 to 50" in two  # no ".;"
    assert "score_min" not in re.search(r'<p class="flash error".*?</p>', body, re.S).group(0)
    listed_ids = re.findall(r'<td><a href="/leads/[^"]+/">([^<]+)</a>', body)
    companies = [Lead.objects.get(external_id=i).company for i in listed_ids]
    assert companies == sorted(companies) and set(listed_ids) == set(scored[1:])


@pytest.mark.django_db
def test_with_a_bad_value_alone_the_form_shows_the_defaults_the_table_applies(
    scored: list[str], rep: Any, page_for: Any
) -> None:
    Lead.objects.filter(external_id=scored[5]).update(status="converted")

    body = page_for(rep).get("/leads/", {"score_min": "abc"}).content.decode()

    assert (selected(body, "status"), selected(body, "sort")) == ("open", "score")
    assert re.findall(r'<td><a href="/leads/[^"]+/">([^<]+)</a>', body) == scored[4::-1]


@pytest.mark.django_db
def test_the_pager_and_export_links_carry_the_filters_the_page_applies_not_the_bad_value(
    make_leads: Any, manager: Any, page_for: Any
) -> None:
    make_leads(60)

    body = page_for(manager).get("/leads/", {"score_min": "abc", "status": "all", "sort": "company"}).content.decode()

    assert 'href="/leads/export.csv?status=all&amp;sort=company"' in body
    assert 'href="?status=all&amp;sort=company&page=2"' in body
    assert "abc" not in re.sub(r'<p class="flash error".*?</p>', "", body, flags=re.S)


@pytest.mark.django_db
def test_an_industry_outside_the_known_ones_stays_chosen_on_the_form(
    scored: list[str], rep: Any, page_for: Any
) -> None:
    body = page_for(rep).get("/leads/", {"industry": "nonexistent"}).content.decode()

    assert re.search(r'<select name="industry">.*?<option selected>nonexistent</option>', body, re.S)
    assert "No open leads match." in body


@pytest.mark.django_db
def test_the_export_names_a_bad_filter_by_its_label(scored: list[str], manager: Any, page_for: Any) -> None:
    response = page_for(manager).get("/leads/export.csv", {"uncertainty_min": "x"})

    assert response.status_code == 400
    assert response.content.decode().startswith("Uncertainty ≥ % (“x”): ")


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

    assert [[lead.external_id for lead in page.rows] for page in pages] == [
        [scored[2], scored[1]],
        [scored[0], unscored[0]],
        [unscored[1]],
    ]
    assert [page.has_next for page in pages] == [True, True, False]


@pytest.fixture
def near_the_middle(defaults: None) -> dict[str, Lead]:
    """Leads the list shows at 50%, 40%, 39% and 60%, their uncertainty as a rescore writes it."""
    scores = {"fifty": 0.497, "forty": 0.396, "thirty_nine": 0.394, "sixty": 0.604}
    return {
        name: create_scored_lead(external_id=name, score=score, uncertainty=1 - max(score, 1 - score))
        for name, score in scores.items()
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"uncertainty_min": "50"}, {"fifty"}),
        ({"uncertainty_min": "40"}, {"fifty", "forty", "sixty"}),
        ({"uncertainty_min": "0"}, {"fifty", "forty", "thirty_nine", "sixty"}),
        ({"score_min": "40", "score_max": "50"}, {"fifty", "forty"}),
        ({"score_min": "60"}, {"sixty"}),
    ],
)
def test_a_percent_filter_takes_in_every_lead_the_list_shows_at_that_percent(
    near_the_middle: dict[str, Lead], rep: Any, page_for: Any, query: dict[str, str], expected: set[str]
) -> None:
    assert set(listed(page_for(rep).get("/leads/", query))) == expected


@pytest.mark.django_db
def test_the_list_shows_those_leads_at_the_percents_the_filters_take(
    near_the_middle: dict[str, Lead], rep: Any, page_for: Any
) -> None:
    body = page_for(rep).get("/leads/").content.decode()

    shown = dict(re.findall(r'<td><a href="/leads/[^"]+/">([^<]+)</a>.*?</meter> (\d+%)</td>', body, re.S))
    assert shown == {"fifty": "50%", "forty": "40%", "thirty_nine": "39%", "sixty": "60%"}


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["51", "100", "-1"])
def test_the_uncertainty_filter_takes_0_to_50_and_says_so(
    near_the_middle: dict[str, Lead], rep: Any, page_for: Any, value: str
) -> None:
    response = page_for(rep).get("/leads/", {"uncertainty_min": value, "status": "all"})

    body = response.content.decode()
    assert response.status_code == 400
    assert f"Uncertainty ≥ % (“{value}”): Enter 0 to 50" in body
    assert re.search(r'<input type="number" name="uncertainty_min"[^>]* min="0" max="50"', body)
    assert set(re.findall(r'<td><a href="/leads/[^"]+/">([^<]+)</a>', body)) == set(near_the_middle)


def count_line(body: str) -> str:
    found = re.search(r'<p class="muted small lead-count">([^<]*)</p>', body)
    return found.group(1) if found else ""


@pytest.mark.django_db
def test_the_list_says_how_many_leads_match(make_leads: Any, rep: Any, page_for: Any) -> None:
    make_leads(60)
    client = page_for(rep)

    assert count_line(client.get("/leads/").content.decode()) == "60 leads match."
    assert count_line(client.get("/leads/", {"page": "2"}).content.decode()) == "60 leads match."
    assert count_line(client.get("/leads/", {"industry": "retail"}).content.decode()) == "20 leads match."
    assert count_line(client.get("/leads/", {"q": "Company 7"}).content.decode()) == "1 lead matches."
    body = client.get("/leads/", {"q": "nobody"}).content.decode()
    assert count_line(body) == "" and "No open leads match." in body


@pytest.mark.django_db
def test_the_count_stops_at_its_cap(make_leads: Any) -> None:
    from leads.selectors import LeadFilters, lead_page

    make_leads(12)

    first = lead_page(filters=LeadFilters(), number=1, size=2, cap=5)
    deep = lead_page(filters=LeadFilters(), number=4, size=2, cap=5)
    last = lead_page(filters=LeadFilters(), number=6, size=2, cap=5)

    assert (first.matches, first.more, first.pages) == (5, True, None)
    assert (deep.matches, deep.more) == (8, True)  # past the cap: at least the rows up to this page
    assert (last.matches, last.more, last.pages) == (12, False, 6)  # the last page counts exactly


@pytest.mark.django_db
def test_the_list_says_1000_plus_past_its_cap(rep: Any, page_for: Any) -> None:
    Lead.objects.bulk_create([Lead(external_id=f"B{i:04d}", company=f"Bulk {i}") for i in range(1001)])
    client = page_for(rep)

    assert count_line(client.get("/leads/").content.decode()) == "1,000+ leads match."
    assert count_line(client.get("/leads/", {"page": "21"}).content.decode()) == "1,001 leads match."  # the last


@pytest.mark.django_db
@pytest.mark.parametrize("sort", ["score", "company"])
def test_a_page_past_the_end_shows_the_last_page(make_leads: Any, rep: Any, page_for: Any, sort: str) -> None:
    make_leads(60)
    client = page_for(rep)
    last = listed(client.get("/leads/", {"page": "2", "sort": sort}))

    response = client.get("/leads/", {"page": "9999", "sort": sort})

    body = response.content.decode()
    assert listed(response) == last and len(last) == 10
    assert "Page 2 of 2" in body and "← Previous" in body and "Next →" not in body
    assert count_line(body) == "60 leads match."


@pytest.mark.django_db
def test_a_page_far_past_the_end_of_a_big_list_counts_no_further_than_its_cap(
    make_leads: Any, rep: Any, page_for: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_leads(120)
    monkeypatch.setattr("leads.selectors.PAST_END_CAP", 60)  # a list of 120 is "big" here
    counted: list[int] = []
    count = leads_selectors.lead_count
    monkeypatch.setattr(
        "leads.selectors.lead_count", lambda *, filters, cap: counted.append(cap) or count(filters=filters, cap=cap)
    )

    body = page_for(rep).get("/leads/", {"page": "9999", "sort": "company"}).content.decode()

    assert counted[0] == 60  # not 9998 pages' worth
    assert "Page 2" in body and "Next →" in body and count_line(body) == "60+ leads match."


@pytest.mark.django_db
def test_a_page_of_closed_leads_says_they_carry_no_score_not_that_they_await_one(
    scored: list[str], rep: Any, page_for: Any
) -> None:
    label_submit(user=rep, lead=Lead.objects.get(external_id=scored[1]), outcome="converted", reason_code="champion")
    body = page_for(rep).get("/leads/", {"status": "converted"}).content.decode()

    assert "Closed leads carry no score here" in body and "Not scored yet." not in body


@pytest.mark.django_db
def test_a_search_for_a_lead_just_labeled_points_to_every_status(scored: list[str], rep: Any, page_for: Any) -> None:
    lead = Lead.objects.get(external_id=scored[0])
    lost_on_budget(rep, lead.external_id)

    page = page_for(rep).get("/leads/", {"q": lead.company}).content.decode()

    link = re.search(r'No open leads match\. <a href="\?([^"]+)">Look among leads of every status</a>', page)
    assert link is not None
    assert listed(page_for(rep).get("/leads/?" + link.group(1).replace("&amp;", "&"))) == [lead.external_id]
    assert "No open leads" not in page_for(rep).get("/leads/", {"q": "nobody", "status": "all"}).content.decode()


@pytest.mark.django_db
def test_a_reason_code_that_is_no_reason_is_a_problem_named_not_an_empty_list(
    scored: list[str], rep: Any, page_for: Any
) -> None:
    """``reason=nope`` once listed no lead, with no word why, and switched the status to All."""
    response = page_for(rep).get("/leads/", {"reason": "nope"})

    body = response.content.decode()
    assert response.status_code == 400
    assert "Some filters were left out: Label reason (“nope”): no reason has that code" in body
    assert selected(body, "status") == "open"
    assert page_for(rep).get("/leads/", {"reason": "no_budget"}).status_code == 200
