"""The dashboards page as a manager reads it: one period for everything, the answer on top."""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import parse_qsl

import pytest

from feedback.models import Label, Reason
from leads.models import Lead

AUTUMN = {"period": "custom", "start": "2026-10-01", "end": "2026-11-30"}


def get(page_for: Any, manager: Any, query: dict[str, str]) -> str:
    response = page_for(manager).get("/dashboards/", query)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.django_db
def test_the_page_says_which_period_it_shows_and_answers_on_top(team: Any, manager: Any, page_for: Any) -> None:
    text = get(page_for, manager, AUTUMN)

    assert "1 Oct – 30 Nov 2026" in text
    assert "imported history left out" in text
    assert "Lost deals by reason and industry, 1 Oct – 30 Nov 2026" in text
    assert re.search(r"Top reason: <a [^>]+><strong>No budget</strong></a>, 2 of 2 lost deals · <span", text)
    assert "few labels (2 lost)</span>" in text  # the share stands on 2 lost deals, and says which
    assert "<strong>No budget</strong> in retail" in text


@pytest.mark.django_db
def test_a_top_reason_not_clearly_ahead_of_the_next_says_so(team: Any, manager: Any, page_for: Any) -> None:
    assert "not clearly ahead of" not in get(page_for, manager, AUTUMN)  # 2 of 2: nothing to compare
    lost = Label.objects.filter(reason__code="no_budget").order_by("pk").first()
    assert lost is not None
    Label.objects.filter(pk=lost.pk).update(reason=Reason.objects.get(code="poor_fit"))  # 1 and 1 of 2

    text = get(page_for, manager, AUTUMN)

    assert re.search(r"Top reason: <a [^>]+><strong>No budget</strong></a>, 1 of 2 lost deals · ", text)
    assert re.search(r", not clearly ahead of <a [^>]+><strong>Poor fit</strong></a> \(1 · ", text)


@pytest.mark.django_db
def test_every_matrix_cell_and_chart_links_carry_the_period(team: Any, manager: Any, page_for: Any) -> None:
    text = html.unescape(get(page_for, manager, AUTUMN))

    links = re.findall(r'href="/dashboards/reasons/\?([^"]*)"', text)
    assert links
    dates = [(dict(parse_qsl(q)).get("start", ""), dict(parse_qsl(q)).get("end", "")) for q in links]
    outside = [d for d in dates if not ("2026-10-01" <= d[0] < d[1] <= "2026-12-01")]
    assert outside == []
    assert "outcome=not_converted&reason=no_budget&industry=retail&start=2026-10-01&end=2026-12-01" in text


@pytest.mark.django_db
def test_the_history_toggle_brings_imported_labels_in(team: Any, manager: Any, page_for: Any) -> None:
    without = get(page_for, manager, {**AUTUMN, "segment": "source"})
    with_history = get(page_for, manager, {**AUTUMN, "segment": "source", "history": "on"})

    assert "Poor fit" in with_history and "history=1" in with_history
    assert "imported history <strong>included</strong>" in with_history
    assert "history=1" not in without


@pytest.mark.django_db
def test_won_deals_by_rep(team: Any, manager: Any, page_for: Any) -> None:
    text = get(page_for, manager, {**AUTUMN, "outcome": "converted", "segment": "rep"})

    assert "Won deals by reason and rep" in text
    assert "Strong internal champion" in text


@pytest.mark.django_db
def test_figures_on_fewer_than_thirty_labels_say_so(team: Any, manager: Any, page_for: Any) -> None:
    text = get(page_for, manager, AUTUMN)

    assert "few labels (5)" in text  # the lost rate of all five rep labels
    assert "Too few labels with a score" in text
    quality = re.sub(r"<[^>]+>", "", text.split('id="quality"')[1].split('id="disagree"')[0])
    assert not re.search(r"(?<![\d.])(0|100)%", quality)  # no 0% or 100% (the mix's "20% … random" is not one)


@pytest.mark.django_db
def test_counts_have_thousands_separators(defaults: None, rep: Any, manager: Any, page_for: Any) -> None:
    leads = Lead.objects.bulk_create(Lead(external_id=f"B{i}", industry="retail") for i in range(1200))
    Label.objects.bulk_create(Label(lead=lead, outcome="not_converted", user=rep) for lead in leads)

    text = get(page_for, manager, {})

    assert "1,200" in text and "1200" not in text


@pytest.mark.django_db
def test_a_custom_range_without_dates_is_reported_and_the_default_shown(team: Any, manager: Any, page_for: Any) -> None:
    text = get(page_for, manager, {"period": "custom", "start": "2026-10-01"})

    assert "a custom range needs both dates" in text
    assert "Showing <strong>Last 30 days (" in text


@pytest.mark.django_db
def test_the_page_draws_svg_charts_with_tables_and_no_inline_script(team: Any, manager: Any, page_for: Any) -> None:
    text = get(page_for, manager, {**AUTUMN, "segment": "band"})

    assert text.count("<svg") >= 6
    assert text.count("<details>") >= 5
    assert "cdn" not in text.lower()
    assert "Surprise win" in text  # the disagreement table shows the rep's note
    assert re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text) is None
    assert 'style="' not in text
    assert "dashboards.js" in text and "dashboards.css" in text


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    [{}, {"period": "week", "segment": "rep"}, {"period": "quarter", "outcome": "converted"}, {"segment": "nonsense"}],
)
def test_the_page_answers_on_an_empty_database(manager: Any, page_for: Any, query: dict[str, str]) -> None:
    assert page_for(manager).get("/dashboards/", query).status_code == 200


@pytest.mark.django_db
def test_the_filters_show_the_defaults_the_page_uses(team: Any, manager: Any, page_for: Any) -> None:
    text = get(page_for, manager, {"outcome": "converted"})

    assert re.search(r'<option value="30d" selected>Last 30 days</option>', text)
    assert re.search(r'<option value="industry" selected>', text)
    assert re.search(r'<option value="converted" selected>', text)


@pytest.mark.django_db
def test_a_disagreement_shows_the_score_precisely_enough_to_sit_under_its_cut(
    team: Any, manager: Any, page_for: Any
) -> None:
    Label.objects.filter(lead__external_id="L5").update(score_seen=0.196)  # under 20%, "20%" when rounded
    text = get(page_for, manager, AUTUMN).split('id="disagree"')[1]

    assert '<td class="num">19.6%</td>' in text


@pytest.mark.django_db
def test_the_dashboard_shows_the_newest_disagreements_and_links_to_all(
    team: Any, manager: Any, page_for: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    Label.objects.filter(outcome="converted").update(score_seen=0.1)  # every win a surprise
    monkeypatch.setattr("feedback.views.DISAGREEMENTS_SHOWN", 1)
    text = get(page_for, manager, AUTUMN).split('id="disagree"')[1].split("</section>")[0]

    won = text.split("Won, though scored under")[1].split("Lost, though scored")[0]
    shown = len(re.findall(r"<tr><td><a ", won))
    count = int(re.search(r'class="count"[^>]*>(\d+)</a>', won).group(1))
    assert shown == 1 < count
    assert "The newest 1 shown; <a " in won and f"all {count} with their notes</a>" in won


@pytest.mark.django_db
def test_the_answer_names_the_top_reason_given_and_says_apart_how_many_gave_none(
    team: Any, manager: Any, page_for: Any
) -> None:
    Label.objects.filter(lead__external_id__in=["L3", "L6"]).update(reason=None)

    text = get(page_for, manager, {**AUTUMN, "history": "on"})
    answer = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", text.split('class="answer"')[1].split("</p>")[0]))

    assert "Top reason: No budget, 1 of 3" in answer
    assert "2 of the 3 lost deals give no reason." in answer
    assert "Top reason: No reason given" not in answer


@pytest.mark.django_db
def test_the_biggest_spot_of_a_rep_names_the_rep_as_a_rep(team: Any, manager: Any, page_for: Any) -> None:
    text = get(page_for, manager, {**AUTUMN, "segment": "rep"})

    assert "<strong>No budget</strong> for rep rep2</a>, 2 of 2 lost there" in text


@pytest.mark.django_db
def test_a_weighted_share_beside_raw_counts_says_it_is_weighted(
    defaults: None, rep: Any, manager: Any, page_for: Any
) -> None:
    leads = Lead.objects.bulk_create(Lead(external_id=f"W{i}", industry="retail") for i in range(40))
    picks = [("competitor", 0.5)] * 12 + [("no_budget", 0.1)] * 28  # the queue picked the no-budget leads rarely
    reasons = {code: Reason.objects.get(code=code) for code in ("competitor", "no_budget")}
    Label.objects.bulk_create(
        Label(lead=lead, outcome="not_converted", reason=reasons[code], user=rep, propensity=p)
        for lead, (code, p) in zip(leads, picks, strict=True)
    )

    text = get(page_for, manager, {})
    answer = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", text.split('class="answer"')[1].split("</p>")[0]))

    # 12 of 40 is 30% of the labels, but 8% once weighted: the page must not print "12 of 40: 8%".
    assert "Top reason: No budget, 28 of 40 lost deals · 92% weighted" in answer
    assert "lost rate 100% weighted" in answer
    assert 'title="12 of 40 lost deals; weighted share 8%"' in text
    assert 'Lost rate <span class="small">(weighted)</span>' in text
    assert "<strong>weighted</strong> share of the row" in text
    assert "Weighted share of outcome" in text


@pytest.mark.django_db
def test_the_reason_legend_names_a_retired_reason_only_while_the_charts_show_it(
    team: Any, manager: Any, page_for: Any
) -> None:
    Reason.objects.filter(code__in=["no_budget", "unresponsive"]).update(active=False)  # labels carry no_budget

    legends = re.findall(r'<ul class="legend">(.*?)</ul>', get(page_for, manager, AUTUMN), flags=re.S)
    reasons = next(items for items in legends if "No reason given" in items)
    names = re.findall(r"</svg>([^<]+)</li>", reasons)

    assert "No budget (retired)" in names and "Bad timing" in names  # an active reason stays, labels or not
    assert not any(name.startswith("Went silent") for name in names)


@pytest.mark.django_db
def test_each_disagreement_count_opens_exactly_the_labels_behind_it(team: Any, manager: Any, page_for: Any) -> None:
    """The counts by reason and by rep link to the drill-down of those labels only (they opened
    every label with that reason: 'Clear value for the price (4)' listed 27)."""
    client = page_for(manager)
    text = get(page_for, manager, AUTUMN).split('id="disagree"')[1].split("</section>")[0]
    links = re.findall(r'<a (?:class="count" )?href="(/dashboards/reasons/\?[^"]+)">([^<]+)</a>(?: \((\d+)\))?', text)
    assert any("rep=" in href for href, _, _ in links) and any("reason=" in href for href, _, _ in links)

    for href, _name, shown in links:
        drill = client.get(href.replace("&amp;", "&"))
        assert drill.status_code == 200
        listed = len(drill.context["labels"])
        expected = int(shown) if shown else int(_name)  # a title's count is the link text itself
        assert listed == expected, (href, listed, expected)


@pytest.mark.django_db
def test_a_period_before_any_model_says_so_instead_of_no_model_yet(team: Any, manager: Any, page_for: Any) -> None:
    from learning.models import ModelVersion

    ModelVersion.objects.create(version=1, labels=40, metrics={"roc_auc": 0.7}, status="active")
    text = get(page_for, manager, {"period": "custom", "start": "2025-01-01", "end": "2025-01-31"})
    quality = text.split('id="quality"')[1].split('id="disagree"')[0]

    assert "No model version had been trained by the end of" in quality
    assert "No model yet" not in quality and "cold-start point rules" not in quality


@pytest.mark.django_db
def test_a_rows_count_opens_the_labels_it_counts_as_its_cells_do(team: Any, manager: Any, page_for: Any) -> None:
    """'Every number opens the labels behind it': the outcome's count per row and in All too."""
    client = page_for(manager)
    text = get(page_for, manager, AUTUMN)
    matrix = text.split('id="reason-matrix"')[1].split("</table>")[0]
    counts = re.findall(r'<td class="num"><a href="(/dashboards/reasons/\?[^"]+)">(\d+)', matrix)

    assert len(counts) >= 2  # the rows' and All's
    for href, shown in counts:
        drill = client.get(href.replace("&amp;", "&"))
        assert len(drill.context["labels"]) == int(shown), href


@pytest.mark.django_db
def test_calibration_and_gain_tables_number_their_groups_from_the_highest_scores(
    rep: Any, manager: Any, page_for: Any
) -> None:
    leads = Lead.objects.bulk_create(Lead(external_id=f"G{i}") for i in range(90))
    Label.objects.bulk_create(
        Label(lead=lead, outcome="converted" if i % 2 else "not_converted", user=rep, score_seen=i / 100)
        for i, lead in enumerate(leads)
    )

    quality = get(page_for, manager, {}).split('id="quality"')[1].split('id="disagree"')[0]
    tables = [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", table)) for table in quality.split("<table>")[1:3]]
    calibration, gain = tables

    assert "Lift by score group (group 1 holds the highest scores;" in quality
    assert calibration.startswith(" Group 1 holds the highest scores. Group Labels Scores ")
    assert gain.startswith(" Group 1 holds the highest scores. Group Labels Converted ")
    assert " 1 30 60%–89% " in calibration and " 3 30 0%–29% " in calibration
    assert calibration.index(" 1 30 60%–89% ") < calibration.index(" 3 30 0%–29% ")


@pytest.mark.django_db
def test_a_thin_rows_two_few_label_notes_say_which_count_each_is(
    defaults: None, rep: Any, manager: Any, page_for: Any
) -> None:
    """Retail: 11 lost of 16 labels. The count column marks the 11 lost deals, the rate column counts
    all 16 labels; '11 few' beside 'few labels (16)' read as two answers to one question."""
    leads = Lead.objects.bulk_create(Lead(external_id=f"T{i}", industry="retail") for i in range(16))
    Label.objects.bulk_create(
        Label(lead=lead, outcome="not_converted" if i < 11 else "converted", user=rep) for i, lead in enumerate(leads)
    )

    text = get(page_for, manager, {})
    row = text.split('id="reason-matrix"')[1].split("<tbody>")[1].split("</tr>")[0]
    row_words = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row))

    assert re.search(r"retail 11 few lost few labels \(16 lost or won\) ", row_words)
    assert 'title="11 lost deals, fewer than 30: too few for shares, so its cells show counts only"' in row
    assert "few labels (16 lost or won)" in text.split('id="reasons"')[1]  # the chart's note and its table
    assert "11 · few labels (16 lost or won)" in text
    assert "“few labels (N lost or won)”, N counting every label of the row" in text


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("start", "end", "problem"),
    [
        ("2026-01-01", "9999-12-31", "end: a day from 1970 to 2100"),  # was a 500: the day after it overflowed
        ("0001-01-01", "2026-12-01", "start: a day from 1970 to 2100"),  # was 42 s and 118 MB of weekly bars
        ("2000-01-01", "2026-12-01", "end: a custom range spans at most ten years"),
        ("2090-01-01", "2090-01-31", "start: the range starts after today: no label can fall in it yet"),
    ],
)
def test_a_range_no_team_has_labels_for_is_refused_quickly(
    team: Any, manager: Any, page_for: Any, start: str, end: str, problem: str
) -> None:
    text = html.unescape(get(page_for, manager, {"period": "custom", "start": start, "end": end}))

    assert f"{problem} — showing last 30 days" in text
    drill = page_for(manager).get("/dashboards/reasons/", {"start": start, "end": end})
    assert drill.status_code == 200
