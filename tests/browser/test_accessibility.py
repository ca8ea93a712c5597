"""axe-core (from npm, pinned in package-lock.json) on every page as every role: no serious or
critical violation."""

from __future__ import annotations

from typing import Any

import pytest

from config.roles import Role
from tests.browser.conftest import PASSWORD
from tests.browser.pages import AXE, PAGES, fill_the_app, login
from tests.conftest import IN_CI, make_user

pytestmark = [pytest.mark.browser]

RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ")}`);
}"""


def _require_axe() -> None:
    if AXE.exists():
        return
    message = f"the accessibility tests need axe-core at {AXE}: run `make install-test` (npm ci)"
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


@pytest.mark.parametrize("width", [1280, 390])  # a phone scrolls wide tables and charts: by keyboard too
def test_no_page_has_a_serious_or_critical_axe_violation_for_any_role(
    width: int, browser: Any, site: str, make_leads: Any
) -> None:
    _require_axe()
    labeler = make_user("riley", Role.REP, PASSWORD)
    ids = fill_the_app(make_leads, labeler)
    for role in (Role.MANAGER, Role.ADMIN):
        make_user({Role.MANAGER: "morgan", Role.ADMIN: "alex"}[role], role, PASSWORD)
    found: dict[str, list[str]] = {}
    visited = 0
    for role, username, paths in PAGES:
        # bypass_csp: axe is injected as an inline script, which the site's policy forbids.
        context = browser.new_context(viewport={"width": width, "height": 900}, bypass_csp=True)
        page = context.new_page()
        if role is not None:
            login(page, site, username, PASSWORD)
        for path in paths:
            url = site + path.format(**ids)
            page.goto(url)
            page.wait_for_load_state("networkidle")
            page.add_script_tag(path=str(AXE))
            violations = page.evaluate(RUN_AXE)
            visited += 1
            if violations:
                found[f"{role or 'anonymous'} {path}"] = violations
        context.close()
    assert visited == sum(len(paths) for _, _, paths in PAGES)
    assert not found, "\n".join(f"{page}: {v}" for page, items in found.items() for v in items)
