"""Promoting a version the guard rejected, in a real browser: the settings page asks first (settings.js),
and without JavaScript the server asks on a page of its own; either way the promoted version is pinned."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model

from config.roles import Role
from learning.models import LoopSettings, ModelVersion
from learning.services.admin import model_promote
from tests.browser.pages import AXE
from tests.browser.test_accessibility import RUN_AXE, _require_axe

pytestmark = [pytest.mark.browser]


@pytest.fixture
def versions(site: str) -> None:
    ModelVersion.objects.create(
        version=1,
        labels=10,
        estimator="x",
        artifact=b"",
        status="rejected",
        note="ROC AUC 0.610 on 25 new labels is below active v2's 0.700",
    )
    ModelVersion.objects.create(version=2, labels=20, estimator="x", artifact=b"", status="active")


def active() -> int:
    return ModelVersion.objects.get(status="active").version


def test_declining_the_browsers_question_promotes_nothing(login: Any, site: str, versions: None) -> None:
    page = login("alex", Role.ADMIN)
    page.goto(f"{site}/settings/#models")
    asked: list[str] = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))

    page.click("#models button:has-text('Roll back to v1')")

    assert asked == [
        "The promotion guard rejected v1 (ROC AUC 0.610 on 25 new labels is below active v2's 0.700). "
        "Promote it anyway? It stays active, pinned, until you resume automatic promotion."
    ]
    assert active() == 2 and LoopSettings.objects.get().pinned_version is None


def test_confirming_promotes_pins_and_resuming_lets_go(login: Any, site: str, versions: None) -> None:
    page = login("alex", Role.ADMIN)
    page.goto(f"{site}/settings/#models")
    page.once("dialog", lambda dialog: dialog.accept())

    page.click("#models button:has-text('Roll back to v1')")
    page.wait_for_url(f"{site}/settings/#models")

    assert active() == 1
    assert "v1 is pinned by alex since" in page.inner_text("#model-pin")
    page.click("#model-pin button:has-text('Resume automatic promotion')")
    page.wait_for_load_state()
    assert "Automatic promotion is on" in page.inner_text("#model-pin")
    assert LoopSettings.objects.get().pinned_version is None


def test_without_javascript_the_server_asks_first(login: Any, site: str, versions: None) -> None:
    page = login("alex", Role.ADMIN, javascript=False)
    page.goto(f"{site}/settings/#models")

    page.click("#models button:has-text('Roll back to v1')")
    page.wait_for_load_state()

    assert "Promote v1, which the guard rejected?" in page.inner_text("h1")
    assert active() == 2
    page.click("button:has-text('Promote v1 anyway')")
    page.wait_for_load_state()
    assert active() == 1
    assert "v1 is pinned by alex" in page.inner_text("#model-pin")


def test_the_pin_and_the_confirm_page_have_no_serious_axe_violation(login: Any, site: str, versions: None) -> None:
    _require_axe()
    page = login("alex", Role.ADMIN, bypass_csp=True)  # axe is injected as an inline script
    model_promote(user=get_user_model().objects.get(username="alex"), version=ModelVersion.objects.get(version=2))
    page.goto(f"{site}/settings/#models")
    page.add_script_tag(path=str(AXE))
    assert page.evaluate(RUN_AXE) == []

    page.evaluate("() => document.querySelector('form[data-confirm]').submit()")  # no submit event: no dialog
    page.wait_for_load_state()
    assert "Promote v1, which the guard rejected?" in page.inner_text("h1")
    page.add_script_tag(path=str(AXE))
    assert page.evaluate(RUN_AXE) == []
