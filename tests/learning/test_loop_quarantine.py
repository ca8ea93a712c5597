"""A bad row never stops the loop (issue 16, findings 1 and 11): what cannot be read is
quarantined, naming lead and field, and the loop learns from the rest; admins see a banner on
every page, monitoring reads /healthz, and /settings/ stops showing an error once the loop recovered."""

from __future__ import annotations

import json
from typing import Any

import pytest

from leads.models import Lead, LeadStatus
from learning import quarantine, rescoring
from learning.models import LoopLock, LoopSettings, ModelVersion, QuarantinedValue
from learning.selectors import versions
from learning.services import loop
from learning.services.loop import run_learning_loop
from learning.services.workers import rescore_requested

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(make_leads: Any) -> list[str]:
    LoopSettings.objects.update(min_labels_per_outcome=2)
    return make_leads(40, seed=3, labeled=0.5)


def spoil(lead: Lead, attributes: Any) -> None:
    """Store what no importer would: the way a hand-made SQL fix or an old export can."""
    Lead.objects.filter(pk=lead.pk).update(attributes=attributes)


def test_a_lead_whose_attributes_are_not_an_object_is_quarantined_and_the_loop_learns_from_the_rest(
    history: list[str],
) -> None:
    labeled = Lead.objects.exclude(status=LeadStatus.OPEN).order_by("id")[0]
    unlabeled = Lead.objects.filter(status=LeadStatus.OPEN).order_by("id")[0]
    spoil(labeled, ["not", "an", "object"])
    spoil(unlabeled, "a bare string")

    run_learning_loop()

    version = ModelVersion.objects.get()
    assert version.labels == Lead.objects.exclude(status=LeadStatus.OPEN).count() - 1
    quarantined = {(q.lead_id, q.field) for q in QuarantinedValue.objects.all()}
    assert quarantined == {(labeled.pk, "attributes"), (unlabeled.pk, "attributes")}
    open_leads = Lead.objects.filter(status=LeadStatus.OPEN).exclude(pk=unlabeled.pk)
    assert not open_leads.filter(score__isnull=True).exists()
    assert LoopLock.objects.get().last_error == ""


def test_an_unreadable_open_lead_among_the_labeled_ones_costs_training_nothing(make_leads: Any) -> None:
    """A bulk read covers a range of ids when they are dense: a bad lead inside it that was not
    asked for must not fail (or be blamed on) the leads that were."""
    LoopSettings.objects.update(min_labels_per_outcome=2)
    make_leads(40, seed=3, labeled=0.85)
    labeled = list(Lead.objects.exclude(status=LeadStatus.OPEN).order_by("id").values_list("id", flat=True))
    inside = Lead.objects.filter(status=LeadStatus.OPEN, id__gt=labeled[0], id__lt=labeled[-1]).order_by("id")[0]
    spoil(inside, ["broken"])

    run_learning_loop()

    assert ModelVersion.objects.get().labels == len(labeled)
    assert list(QuarantinedValue.objects.values_list("lead_id", "field")) == [(inside.pk, "attributes")]
    assert LoopLock.objects.get().last_error == ""


def test_a_nested_custom_value_is_read_as_its_json_text_on_every_database(history: list[str]) -> None:
    from leads.frames import lead_profiles_frame

    lead = Lead.objects.filter(status=LeadStatus.OPEN).order_by("id")[0]
    spoil(lead, {"city": {"nested": ["object"]}, "region": "EMEA"})

    run_learning_loop()

    assert not QuarantinedValue.objects.exists()
    assert json.loads(lead_profiles_frame(lead_ids=[lead.pk]).loc[lead.pk, "city"]) == {"nested": ["object"]}


def test_a_value_the_feature_pipeline_cannot_take_is_quarantined_by_its_field(
    history: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Fault injection: the pipeline refuses one value, as a future bug or an odd value might."""
    lead = Lead.objects.filter(status=LeadStatus.OPEN).order_by("id")[0]
    spoil(lead, {"city": "poison", "region": "EMEA"})
    real = versions.build_frame

    def refusing(profiles: Any, *args: Any, **kwargs: Any) -> Any:
        if "city" in profiles and (profiles["city"] == "poison").any():
            raise ValueError("could not convert string to float: 'poison'")
        return real(profiles, *args, **kwargs)

    monkeypatch.setattr(versions, "build_frame", refusing)
    monkeypatch.setattr(quarantine, "build_frame", refusing)

    run_learning_loop()

    entry = QuarantinedValue.objects.get()
    assert (entry.lead_id, entry.field) == (lead.pk, "city")
    assert "poison" in entry.error
    assert Lead.objects.filter(status=LeadStatus.OPEN, score__isnull=True).count() == 1


def test_a_quarantined_lead_is_read_again_once_it_is_fixed(history: list[str]) -> None:
    lead = Lead.objects.filter(status=LeadStatus.OPEN).order_by("id")[0]
    spoil(lead, ["broken"])
    run_learning_loop()
    spoil(lead, {"city": "Berlin, Germany"})
    rescore_requested()

    run_learning_loop()

    assert not QuarantinedValue.objects.exists()
    assert Lead.objects.get(pk=lead.pk).score is not None


def test_healthz_tells_monitoring_the_loop_lag_queued_labels_and_last_error_without_a_login(
    history: list[str], client: Any
) -> None:
    LoopLock.objects.update_or_create(pk=1, defaults={"last_error": "ValueError: secret customer value 'ACME, Berlin'"})
    spoil(Lead.objects.order_by("id")[0], ["broken"])
    rescore_requested()
    rescoring.rescore_open_leads()

    response = client.get("/healthz")

    assert response.status_code in (200, 503)
    body = response.json()
    assert {"status", "loop_lag_seconds", "queued_labels", "last_error", "quarantined", "scores_version"} <= set(body)
    assert body["queued_labels"] >= 1
    assert body["loop_lag_seconds"] >= 0
    assert "ACME" not in json.dumps(body) and "secret" not in json.dumps(body)


def test_healthz_is_ok_after_a_clean_run(history: list[str], client: Any) -> None:
    run_learning_loop()

    body = client.get("/healthz").json()

    assert body["status"] == "ok"
    assert (body["queued_labels"], body["loop_lag_seconds"], body["last_error"], body["quarantined"]) == (0, 0, None, 0)


def test_a_failed_run_shows_on_healthz_and_settings_until_the_loop_recovers(
    history: list[str], client: Any, admin: Any, page_for: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(**_: Any) -> Any:
        raise RuntimeError("the estimator fell over")

    with monkeypatch.context() as patch:
        patch.setattr(loop, "train_model_version", broken)
        with pytest.raises(RuntimeError):
            run_learning_loop()
    failing = client.get("/healthz")
    assert failing.status_code == 503
    assert failing.json()["last_error"]["kind"] == "RuntimeError"
    assert "last error" in page_for(admin).get("/settings/").content.decode()

    run_learning_loop()

    assert client.get("/healthz").json()["status"] == "ok"
    assert "last error" not in page_for(admin).get("/settings/").content.decode()


def test_admins_see_a_banner_on_every_page_while_values_are_quarantined_and_reps_do_not(
    history: list[str], admin: Any, rep: Any, page_for: Any
) -> None:
    spoil(Lead.objects.filter(status=LeadStatus.OPEN).order_by("id")[0], ["broken"])
    run_learning_loop()

    for path in ("/leads/", "/settings/", "/dashboards/"):
        assert "quarantined" in page_for(admin).get(path).content.decode(), path
    assert "quarantined" not in page_for(rep).get("/queue/").content.decode()
