"""The users page: an admin adds users, changes their role, password and access; audited; never
locks the last admin out; a user who may no longer sign in loses their sessions, tokens and leases."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from config.models import AuditLog
from config.roles import Role, role_of, set_role
from feedback.models import Label, Lease
from feedback.services import label_submit, lease_next_leads
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

USERS = "/settings/users/"


def edit_url(user: Any) -> str:
    return f"/settings/users/{user.pk}/"


def edit(client: Client, user: Any, **fields: Any) -> Any:
    """Open the user's page, then save it with ``fields`` changed, as an admin would."""
    page = client.get(edit_url(user))
    form = page.context["form"]
    body = {name: form[name].value() for name in form.fields if name not in ("password", "current_password")}
    body = {name: value for name, value in body.items() if value not in (None, False)}
    for name, value in fields.items():
        if value is False:
            body.pop(name, None)  # an unticked box is not sent
        else:
            body[name] = value
    return client.post(edit_url(user), body)


def can_sign_in(username: str, password: str) -> bool:
    """Through the login form, as a person would (the login throttle needs the request)."""
    return Client().post("/accounts/login/", {"username": username, "password": password}).status_code == 302


def entries(action: str) -> list[tuple[str, dict[str, Any], str | None]]:
    return [
        (e.target, e.changes, e.user.username if e.user else None)
        for e in AuditLog.objects.filter(action=action).order_by("id")
    ]


@pytest.mark.parametrize("role_fixture", ["rep", "manager"])
def test_only_admins_reach_the_users_pages(role_fixture: str, request: Any, page_for: Any, admin: Any) -> None:
    someone = request.getfixturevalue(role_fixture)
    client = page_for(someone)
    assert client.get(USERS).status_code == 403
    assert client.post(USERS, {"username": "eve", "role": "admin", "password": "long-enough-1"}).status_code == 403
    assert client.post(edit_url(someone), {"role": "admin", "active": "on"}).status_code == 403
    assert not User.objects.filter(username="eve").exists()
    assert role_of(User.objects.get(pk=someone.pk)) != Role.ADMIN
    assert Client().get(USERS).status_code == 302  # a stranger is sent to the login


def test_an_admin_adds_a_user_who_can_sign_in_with_that_role(page_for: Any, admin: Any) -> None:
    response = page_for(admin).post(USERS, {"username": "dana", "role": "manager", "password": "a-good-password"})

    assert response.status_code == 302
    dana = User.objects.get(username="dana")
    assert role_of(dana) == Role.MANAGER
    assert can_sign_in("dana", "a-good-password")
    assert entries("user.create") == [("user dana", {"role": [None, "manager"], "password": "set"}, "admin1")]
    page = page_for(admin).get(USERS).content.decode()
    assert "dana" in page and "manager" in page


@pytest.mark.parametrize(
    ("form", "field", "words"),
    [
        ({"username": "dana", "role": "rep", "password": "short"}, "password", "too short"),
        ({"username": "ADMIN1", "role": "rep", "password": "a-good-password"}, "username", "is taken"),
        ({"username": "a b,<c>", "role": "rep", "password": "a-good-password"}, "username", "letters"),
        ({"username": "dana", "role": "owner", "password": "a-good-password"}, "role", "not one of"),
        ({"username": "", "role": "rep", "password": "a-good-password"}, "username", "required"),
    ],
)
def test_a_bad_new_user_is_refused_naming_the_field(
    page_for: Any, admin: Any, form: dict[str, str], field: str, words: str
) -> None:
    response = page_for(admin).post(USERS, form)

    assert response.status_code == 400
    errors = response.context["form"].errors
    assert list(errors) == [field]
    assert words in " ".join(errors[field]).lower()
    assert User.objects.count() == 1  # the admin alone
    assert not AuditLog.objects.filter(action="user.create").exists()


def test_an_admin_changes_a_role_and_a_password(page_for: Any, admin: Any, rep: Any) -> None:
    client = page_for(admin)
    response = edit(client, rep, role="manager", password="another-one-9")

    assert response.status_code == 302
    rep = User.objects.get(pk=rep.pk)
    assert role_of(rep) == Role.MANAGER
    assert can_sign_in("rep1", "another-one-9")
    assert entries("user.update") == [("user rep1", {"role": ["rep", "manager"], "password": "changed"}, "admin1")]
    messages = [str(m) for m in client.get(USERS).context["messages"]]
    assert messages == ["rep1: role now manager, password changed."]


def test_saving_nothing_new_records_nothing(page_for: Any, admin: Any, rep: Any) -> None:
    assert edit(page_for(admin), rep).status_code == 302
    assert not AuditLog.objects.filter(action="user.update").exists()


def test_a_user_who_may_no_longer_sign_in_loses_sessions_tokens_and_leases_but_not_labels(
    page_for: Any, admin: Any, rep: Any, rep2: Any, api_for: Any, make_leads: Any
) -> None:
    make_leads(12)
    leased = lease_next_leads(user=rep, limit=5, lease_minutes=30)
    label_submit(user=rep, lead=leased[0], outcome="converted", reason_code="champion")
    session, token = page_for(rep), api_for(rep)
    assert session.get("/queue/").status_code == 200 and token.get("/api/queue").status_code == 200

    response = edit(page_for(admin), rep, active=False)  # "may sign in" unticked

    assert response.status_code == 302
    assert not User.objects.get(pk=rep.pk).is_active
    assert session.get("/queue/").status_code == 302  # back to the login
    assert token.get("/api/queue").status_code == 401
    assert not can_sign_in("rep1", "password-123")
    assert not Lease.objects.filter(user=rep).exists()
    free = {lead.pk for lead in lease_next_leads(user=rep2, limit=12, lease_minutes=30)}
    assert {lead.pk for lead in leased[1:]} <= free  # their leads are back in the queue at once
    assert Label.objects.filter(user=rep).count() == 1
    assert entries("user.update") == [("user rep1", {"active": [True, False]}, "admin1")]
    assert [action for (action,) in AuditLog.objects.filter(action="token.revoke").values_list("action")] == [
        "token.revoke"
    ]

    edit(page_for(admin), rep, active="on")
    assert can_sign_in("rep1", "password-123")
    # Let back in, they sign in afresh: the old session and token stay dead.
    assert session.get("/queue/").status_code == 302
    assert token.get("/api/queue").status_code == 401


@pytest.mark.parametrize(("form", "field"), [({"role": "rep"}, "role"), ({"active": False}, "active")])
def test_an_admin_cannot_take_their_own_admin_access_away(
    page_for: Any, admin: Any, form: dict[str, Any], field: str
) -> None:
    response = edit(page_for(admin), admin, **form)

    assert response.status_code == 400
    assert "your own admin access" in response.context["form"].errors[field][0]
    admin = User.objects.get(pk=admin.pk)
    assert admin.is_active and role_of(admin) == Role.ADMIN
    assert not AuditLog.objects.filter(action="user.update").exists()


def test_another_admin_may_be_made_a_rep(page_for: Any, admin: Any) -> None:
    other = make_user("admin2", Role.ADMIN)
    assert edit(page_for(admin), other, role="rep").status_code == 302
    assert role_of(User.objects.get(pk=other.pk)) == Role.REP


def test_a_superuser_stays_an_admin(page_for: Any, admin: Any) -> None:
    root = User.objects.create_superuser("root", password="root-password-1")
    set_role(user=root, role=Role.REP)  # a superuser in the rep group is still an admin
    response = edit(page_for(admin), root, role="rep")
    assert response.status_code == 400
    assert "superuser" in response.context["form"].errors["role"][0]
    assert edit(page_for(admin), root, password="a-new-one-123").status_code == 302
    assert entries("user.update") == [("user root", {"password": "changed"}, "admin1")]  # its group left alone


def test_a_missing_user_is_a_404(page_for: Any, admin: Any) -> None:
    assert page_for(admin).get("/settings/users/999999/").status_code == 404


def test_a_save_on_a_page_opened_before_another_admins_change_is_refused(page_for: Any, admin: Any, rep: Any) -> None:
    stale = page_for(admin)
    opened = stale.get(edit_url(rep)).context["form"]["seen"].value()
    other = make_user("admin2", Role.ADMIN)
    assert edit(page_for(other), rep, active=False).status_code == 302  # admin2 locks rep1 out meanwhile

    response = stale.post(edit_url(rep), {"role": "rep", "active": "on", "seen": opened, "password": "n3w-password!"})

    assert response.status_code == 302 and response["Location"] == edit_url(rep)  # the page as it is now
    again = stale.get(edit_url(rep))
    assert any("rep1 was changed since this page was opened" in str(m) for m in again.context["messages"])
    assert again.context["form"]["active"].value() is False
    assert not User.objects.get(pk=rep.pk).is_active  # admin2's change stands


def test_two_admins_demoting_each_other_leave_one_admin(defaults: None) -> None:
    from config.users import UserError, user_change

    first, second = make_user("admin1", Role.ADMIN), make_user("admin2", Role.ADMIN)
    user_change(user=second, role=Role.REP, active=None, password=None, by=first)

    with pytest.raises(UserError, match="only an active admin"):
        user_change(user=first, role=Role.REP, active=None, password=None, by=second)  # the request that lost the race
    assert role_of(User.objects.get(pk=first.pk)) == Role.ADMIN


def test_a_rep_made_a_manager_hands_their_leased_leads_back(
    page_for: Any, admin: Any, rep: Any, make_leads: Any
) -> None:
    make_leads(8)
    lease_next_leads(user=rep, limit=3, lease_minutes=30)

    edit(page_for(admin), rep, role="manager")

    assert not Lease.objects.filter(user=rep).exists()


def test_an_admin_changes_their_own_password_with_their_current_one_and_stays_signed_in(
    page_for: Any, admin: Any
) -> None:
    client = page_for(admin)
    refused = edit(client, admin, password="brand-new-pass-1", current_password="wrong")
    assert refused.status_code == 400
    assert "current_password" in refused.context["form"].errors

    assert edit(client, admin, password="brand-new-pass-1", current_password="password-123").status_code == 302
    assert client.get(USERS).status_code == 200  # still signed in
    assert can_sign_in("admin1", "brand-new-pass-1")
