"""Attribute values of any content travel every bulk read path intact (issue 16, finding 1):
a comma or a newline in one custom value used to stop all learning on PostgreSQL."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leads.frames import lead_profiles_frame, open_lead_keys_and_scores
from leads.models import Lead, LeadStatus
from leads.services import import_leads
from learning import rescoring
from learning.models import LoopSettings
from learning.scoring import explain_leads
from learning.services.training import train_model_version

HOSTILE = [
    "Berlin, Germany",
    "APAC\nSouth",
    'say "hello", then ""leave""',
    "tab\there",
    "carriage\r\nreturn",
    "עברית, ימין לשמאל",
    "\u202eevil\u202c",
    "\\N",
    "NULL",
    "nan",
    "'",
    ",,,",
    '"',
    "x" * 10_240,
    "ü" * 5_000,
]


def _import(values: list[str], *, labeled: bool = False) -> list[int]:
    rows = []
    for i, value in enumerate(values):
        row = {"external_id": f"H{i:03d}", "industry": ["software", "retail"][i % 2], "city": value, "note": value}
        if labeled:
            row["outcome"] = "converted" if i % 2 else "not_converted"
        rows.append(row)
    result = import_leads(rows=enumerate(rows, start=2), outcome_column="outcome" if labeled else None)
    assert result.rejected == 0, [str(error) for error in result.errors]
    return list(Lead.objects.order_by("external_id").values_list("id", flat=True))


@pytest.mark.django_db
def test_attribute_values_with_commas_quotes_newlines_and_rtl_come_back_intact_from_the_bulk_read(
    defaults: None,
) -> None:
    ids = _import(HOSTILE)

    frame = lead_profiles_frame(lead_ids=ids)

    assert frame["city"].tolist() == HOSTILE
    assert frame["note"].tolist() == HOSTILE
    assert frame["industry"].tolist() == ["software", "retail"] * (len(HOSTILE) // 2) + ["software"]


@pytest.mark.django_db
def test_a_lead_without_an_attribute_reads_it_as_missing_next_to_one_with_a_hostile_value(defaults: None) -> None:
    import_leads(rows=enumerate([{"external_id": "A", "city": "Berlin, Germany"}, {"external_id": "B"}], start=2))
    ids = list(Lead.objects.order_by("external_id").values_list("id", flat=True))

    frame = lead_profiles_frame(lead_ids=ids)

    assert frame.loc[ids[0], "city"] == "Berlin, Germany"
    assert pd.isna(frame.loc[ids[1], "city"])


@pytest.mark.django_db
def test_external_ids_with_commas_and_newlines_come_back_intact_for_the_webhook_diff(defaults: None) -> None:
    external_ids = ["a,b", 'q"q', "line\nbreak", "tab\tid"]
    import_leads(rows=enumerate([{"external_id": key} for key in external_ids], start=2))

    assert sorted(open_lead_keys_and_scores()["external_id"]) == sorted(external_ids)


@pytest.mark.django_db
def test_the_loop_trains_rescores_and_explains_leads_with_hostile_attribute_values(defaults: None) -> None:
    LoopSettings.objects.update(min_labels_per_outcome=2)
    _import(HOSTILE * 2, labeled=True)
    import_leads(
        rows=enumerate(
            [{"external_id": f"O{i}", "industry": "software", "city": value} for i, value in enumerate(HOSTILE)],
            start=2,
        )
    )

    version = train_model_version(labels_revision=1)
    result = rescoring.rescore_open_leads()

    assert version is not None
    open_leads = Lead.objects.filter(status=LeadStatus.OPEN)
    assert result.leads == open_leads.count() == len(HOSTILE)
    assert not open_leads.filter(score__isnull=True).exists()
    explained = list(open_leads)
    explain_leads(leads=explained)
    assert all(lead.explanation for lead in explained)
    lines = [line for lead in explained for line in lead.explanation]
    assert all(len(line) <= 120 and "\n" not in line for line in lines), "a reason is one short line"


# Any text a database stores (PostgreSQL refuses NUL; no UTF-8 holds a lone surrogate).
storable = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), min_size=1, max_size=60
).filter(lambda text: text.strip() != "")
values = st.lists(st.one_of(storable, st.sampled_from(HOSTILE)), min_size=6, max_size=10)


@pytest.mark.django_db
@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cities=values)
def test_any_attribute_values_survive_import_train_rescore_and_explanation(defaults: None, cities: list[str]) -> None:
    Lead.objects.all().delete()
    LoopSettings.objects.update(min_labels_per_outcome=2)
    ids = _import(cities, labeled=True)
    import_leads(rows=enumerate([{"external_id": f"O{i}", "city": c} for i, c in enumerate(cities)], start=2))

    assert lead_profiles_frame(lead_ids=ids)["city"].tolist() == [city.strip() for city in cities]
    train_model_version(labels_revision=1)
    result = rescoring.rescore_open_leads()
    open_leads = list(Lead.objects.filter(status=LeadStatus.OPEN))
    explain_leads(leads=open_leads)

    assert result.leads == len(open_leads) == len(cities)
    assert all(isinstance(lead.explanation, list) for lead in open_leads)
    assert all(isinstance(line, str) for lead in open_leads for line in lead.explanation)


@pytest.mark.django_db
def test_attribute_names_with_quotes_backslashes_and_percent_signs_are_read_back_by_name(defaults: None) -> None:
    """The bulk read names each attribute key in its SQL (quoted by psycopg): a key is data, never SQL."""
    keys = ["owner's region", "back\\slash", "100% sure", "'); DROP TABLE leads_lead; --"]
    result = import_leads(
        rows=enumerate([{"external_id": "K1", **{key: f"v{j}" for j, key in enumerate(keys)}}], start=2)
    )
    assert result.rejected == 0, [str(error) for error in result.errors]
    ids = list(Lead.objects.values_list("id", flat=True))

    frame = lead_profiles_frame(lead_ids=ids)

    assert [frame.loc[ids[0], key] for key in keys] == ["v0", "v1", "v2", "v3"]
    assert Lead.objects.count() == 1
