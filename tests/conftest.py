"""Shared fixtures: users per role, API clients, small synthetic data made through the services."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest
from django.apps import apps as django_apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client

from config.celery import app as celery_app
from config.defaults import roles_create
from config.roles import Role, set_role
from config.site import currency_forget
from config.tokens import token_create
from feedback.models import Reason
from feedback.taxonomy import default_reasons_create
from learning.defaults import learning_defaults_create
from learning.models import NextAction, PointRule

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
# The synthetic data is four weeks old on every day the tests run, as it was when they were written:
# a fixed date would slide out of the features' windows (pricing visits "in the last 30 days") as time passes.
NOW = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0) - timedelta(days=28)


@pytest.fixture(autouse=True)
def eager_celery() -> Iterator[None]:
    """Unit tests run tasks in-process; the integration tests start a real worker instead."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def fresh_currency() -> Iterator[None]:
    """The currency is cached per process for a few seconds; each test starts from its database's."""
    currency_forget()
    yield
    currency_forget()


@pytest.fixture(autouse=True)
def fast_password_hashing(settings: Any) -> None:
    """The user fixtures set passwords; the production hasher is slow on purpose."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def defaults(db: None) -> None:
    """The rows data migrations create; a transactional test flushes them, so put them back."""
    if not Reason.objects.exists() or not PointRule.objects.exists() or not NextAction.objects.exists():
        default_reasons_create(Reason)
        learning_defaults_create(django_apps)
        roles_create(Group)


def make_user(name: str, role: Role, password: str = "password-123") -> Any:
    user = get_user_model().objects.create_user(username=name, password=password)
    set_role(user=user, role=role)
    return user


@pytest.fixture
def rep(defaults: None) -> Any:
    return make_user("rep1", Role.REP)


@pytest.fixture
def rep2(defaults: None) -> Any:
    return make_user("rep2", Role.REP)


@pytest.fixture
def manager(defaults: None) -> Any:
    return make_user("manager1", Role.MANAGER)


@pytest.fixture
def admin(defaults: None) -> Any:
    return make_user("admin1", Role.ADMIN)


class ApiClient:
    """A test client that sends ``Authorization: Token <key>`` and JSON."""

    def __init__(self, key: str | None) -> None:
        self.client = Client()
        self.headers = {"Authorization": f"Token {key}"} if key else {}

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(path, params, headers=self.headers)

    def post(self, path: str, body: Any) -> Any:
        return self.client.post(path, body, content_type="application/json", headers=self.headers)


@pytest.fixture
def api_for() -> Any:
    names = itertools.count(1)  # a user may get several clients; a live token's name is unique per user

    def make(user: Any | None) -> ApiClient:
        return ApiClient(token_create(user=user, name=f"test-{next(names)}") if user is not None else None)

    return make


@pytest.fixture
def page_for() -> Any:
    def make(user: Any) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make


def synthetic_rows(n: int, *, seed: int = 0, labeled: float = 0.0) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """Leads whose conversion depends on industry and pricing visits, with their events."""
    rng = np.random.default_rng(seed)
    leads, events = [], []
    for i in range(n):
        industry = ["software", "retail", "logistics"][i % 3]
        visits = int(rng.poisson(2.0 if industry != "retail" else 0.5))
        for v in range(visits):
            events.append(
                {"lead": f"S{i:04d}", "type": "pricing_visit", "occurred_at": (NOW - timedelta(days=v + 1)).isoformat()}
            )
        events.append(
            {"lead": f"S{i:04d}", "type": "email_open", "occurred_at": (NOW - timedelta(days=10)).isoformat()}
        )
        p = 1 / (
            1
            + np.exp(-(-1.5 + 0.9 * visits + (0.8 if industry == "software" else -0.8 if industry == "retail" else 0)))
        )
        outcome = ""
        if rng.random() < labeled:
            outcome = "converted" if rng.random() < p else "not_converted"
        leads.append(
            {
                "external_id": f"S{i:04d}",
                "company": f"Company {i}",
                "industry": industry,
                "employees": str(int(rng.integers(10, 2000))),
                "seniority": ["vp", "manager", "director"][i % 3],
                "source": ["referral", "outbound"][i % 2],
                "deal_value": str(int(rng.integers(1000, 50000))),
                "created_at": (NOW - timedelta(days=int(rng.integers(5, 60)))).date().isoformat(),
                "outcome": outcome,
            }
        )
    return leads, events


@pytest.fixture
def make_leads(defaults: None) -> Any:
    """Import ``n`` synthetic leads (and events) through the import services; returns their external ids."""
    from leads.services import import_activities, import_leads

    def make(n: int = 30, *, seed: int = 0, labeled: float = 0.0) -> list[str]:
        leads, events = synthetic_rows(n, seed=seed, labeled=labeled)
        import_leads(rows=enumerate(leads, start=2), outcome_column="outcome")
        import_activities(rows=enumerate(events, start=2))
        return [row["external_id"] for row in leads]

    return make
