"""Every page of the app per role, with the data that fills them, for the browser checks that
visit them all (accessibility, phone widths)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from config.roles import Role
from config.tokens import token_create
from feedback.models import Reason
from feedback.services import label_submit
from leads.models import Lead

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"

# (role, username, paths): {open} is an open lead, {closed} a labeled one, {labeler} the rep's user id.
PAGES: list[tuple[Role | None, str, list[str]]] = [
    (None, "", ["/accounts/login/"]),
    (
        Role.REP,
        "riley",
        [
            "/queue/",
            "/leads/",
            "/leads/{open}/",
            "/leads/{closed}/",
            "/settings/",
            "/no-such-page/",
            "/accounts/password/",
        ],
    ),
    (
        Role.MANAGER,
        "morgan",
        ["/dashboards/", "/dashboards/reasons/?outcome=converted", "/leads/", "/leads/{closed}/", "/queue/"],
    ),
    (
        Role.ADMIN,
        "alex",
        [
            "/queue/",
            "/leads/",
            "/leads/{open}/",
            "/dashboards/",
            "/dashboards/reasons/?outcome=not_converted",
            "/settings/",
            "/settings/webhook/",
            "/settings/users/",
            "/settings/users/{labeler}/",
            "/settings/audit/",
            "/settings/audit/?kind=imports",
            "/leads/import/",
        ],
    ),
]


def fill_the_app(make_leads: Any, labeler: Any) -> dict[str, str]:
    """Leads with history and activity, a trained model, a few rep labels with notes; returns the
    ids that fill the {open}, {closed} and {labeler} placeholders."""
    ids = make_leads(40, labeled=0.5)
    Lead.objects.filter(external_id__in=ids[:5]).update(attributes={"crm_stage": "demo booked"})
    open_leads = list(Lead.objects.filter(external_id__in=ids, status="open").order_by("external_id"))
    for lead, outcome, reason in [
        (open_leads[-1], "converted", "champion"),
        (open_leads[-2], "not_converted", "no_budget"),
    ]:
        label_submit(user=labeler, lead=lead, outcome=outcome, reason_code=reason, note="Asked about pricing")
    assert Reason.objects.filter(code__in=["champion", "no_budget"]).count() == 2
    token_create(user=labeler, name="crm-sync")  # the user's page lists it
    return {"open": open_leads[0].external_id, "closed": open_leads[-1].external_id, "labeler": str(labeler.pk)}


def login(page: Any, site: str, username: str, password: str) -> None:
    page.goto(f"{site}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button.primary")
    page.wait_for_load_state()
