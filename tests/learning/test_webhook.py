"""The outbound webhook: changed scores POSTed after a rescore, signed, retried, logged for admins."""

from __future__ import annotations

import json
from typing import Any

import pytest

from config.models import AuditLog
from leads.models import Lead
from learning.core.webhook import SIGNATURE_HEADER, backoff_seconds, verify
from learning.models import DeliveryStatus, WebhookDelivery
from learning.rescoring import rescore_open_leads
from learning.services.webhooks import WebhookError, webhook_configure
from tests.scores import set_score

SECRET = "a-shared-secret-of-32-characters"


pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def loopback_receiver_allowed(settings: Any) -> None:
    """These tests' receiver listens on loopback, which a webhook may use only when named."""
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]


def rescore(capture: Any) -> None:
    with capture(execute=True):
        rescore_open_leads()


def test_after_a_rescore_the_changed_scores_are_posted_signed(
    make_leads: Any, admin: Any, receiver: Any, django_capture_on_commit_callbacks: Any
) -> None:
    ids = make_leads(8)
    crm = receiver()
    webhook_configure(user=admin, url=crm.url, secret=SECRET, active=True)

    rescore(django_capture_on_commit_callbacks)

    assert len(crm.requests) == 1
    headers, body = crm.requests[0]
    assert verify(body, SECRET, headers[SIGNATURE_HEADER])
    assert not verify(body, "another-secret-entirely!", headers[SIGNATURE_HEADER])
    payload = json.loads(body)
    assert payload["event"] == "scores.changed"
    assert {lead["external_id"] for lead in payload["leads"]} == set(ids), "first scores: every lead changed"
    assert all(0 <= lead["score"] <= 1 for lead in payload["leads"])
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_status) == (DeliveryStatus.DELIVERED, 1, 200)


def test_only_leads_whose_score_changed_are_sent(
    make_leads: Any, admin: Any, receiver: Any, django_capture_on_commit_callbacks: Any
) -> None:
    ids = make_leads(8)
    rescore_open_leads()
    crm = receiver()
    webhook_configure(user=admin, url=crm.url, secret=SECRET, active=True)
    set_score(Lead.objects.get(external_id=ids[3]), score=0.123)

    rescore(django_capture_on_commit_callbacks)

    assert [lead["external_id"] for lead in json.loads(crm.requests[0][1])["leads"]] == [ids[3]]

    rescore(django_capture_on_commit_callbacks)
    assert len(crm.requests) == 1, "nothing changed: nothing sent"


def test_a_failing_receiver_is_retried_with_the_same_signed_body_until_it_answers(
    make_leads: Any, admin: Any, receiver: Any, django_capture_on_commit_callbacks: Any
) -> None:
    make_leads(4)
    crm = receiver([500, 503])
    webhook_configure(user=admin, url=crm.url, secret=SECRET, active=True)

    rescore(django_capture_on_commit_callbacks)

    assert len(crm.requests) == 3
    assert len({body for _, body in crm.requests}) == 1
    assert len({h[SIGNATURE_HEADER] for h, _ in crm.requests}) == 1
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.DELIVERED, 3)


def test_a_receiver_that_never_answers_ends_failed_in_the_log(
    make_leads: Any, admin: Any, receiver: Any, django_capture_on_commit_callbacks: Any
) -> None:
    make_leads(4)
    crm = receiver([500] * 10)
    webhook_configure(user=admin, url=crm.url, secret=SECRET, active=True)

    rescore(django_capture_on_commit_callbacks)

    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.error) == (DeliveryStatus.FAILED, 6, "HTTP 500")


def test_backoff_doubles_up_to_a_cap() -> None:
    assert [backoff_seconds(n) for n in range(4)] == [10, 20, 40, 80]
    assert backoff_seconds(30) == 3600


def test_admins_set_the_webhook_on_a_page_that_shows_the_log(
    make_leads: Any, admin: Any, rep: Any, page_for: Any, receiver: Any, django_capture_on_commit_callbacks: Any
) -> None:
    crm = receiver()
    page = page_for(admin)
    response = page.post("/settings/webhook/", {"url": crm.url, "secret": SECRET, "active": "on"})
    assert response.status_code == 302
    make_leads(3)
    rescore(django_capture_on_commit_callbacks)

    html = page.get("/settings/webhook/").content.decode()

    assert crm.url in html and "Delivered" in html
    assert SECRET not in html, "the secret is never shown again"
    entry = AuditLog.objects.get(action="webhook.update")
    assert SECRET not in json.dumps(entry.changes)
    assert page_for(rep).get("/settings/webhook/").status_code == 403


def test_a_bad_url_or_short_secret_is_refused(admin: Any, page_for: Any) -> None:
    with pytest.raises(WebhookError):
        webhook_configure(user=admin, url="ftp://crm.example.com/", secret=SECRET, active=True)
    response = page_for(admin).post("/settings/webhook/", {"url": "https://crm.example.com/", "secret": "short"})
    assert response.status_code == 302, "an inactive webhook may keep a short secret"
    response = page_for(admin).post(
        "/settings/webhook/", {"url": "https://crm.example.com/", "secret": "short", "active": "on"}
    )
    assert response.status_code == 400


def test_a_delivery_lost_while_the_broker_was_down_is_sent_by_the_catch_up(
    make_leads: Any, admin: Any, receiver: Any, monkeypatch: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from learning.services import webhooks
    from learning.tasks import deliver_webhook

    make_leads(4)
    crm = receiver()
    webhook_configure(user=admin, url=crm.url, secret=SECRET, active=True)

    def broker_down(*args: Any, **kwargs: Any) -> None:
        raise OSError("broker unreachable")

    monkeypatch.setattr(deliver_webhook, "delay", broker_down)
    rescore(django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, crm.requests) == (DeliveryStatus.PENDING, 0, [])

    monkeypatch.undo()
    assert webhooks.webhook_deliveries_resend_stuck() == 0, "too recent: its message may still be on the way"
    WebhookDelivery.objects.update(created_at=timezone.now() - timedelta(minutes=5))
    assert webhooks.webhook_deliveries_resend_stuck() == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, len(crm.requests)) == (DeliveryStatus.DELIVERED, 1, 1)


def test_the_webhook_form_labels_its_url_url(admin: Any, page_for: Any) -> None:
    html = page_for(admin).get("/settings/webhook/").content.decode()

    assert '<label for="id_url">URL:</label>' in html
    assert ">Url:<" not in html
