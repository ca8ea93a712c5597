"""Security rules that hold for every endpoint, so a new one without a rule fails the suite:
access (login + role on every page, token + role on every API route), CSRF on every form,
login throttling, a clean `check --deploy`, escaped text, audited changes."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from config.api import api
from config.apiauth import TokenAuth
from config.roles import Role
from tests.conftest import make_user

ROOT = Path(__file__).resolve().parents[1]
# Pages anyone may open: the login and logout forms, and /healthz for monitoring (counts and error kinds,
# no lead data). The API's schema and docs describe it, nothing more.
PUBLIC = {"login", "logout", "healthz"}
LOGIN_ONLY = {"home", "own_password"}  # any signed-in user: their start page, their own password
API_PUBLIC = {"openapi-json", "openapi-view", "api-root"}
SAMPLE = {"external_id": "SEC-1", "code": "champion", "rule_id": "1", "action_id": "1", "version": "1"}


def page_patterns() -> Iterator[tuple[str, URLPattern]]:
    """(route, pattern) of every page, outside the API."""

    def walk(patterns: list[Any], prefix: str) -> Iterator[tuple[str, URLPattern]]:
        for p in patterns:
            route = prefix + str(p.pattern)
            if isinstance(p, URLResolver):
                if getattr(p, "namespace", None) == "api":
                    continue
                yield from walk(p.url_patterns, route)
            elif isinstance(p, URLPattern):
                yield route, p

    return walk(get_resolver().url_patterns, "/")


def concrete(route: str) -> str:
    return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: SAMPLE.get(m.group(1), "1"), route)


def api_operations() -> Iterator[tuple[str, str, Any]]:
    for prefix, router in api._routers:
        for path, view in router.path_operations.items():
            for operation in view.operations:
                for method in operation.methods:
                    url = "/api" + (prefix.rstrip("/") + path)
                    yield method, re.sub(r"\{(?:\w+:)?(\w+)\}", lambda m: SAMPLE.get(m.group(1), "1"), url), operation


ALL_PAGES = sorted(page_patterns(), key=lambda rp: rp[0])


@pytest.mark.parametrize(("route", "pattern"), ALL_PAGES, ids=[r for r, _ in ALL_PAGES])
def test_every_page_declares_who_may_open_it(route: str, pattern: URLPattern) -> None:
    roles = getattr(pattern.callback, "leadloop_roles", None)
    assert roles or pattern.name in PUBLIC | LOGIN_ONLY, (
        f"{route} ({pattern.name}) has no access rule: wrap it in config.roles.role_required"
    )


@pytest.mark.django_db
@pytest.mark.parametrize(("route", "pattern"), ALL_PAGES, ids=[r for r, _ in ALL_PAGES])
def test_every_page_sends_strangers_to_login_and_other_roles_away(
    route: str, pattern: URLPattern, defaults: None
) -> None:
    if pattern.name in PUBLIC:
        return
    url = concrete(route)
    anonymous = Client()
    response = anonymous.get(url)
    if response.status_code == 405:
        response = anonymous.post(url, {})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"], f"{url}: {response}"

    roles: tuple[Role, ...] = getattr(pattern.callback, "leadloop_roles", ())
    outsider = get_user_model().objects.create_user(username="outsider")
    if roles:
        others = [r for r in Role if r not in roles]
        if others:
            outsider = make_user("wrong-role", others[0])
        client = Client()
        client.force_login(outsider)
        response = client.get(url)
        if response.status_code == 405:
            response = client.post(url, {})
        assert response.status_code == 403, f"{url} let a {others[0] if others else 'roleless'} user in"


API_OPERATIONS = sorted(api_operations(), key=lambda m: (m[1], m[0]))


@pytest.mark.parametrize(("method", "url", "operation"), API_OPERATIONS, ids=[f"{m} {u}" for m, u, _ in API_OPERATIONS])
def test_every_api_route_needs_a_token_and_declares_its_roles(method: str, url: str, operation: Any) -> None:
    auths = [a for a in operation.auth_callbacks if isinstance(a, TokenAuth)]
    assert auths and all(a.roles for a in auths), (
        f"{method} {url} has no roles: give it auth=config.apiauth.token_auth(ROLES)"
    )


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "url", "operation"), API_OPERATIONS, ids=[f"{m} {u}" for m, u, _ in API_OPERATIONS])
def test_every_api_route_answers_401_without_a_token_and_403_to_another_role(
    method: str, url: str, operation: Any, defaults: None, api_for: Any
) -> None:
    def call(client: Any) -> int:
        if method == "GET":
            return client.get(url).status_code
        return client.post(url, {}).status_code

    assert call(api_for(None)) == 401
    roles = {role for auth in operation.auth_callbacks for role in auth.roles}
    others = [r for r in Role if r not in roles]
    user = make_user("other-role", others[0]) if others else get_user_model().objects.create_user(username="roleless")
    assert call(api_for(user)) == 403, "the role is checked before the body is read"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("method", "url", "operation"),
    [op for op in API_OPERATIONS if op[0] == "GET"],
    ids=[f"{m} {u}" for m, u, _ in API_OPERATIONS if m == "GET"],
)
def test_every_api_read_refuses_a_parameter_it_does_not_take(
    method: str, url: str, operation: Any, defaults: None, api_for: Any
) -> None:
    role = next(role for auth in operation.auth_callbacks for role in auth.roles)
    response = api_for(make_user("caller", role)).get(url, zz_mistyped="1")

    assert response.status_code == 400, f"{url} ignored a parameter it does not take"
    assert response.json()["detail"].startswith("zz_mistyped: not a parameter of this endpoint")


def test_the_only_routes_outside_the_operations_are_the_schema_and_docs() -> None:
    names = {p.name for p in api.urls[0]}
    operations = {op.view_func.__name__ for _, _, op in api_operations()}
    assert names - operations <= API_PUBLIC


# --- CSRF -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("route", "pattern"), ALL_PAGES, ids=[r for r, _ in ALL_PAGES])
def test_no_page_is_csrf_exempt(route: str, pattern: URLPattern) -> None:
    assert not getattr(pattern.callback, "csrf_exempt", False), f"{route} is csrf_exempt"


@pytest.mark.django_db
@pytest.mark.parametrize(("route", "pattern"), ALL_PAGES, ids=[r for r, _ in ALL_PAGES])
def test_a_post_without_the_csrf_token_is_refused(route: str, pattern: URLPattern, admin: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    if pattern.name not in PUBLIC:
        client.force_login(admin)
    response = client.post(concrete(route), {"username": "admin1", "password": "password-123"})
    assert response.status_code == 403, f"{route} accepted a POST without a CSRF token"


def test_every_post_form_in_every_template_carries_the_csrf_token() -> None:
    missing = []
    for template in (ROOT / "templates").rglob("*.html"):
        text = template.read_text()
        for form in re.finditer(r"<form\b[^>]*>(.*?)</form>", text, flags=re.S | re.I):
            if re.search(r'method=["\']?post', form.group(0)[:300], flags=re.I) and "csrf_token" not in form.group(1):
                missing.append(str(template.relative_to(ROOT)))
    assert not missing, f"POST forms without {{% csrf_token %}}: {missing}"


# --- Login throttling ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_five_failed_logins_block_that_username_from_that_address(rep: Any) -> None:
    cache.clear()
    client = Client()
    for attempt in range(5):
        response = client.post("/accounts/login/", {"username": "rep1", "password": "wrong-password"})
        assert response.status_code == (429 if attempt == 4 else 200), "the fifth failure locks out"

    blocked = client.post("/accounts/login/", {"username": "rep1", "password": "password-123"})
    right = {"username": "rep1", "password": "password-123"}
    elsewhere = Client(REMOTE_ADDR="10.0.0.9").post("/accounts/login/", right)

    assert blocked.status_code == 429 and "Retry-After" in blocked
    assert elsewhere.status_code == 302, "another address is not blocked"
    cache.clear()


@pytest.mark.django_db
def test_a_successful_login_resets_the_count(rep: Any) -> None:
    cache.clear()
    client = Client()
    for _ in range(4):
        client.post("/accounts/login/", {"username": "rep1", "password": "wrong-password"})
    assert client.post("/accounts/login/", {"username": "rep1", "password": "password-123"}).status_code == 302
    for _ in range(4):
        client.post("/accounts/login/", {"username": "rep1", "password": "wrong-password"})
    assert client.post("/accounts/login/", {"username": "rep1", "password": "password-123"}).status_code == 302
    cache.clear()


# --- Deployment checks ----------------------------------------------------------------------------


def test_check_deploy_is_clean_with_production_settings(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "leadloop.example.com",
        "LEADLOOP_VAR_DIR": str(tmp_path),
    }
    code = (
        "import django; django.setup(); from django.core.management import call_command; "
        "call_command('check', deploy=True, fail_level='WARNING')"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout + result.stderr


def test_production_settings_refuse_to_start_without_a_secret_key(tmp_path: Path) -> None:
    env = {**os.environ, "DEBUG": "false", "SECRET_KEY": "", "LEADLOOP_VAR_DIR": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0 and "SECRET_KEY" in result.stderr


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/healthz", "/leads/", "/queue/"])
def test_a_head_request_is_answered_like_a_get_without_a_body(path: str, rep: Any, page_for: Any) -> None:
    """Uptime monitors probe with HEAD: a page that answers GET answers HEAD with the same status."""
    client = page_for(rep)

    assert client.head(path).status_code == client.get(path).status_code == 200
