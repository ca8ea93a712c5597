"""Response headers and markup a browser enforces: a Content-Security-Policy on every page that no
page needs to weaken (no inline script, handler or style attribute), HSTS preload only when asked
for and with a long max-age, proxy headers trusted only behind a configured proxy, lead ids
that cannot step out of their link, and settings whose bad values stop the app at start with a
message naming the variable."""

from __future__ import annotations

import http.client
import json
import logging
import os
import re
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from kombu import Connection

from config.roles import Role
from leads.services import import_leads
from learning.rescoring import rescore_open_leads
from tests.conftest import make_user

ROOT = Path(__file__).resolve().parents[2]
HOSTILE_ID = "../../settings/webhook"
ENCODED = "..%2F..%2Fsettings%2Fwebhook"

INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)
STYLE_ATTRIBUTE = re.compile(r"<[^>]+\sstyle\s*=", re.I)
STYLE_ELEMENT = re.compile(r"<style\b", re.I)


@pytest.fixture
def team(make_leads: Any) -> dict[str, Client]:
    make_leads(40, labeled=0.5)
    import_leads(rows=[(2, {"external_id": HOSTILE_ID, "company": "Hostile Id GmbH", "industry": "software"})])
    rescore_open_leads()
    clients = {}
    for role in Role:
        client = Client()
        client.force_login(make_user(f"headers-{role.value}", role))
        clients[role.value] = client
    return clients


PAGES = [
    ("rep", "/queue/"),
    ("rep", "/leads/"),
    ("rep", f"/leads/{ENCODED}/"),
    ("manager", "/dashboards/"),
    ("manager", "/dashboards/reasons/?reason=champion"),
    ("admin", "/settings/"),
    ("admin", "/settings/webhook/"),
    ("admin", "/leads/import/"),
    ("admin", "/leads/?sort=score"),
    ("admin", "/api/docs"),
    ("anonymous", "/accounts/login/"),
]


def csp_of(response: Any) -> dict[str, list[str]]:
    header = response.get("Content-Security-Policy", "")
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "url"), PAGES)
def test_every_page_has_a_content_security_policy_it_does_not_need_to_weaken(
    team: dict[str, Client], role: str, url: str
) -> None:
    client = team.get(role, Client())
    response = client.get(url)
    assert response.status_code == 200, url

    policy = csp_of(response)
    html = response.content.decode()

    assert policy.get("default-src") == ["'self'"], response.get("Content-Security-Policy")
    assert policy.get("script-src") == ["'self'"]
    assert policy.get("style-src") == ["'self'"]
    assert policy.get("object-src") == ["'none'"] and policy.get("frame-ancestors") == ["'none'"]
    assert policy.get("base-uri") == ["'none'"] and policy.get("form-action") == ["'self'"]
    assert not INLINE_SCRIPT.search(html), INLINE_SCRIPT.search(html)
    assert not HANDLER.search(html), HANDLER.search(html)
    assert not STYLE_ATTRIBUTE.search(html), STYLE_ATTRIBUTE.search(html)
    assert not STYLE_ELEMENT.search(html)


@pytest.mark.django_db
def test_error_pages_and_api_answers_carry_the_policy_too(team: dict[str, Client], api_for: Any) -> None:
    assert csp_of(team["rep"].get("/settings/"))["script-src"] == ["'self'"]
    assert csp_of(team["rep"].get("/leads/no-such-lead/"))["script-src"] == ["'self'"]
    assert csp_of(api_for(None).get("/api/reasons"))["default-src"] == ["'self'"]


def test_no_template_or_script_writes_inline_code_or_style() -> None:
    offenders = []
    for path in [*(ROOT / "templates").rglob("*.html"), *(ROOT / "config").glob("*.py")]:
        text = path.read_text()
        for pattern in (INLINE_SCRIPT, HANDLER, STYLE_ATTRIBUTE, STYLE_ELEMENT):
            offenders += [f"{path.relative_to(ROOT)}: {m.group(0)[:80]}" for m in pattern.finditer(text)]
    for path in (ROOT / "static" / "leadloop").glob("*.js"):
        text = path.read_text()
        risky = re.finditer(r"setAttribute\(\s*[\"']style|\beval\(", text)
        offenders += [f"{path.relative_to(ROOT)}: {m.group(0)}" for m in risky]
    assert not offenders, offenders


@pytest.mark.django_db
def test_a_hostile_external_id_stays_inside_its_link(team: dict[str, Client]) -> None:
    pages = [team["rep"].get("/leads/?sort=score").content.decode(), team["admin"].get("/leads/").content.decode()]
    detail = team["rep"].get(f"/leads/{ENCODED}/")
    pages.append(detail.content.decode())

    for html in pages:
        assert 'href="/leads/../' not in html and '"/leads/../../settings' not in html
    assert any(f'href="/leads/{ENCODED}/"' in html for html in pages[:2])
    assert f'data-live-fragment="/leads/{ENCODED}/score/"' in pages[2]
    assert "Hostile Id GmbH" in detail.content.decode()
    assert team["rep"].get(f"/leads/{ENCODED}/score/").status_code == 200


UNSET_UNLESS_GIVEN = (
    "CELERY_BROKER_URL",
    "LEADLOOP_QUEUE",
    "LEADLOOP_CATCH_UP_SECONDS",
    "LEADLOOP_RESCORE_CHECK_SECONDS",
    "CSRF_TRUSTED_ORIGINS",
    "FORWARDED_ALLOW_IPS",
)
SECURITY_SETTINGS = ("SECURE_HSTS_SECONDS", "SECURE_HSTS_PRELOAD", "SECURE_PROXY_SSL_HEADER")


def production_settings(tmp_path: Path, names: tuple[str, ...] = SECURITY_SETTINGS, **env: str) -> dict[str, Any]:
    """The settings ``names`` a production process (DEBUG off) ends up with under ``env``, or
    ``{"error": stderr}`` when it refuses to start."""
    full = {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "leadloop.example.com",
        "LEADLOOP_VAR_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        **env,
    }
    for name in (*UNSET_UNLESS_GIVEN, "SECURE_HSTS_SECONDS", "SECURE_HSTS_PRELOAD", "PROXIES_IN_FRONT"):
        if name not in env:
            full.pop(name, None)
    code = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        f"print(json.dumps({{n: getattr(s, n, None) for n in {names!r}}}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=full, capture_output=True, text=True, timeout=120
    )
    if result.returncode:
        return {"error": result.stderr}
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_hsts_preload_is_off_unless_asked_for_and_then_needs_a_year(tmp_path: Path) -> None:
    default = production_settings(tmp_path)
    assert default["SECURE_HSTS_PRELOAD"] is False
    assert default["SECURE_HSTS_SECONDS"] >= 365 * 24 * 3600

    asked = production_settings(tmp_path, SECURE_HSTS_PRELOAD="true", SECURE_HSTS_SECONDS="63072000")
    assert asked["SECURE_HSTS_PRELOAD"] is True

    too_short = production_settings(tmp_path, SECURE_HSTS_PRELOAD="true", SECURE_HSTS_SECONDS="3600")
    assert "SECURE_HSTS_SECONDS" in too_short.get("error", ""), too_short


def test_x_forwarded_proto_is_trusted_only_behind_a_configured_proxy(tmp_path: Path) -> None:
    assert production_settings(tmp_path)["SECURE_PROXY_SSL_HEADER"] is None
    behind = production_settings(tmp_path, PROXIES_IN_FRONT="1")
    assert behind["SECURE_PROXY_SSL_HEADER"] is None, "gunicorn reads it, from the allowed proxies only"


@pytest.mark.parametrize("name", ["LEADLOOP_RESCORE_CHECK_SECONDS", "LEADLOOP_CATCH_UP_SECONDS"])
@pytest.mark.parametrize("value", ["abc", "0", "-5", "nan"])
def test_a_check_interval_that_is_not_a_positive_number_stops_the_app_naming_it(
    tmp_path: Path, name: str, value: str
) -> None:
    refused = production_settings(tmp_path, ("CELERY_BEAT_SCHEDULE",), **{name: value})

    error = refused.get("error", "")
    assert f"ImproperlyConfigured: {name} must be a number of seconds greater than 0, not '{value}'" in error, refused
    assert "ValueError" not in error


def beat_intervals(tmp_path: Path, **env: str) -> list[float]:
    """Every beat task's interval (catch-up learning, scheduled rescore, catch-up webhooks) under ``env``."""
    schedule = production_settings(tmp_path, ("CELERY_BEAT_SCHEDULE",), **env)["CELERY_BEAT_SCHEDULE"]
    return [schedule[task]["schedule"] for task in ("catch-up-learning", "scheduled-rescore", "catch-up-webhooks")]


def test_the_beat_schedule_takes_the_intervals_given_and_the_defaults_otherwise(tmp_path: Path) -> None:
    given = beat_intervals(tmp_path, LEADLOOP_RESCORE_CHECK_SECONDS="90", LEADLOOP_CATCH_UP_SECONDS="2.5")
    empty = beat_intervals(tmp_path, LEADLOOP_CATCH_UP_SECONDS=" ")

    assert given == [2.5, 90.0, 2.5]
    assert empty == [60.0, 300.0, 60.0]


@pytest.mark.parametrize(("value", "queue"), [("", "leadloop"), ("  ", "leadloop"), (" team-a ", "team-a")])
def test_an_empty_queue_name_means_the_default_queue(tmp_path: Path, value: str, queue: str) -> None:
    chosen = production_settings(tmp_path, ("CELERY_TASK_DEFAULT_QUEUE",), LEADLOOP_QUEUE=value)

    assert chosen == {"CELERY_TASK_DEFAULT_QUEUE": queue}


@pytest.mark.parametrize("given", [None, "filesystem://", "memory://"])
def test_the_broker_url_names_a_host_so_kombu_does_not_warn_on_each_connection(
    tmp_path: Path, given: str | None, caplog: pytest.LogCaptureFixture
) -> None:
    url = production_settings(tmp_path, ("CELERY_BROKER_URL",), **({"CELERY_BROKER_URL": given} if given else {}))[
        "CELERY_BROKER_URL"
    ]

    with caplog.at_level(logging.WARNING, logger="kombu"):
        Connection(url).info()

    assert url.startswith(given or "filesystem://") and url.endswith("localhost/")
    assert [r.getMessage() for r in caplog.records if r.name.startswith("kombu")] == []


@pytest.mark.django_db
def test_a_forged_x_forwarded_for_does_not_move_a_login_failure_elsewhere(rep: Any, settings: Any) -> None:
    wrong = {"username": "rep1", "password": "wrong-password"}
    for n in range(5):
        Client(HTTP_X_FORWARDED_FOR=f"198.51.100.{n}").post("/accounts/login/", wrong)
    assert Client().post("/accounts/login/", {"username": "rep1", "password": "password-123"}).status_code == 429

    settings.PROXIES_IN_FRONT = 1
    behind = Client(HTTP_X_FORWARDED_FOR="203.0.113.9, 198.51.100.77")
    assert behind.post("/accounts/login/", {"username": "rep1", "password": "password-123"}).status_code == 302


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def gunicorn_answer(tmp_path: Path, **env: str) -> tuple[int, str]:
    """Start gunicorn in the repository as production would (DEBUG off) and ask for the login page
    over plain HTTP with ``X-Forwarded-Proto: https``; its status and Location."""
    port = free_port()
    full = {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "LEADLOOP_VAR_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        **env,
    }
    command = [str(Path(sys.executable).with_name("gunicorn")), "config.wsgi", "--bind", f"127.0.0.1:{port}"]
    server = subprocess.Popen(command, cwd=ROOT, env=full, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
                connection.request("GET", "/accounts/login/", headers={"X-Forwarded-Proto": "https"})
                response = connection.getresponse()
                return response.status, response.getheader("Location") or ""
            except ConnectionRefusedError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.5)
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_gunicorn_believes_x_forwarded_proto_only_behind_a_configured_proxy(tmp_path: Path) -> None:
    status, location = gunicorn_answer(tmp_path, PROXIES_IN_FRONT="0")
    assert (status, location.split(":")[0]) == (301, "https"), "plain HTTP is redirected: the header changed nothing"

    behind = gunicorn_answer(tmp_path, PROXIES_IN_FRONT="1")
    assert behind[0] == 200, "behind a proxy on loopback, its X-Forwarded-Proto says HTTPS"


@pytest.mark.parametrize("value", ["abc", "0", "-1"])
def test_a_heartbeat_that_is_not_a_positive_number_stops_the_app_naming_it(tmp_path: Path, value: str) -> None:
    refused = production_settings(tmp_path, ("LEADLOOP_HEARTBEAT_SECONDS",), LEADLOOP_HEARTBEAT_SECONDS=value)

    assert "LEADLOOP_HEARTBEAT_SECONDS must be a number of seconds greater than 0" in refused.get("error", ""), refused
    assert production_settings(tmp_path, ("LEADLOOP_HEARTBEAT_SECONDS",), LEADLOOP_HEARTBEAT_SECONDS="2.5") == {
        "LEADLOOP_HEARTBEAT_SECONDS": 2.5
    }


def test_a_log_level_is_one_of_pythons(tmp_path: Path) -> None:
    refused = production_settings(tmp_path, ("LOG_LEVEL",), LOG_LEVEL="chatty")
    assert "LOG_LEVEL must be one of Python's level names (" in refused.get("error", "")
    assert "not 'CHATTY'" in refused["error"]
    assert production_settings(tmp_path, ("LOG_LEVEL",), LOG_LEVEL="warning") == {"LOG_LEVEL": "WARNING"}
    assert production_settings(tmp_path, ("LOG_LEVEL",), LOG_LEVEL="WARN") == {"LOG_LEVEL": "WARN"}


def test_an_empty_var_dir_means_the_default(tmp_path: Path) -> None:
    env = {**os.environ, "LEADLOOP_VAR_DIR": " ", "DJANGO_SETTINGS_MODULE": "config.settings"}
    code = "import django; django.setup(); from django.conf import settings; print(settings.VAR_DIR)"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )

    assert result.stdout.strip().splitlines()[-1] == str(ROOT / "var"), result.stderr


@pytest.mark.django_db
def test_x_forwarded_for_is_believed_only_from_the_proxies_allowed(rep: Any, settings: Any) -> None:
    """A client that reaches gunicorn directly, past the proxy, cannot spread its guesses over forged addresses."""
    settings.PROXIES_IN_FRONT = 1
    wrong = {"username": "rep1", "password": "wrong-password"}
    for n in range(5):
        Client(REMOTE_ADDR="192.0.2.2", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}").post("/accounts/login/", wrong)
    direct = Client(REMOTE_ADDR="192.0.2.2", HTTP_X_FORWARDED_FOR="198.51.100.99")
    assert direct.post("/accounts/login/", {"username": "rep1", "password": "password-123"}).status_code == 429

    settings.FORWARDED_ALLOW_IPS = ["192.0.2.0/24"]
    via_proxy = Client(REMOTE_ADDR="192.0.2.2", HTTP_X_FORWARDED_FOR="203.0.113.5")
    assert via_proxy.post("/accounts/login/", {"username": "rep1", "password": "password-123"}).status_code == 302


def test_proxy_and_origin_settings_that_cannot_work_stop_the_app_naming_them(tmp_path: Path) -> None:
    names = ("ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS", "FORWARDED_ALLOW_IPS")
    url_as_host = production_settings(tmp_path, names, ALLOWED_HOSTS="https://leadloop.example.com")
    assert "ALLOWED_HOSTS lists host names" in url_as_host.get("error", ""), url_as_host
    bare_origin = production_settings(tmp_path, names, CSRF_TRUSTED_ORIGINS="leadloop.example.com")
    assert "CSRF_TRUSTED_ORIGINS lists origins with their scheme" in bare_origin.get("error", ""), bare_origin
    bad_proxy = production_settings(tmp_path, names, FORWARDED_ALLOW_IPS="10.0.0.1,proxy.local")
    assert "FORWARDED_ALLOW_IPS must list addresses or networks" in bad_proxy.get("error", ""), bad_proxy

    good = production_settings(
        tmp_path, names, CSRF_TRUSTED_ORIGINS="https://leadloop.example.com", FORWARDED_ALLOW_IPS="10.0.0.0/8"
    )
    assert good["CSRF_TRUSTED_ORIGINS"] == ["https://leadloop.example.com"]
    assert good["FORWARDED_ALLOW_IPS"] == ["10.0.0.0/8"]


def test_a_load_balancers_plain_http_probe_of_healthz_is_not_redirected(tmp_path: Path) -> None:
    exempt = production_settings(tmp_path, ("SECURE_SSL_REDIRECT", "SECURE_REDIRECT_EXEMPT"))
    assert exempt["SECURE_SSL_REDIRECT"] is True and exempt["SECURE_REDIRECT_EXEMPT"] == ["^healthz$"]


def test_a_var_dir_that_cannot_be_written_stops_the_app_naming_the_setting(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a directory")

    refused = production_settings(tmp_path, ("DEBUG",), LEADLOOP_VAR_DIR=str(blocked), DATABASE_URL="")

    assert "LEADLOOP_VAR_DIR" in refused.get("error", "") and "must be a directory" in refused["error"], refused
    assert "Traceback" not in refused["error"].splitlines()[-1]


def test_a_short_secret_key_stops_a_production_app_saying_how_to_make_one(tmp_path: Path) -> None:
    refused = production_settings(tmp_path, ("DEBUG",), SECRET_KEY="changeme")

    assert "SECRET_KEY must be at least 32 random characters" in refused.get("error", ""), refused
    assert "token_urlsafe" in refused["error"]


def test_a_workers_log_lines_have_the_web_processes_shape() -> None:
    from config.celery import app

    assert app.conf.worker_log_format == "%(asctime)s %(levelname)s %(name)s [%(process)d] %(message)s"
    assert "%(task_name)s" in app.conf.worker_task_log_format and "%(process)d" in app.conf.worker_task_log_format


def test_behind_a_unix_socket_the_proxys_x_forwarded_for_is_believed(settings: Any) -> None:
    """gunicorn bound to a Unix socket gives an empty REMOTE_ADDR: the proxy on this machine."""
    from django.test import RequestFactory

    from config.client import client_address

    settings.PROXIES_IN_FRONT = 1
    request = RequestFactory().get("/", REMOTE_ADDR="", HTTP_X_FORWARDED_FOR="203.0.113.7")

    assert client_address(request) == "203.0.113.7"
