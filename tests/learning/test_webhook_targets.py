"""Webhook targets: no loopback, private, link-local or metadata host, no credentials in the URL;
checked when saved and again at delivery, on the address the name resolves to then; no redirect."""

from __future__ import annotations

import json
import socket
from typing import Any

import pytest

from learning.core import webhook as core_webhook
from learning.models import DeliveryStatus, WebhookDelivery
from learning.rescoring import rescore_open_leads
from learning.services.webhooks import WebhookError, webhook_configure
from tests.learning.test_webhook import SECRET

pytestmark = pytest.mark.django_db

REFUSED = [
    "http://127.0.0.1:5432/",
    "http://localhost:6379/",
    "http://LOCALHOST./",
    "http://app.localhost/",
    "http://[::1]/",
    "http://0.0.0.0/",
    "http://10.0.0.1/",
    "http://172.16.3.4/",
    "http://192.168.1.1/",
    "http://100.100.100.200/latest/meta-data/",
    "http://169.254.169.254/latest/meta-data/",
    "http://[fd00:ec2::254]/",
    "http://[::ffff:127.0.0.1]/",
    "http://metadata.google.internal/computeMetadata/v1/",
    "http://2130706433/",
    "http://0x7f.1/",
    "https://user:pass@crm.example.com/hook",
    "https://token@crm.example.com/hook",
]


@pytest.mark.parametrize("url", REFUSED)
def test_an_internal_target_or_credentials_in_the_url_are_refused_at_save(admin: Any, url: str) -> None:
    with pytest.raises(WebhookError) as refused:
        webhook_configure(user=admin, url=url, secret=SECRET, active=True)
    assert refused.value.field == "url"


def test_a_public_target_is_accepted(admin: Any) -> None:
    endpoint = webhook_configure(user=admin, url="https://93.184.216.34/leadloop", secret=SECRET, active=True)
    assert endpoint.url == "https://93.184.216.34/leadloop"


def test_the_settings_page_refuses_the_metadata_address_and_says_why(admin: Any, page_for: Any) -> None:
    page = page_for(admin)
    for url in ("http://169.254.169.254/latest/meta-data/", "http://127.0.0.1:6379/"):
        response = page.post("/settings/webhook/", {"url": url, "secret": SECRET, "active": "on"})
        assert response.status_code == 400
        assert "not allowed" in response.content.decode()
    assert not WebhookDelivery.objects.exists()


def test_a_named_private_host_is_allowed_by_setting_but_never_a_link_local_one(admin: Any, settings: Any) -> None:
    settings.WEBHOOK_ALLOWED_HOSTS = ["10.1.2.3", "crm.corp.internal", "169.254.169.254"]
    webhook_configure(user=admin, url="http://10.1.2.3:8080/hook", secret=SECRET, active=True)
    webhook_configure(user=admin, url="https://CRM.corp.internal/hook", secret=SECRET, active=True)
    with pytest.raises(WebhookError):
        webhook_configure(user=admin, url="http://10.1.2.4/hook", secret=SECRET, active=True)
    with pytest.raises(WebhookError):
        webhook_configure(user=admin, url="http://169.254.169.254/", secret=SECRET, active=True)


def resolving(monkeypatch: Any, table: dict[str, str]) -> list[str]:
    """Make names resolve as ``table`` says (as a rebinding DNS server would); returns the names asked."""
    asked: list[str] = []
    real = socket.getaddrinfo

    def fake(host: str, port: Any, *args: Any, **kwargs: Any) -> Any:
        asked.append(host)
        if host in table:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (table[host], port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(core_webhook.socket, "getaddrinfo", fake)
    return asked


def deliver(capture: Any) -> WebhookDelivery:
    with capture(execute=True):
        rescore_open_leads()
    return WebhookDelivery.objects.get()


def test_a_name_that_resolves_to_loopback_at_delivery_is_not_contacted(
    make_leads: Any, admin: Any, receiver: Any, monkeypatch: Any, django_capture_on_commit_callbacks: Any
) -> None:
    make_leads(3)
    crm = receiver()
    port = crm.server.server_address[1]
    webhook_configure(user=admin, url=f"http://crm.example.com:{port}/hook", secret=SECRET, active=True)
    resolving(monkeypatch, {"crm.example.com": "127.0.0.1"})

    delivery = deliver(django_capture_on_commit_callbacks)

    assert crm.requests == []
    assert delivery.status == DeliveryStatus.FAILED
    assert "not allowed" in delivery.error
    assert str(port) not in delivery.error and "127.0.0.1" not in delivery.error


def test_delivery_connects_to_the_address_it_checked_and_names_the_host(
    make_leads: Any,
    admin: Any,
    receiver: Any,
    settings: Any,
    monkeypatch: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.WEBHOOK_ALLOWED_HOSTS = ["crm.example.com"]
    make_leads(3)
    crm = receiver()
    port = crm.server.server_address[1]
    webhook_configure(user=admin, url=f"http://crm.example.com:{port}/hook", secret=SECRET, active=True)
    asked = resolving(monkeypatch, {"crm.example.com": "127.0.0.1"})

    delivery = deliver(django_capture_on_commit_callbacks)

    assert delivery.status == DeliveryStatus.DELIVERED
    names = [host for host in asked if host != "127.0.0.1"]
    assert names == ["crm.example.com"], "resolved once; the connection goes to the address checked"
    headers, body = crm.requests[0]
    assert headers["Host"] == f"crm.example.com:{port}"
    assert json.loads(body)["event"] == "scores.changed"


def test_a_redirect_is_not_followed(
    make_leads: Any, admin: Any, receiver: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    make_leads(3)
    elsewhere = receiver()
    crm = receiver([302] * 10)
    crm.reply_headers["Location"] = elsewhere.url
    webhook_configure(user=admin, url=crm.url, secret=SECRET, active=True)

    delivery = deliver(django_capture_on_commit_callbacks)

    assert len(crm.requests) == 6
    assert elsewhere.requests == [], "the Location was never visited"
    assert (delivery.status, delivery.error) == (DeliveryStatus.FAILED, "HTTP 302")


def test_a_failed_connection_is_logged_without_internal_detail(
    make_leads: Any, admin: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    make_leads(3)
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    webhook_configure(user=admin, url=f"http://127.0.0.1:{port}/hook", secret=SECRET, active=True)

    delivery = deliver(django_capture_on_commit_callbacks)

    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.error == "could not connect to the receiver"
