"""What the security review found around passwords: a new password revokes the user's API tokens,
weak passwords are refused, guesses at the current one count as failed sign-ins, and a refused
form (CSRF) gets the site's own page."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from config.models import AuditLog
from config.roles import Role
from config.tokens import token_create
from tests.config.test_users_page import USERS, edit
from tests.conftest import ApiClient, make_user

pytestmark = pytest.mark.django_db

OWN = "/accounts/password/"


def test_a_new_password_revokes_the_users_api_tokens_and_says_so(page_for: Any, admin: Any) -> None:
    victim = make_user("victim", Role.REP)
    key = token_create(user=victim, name="crm")
    assert ApiClient(key).get("/api/reasons").status_code == 200

    client = page_for(admin)
    response = edit(client, victim, password="Victim-pass-2")

    assert response.status_code == 302
    assert ApiClient(key).get("/api/reasons").status_code == 401
    page = client.get(USERS).content.decode()
    assert "victim: password changed, their API tokens revoked (make new ones on their page)" in page


@pytest.mark.parametrize("password", ["password", "12345678", "qwertyuiop"])
def test_a_weak_password_is_refused_on_the_users_page_and_by_create_user(
    password: str, page_for: Any, admin: Any
) -> None:
    response = page_for(admin).post(USERS, {"username": "weakpass", "role": "admin", "password": password})

    assert response.status_code == 400 and "password" in response.context["form"].errors
    with pytest.raises(CommandError, match="--password: "):
        call_command("create_user", "weakpass", "--role", "rep", "--password", password, stdout=io.StringIO())


def test_guesses_at_the_current_password_are_throttled_as_sign_ins(page_for: Any, admin: Any) -> None:
    client = page_for(admin)

    answers = [
        edit(client, admin, password="Brand-new-pass-9", current_password=f"guess-{i}").status_code for i in range(6)
    ]
    right = edit(client, admin, password="Brand-new-pass-9", current_password="password-123")

    assert answers[:4] == [400] * 4 and answers[-1] == 429  # the fifth failure locks, as on the login page
    assert right.status_code == 429  # the right one too, until the cool-off
    assert Client().post("/accounts/login/", {"username": "admin1", "password": "password-123"}).status_code == 429


def test_a_form_refused_for_its_csrf_token_gets_the_sites_page() -> None:
    client = Client(enforce_csrf_checks=True)

    response = client.post("/accounts/login/", {"username": "x", "password": "y"})

    assert response.status_code == 403
    page = response.content.decode()
    assert "This form could not be sent" in page and "<style" not in page


@pytest.mark.parametrize("role", [Role.REP, Role.MANAGER, Role.ADMIN])
def test_every_user_changes_their_own_password_and_their_tokens_are_revoked(role: Role, page_for: Any) -> None:
    user = make_user("dana", role)
    key = token_create(user=user, name="laptop")
    client, other = page_for(user), page_for(user)
    assert 'href="/accounts/password/"' in client.get("/leads/").content.decode()

    wrong = client.post(
        OWN, {"old_password": "nope", "new_password1": "Fresh-pass-42", "new_password2": "Fresh-pass-42"}
    )
    weak = client.post(OWN, {"old_password": "password-123", "new_password1": "12345678", "new_password2": "12345678"})
    done = client.post(
        OWN,
        {"old_password": "password-123", "new_password1": "Fresh-pass-42", "new_password2": "Fresh-pass-42"},
        follow=True,
    )

    assert wrong.status_code == 400 and "is not your current password" in wrong.content.decode()
    assert weak.status_code == 400 and "entirely numeric" in weak.content.decode()
    assert (
        "Password changed: your other sessions are signed out; your 1 API token was revoked." in done.content.decode()
    )
    assert client.get("/leads/").status_code == 200  # this session stays
    assert other.get("/leads/").status_code == 302  # the other one ends
    assert ApiClient(key).get("/api/reasons").status_code == 401
    assert Client().post("/accounts/login/", {"username": "dana", "password": "Fresh-pass-42"}).status_code == 302
    assert AuditLog.objects.filter(action="user.update", target="user dana", user=user).exists()


def test_the_own_password_page_needs_a_sign_in() -> None:
    assert Client().get(OWN).status_code == 302


def test_create_user_with_a_new_password_revokes_the_old_tokens_and_prints_a_working_one() -> None:
    make_user("dana", Role.REP)
    old = token_create(user=User.objects.get(username="dana"), name="laptop")
    out, err = io.StringIO(), io.StringIO()

    call_command("create_user", "dana", "--role", "rep", "--password", "Orchid-pwd-9999", stdout=out, stderr=err)

    assert ApiClient(old).get("/api/reasons").status_code == 401
    assert ApiClient(out.getvalue().strip().splitlines()[-1]).get("/api/reasons").status_code == 200
    assert "password changed: 1 API token of dana revoked" in err.getvalue()


def test_create_user_with_the_same_password_again_keeps_the_tokens() -> None:
    call_command("create_user", "crm", "--role", "admin", "--password", "Orchid-pwd-9999", stdout=io.StringIO())
    first = token_create(user=User.objects.get(username="crm"), name="salesforce")

    call_command("create_user", "crm", "--role", "admin", "--password", "Orchid-pwd-9999", stdout=io.StringIO())

    assert ApiClient(first).get("/api/reasons").status_code == 200


def test_a_password_like_the_username_is_refused_on_the_users_page(page_for: Any, admin: Any) -> None:
    response = page_for(admin).post(USERS, {"username": "morganfreeman", "role": "rep", "password": "morganfreeman1"})

    assert response.status_code == 400 and "too similar" in response.content.decode()


def test_djangos_changepassword_also_revokes_the_users_tokens_and_is_audited(monkeypatch: Any) -> None:
    from config.management.commands import changepassword

    make_user("dana", Role.REP)
    old = token_create(user=User.objects.get(username="dana"), name="laptop")
    monkeypatch.setattr(changepassword.Command, "_get_pass", lambda self, prompt="": "Orchid-pwd-9999")
    out = io.StringIO()

    call_command("changepassword", "dana", stdout=out)

    assert ApiClient(old).get("/api/reasons").status_code == 401
    assert "1 API token(s) revoked" in out.getvalue()
    entry = AuditLog.objects.get(action="user.update", target="user dana")
    assert entry.user is None and entry.changes["password"] == "changed" and "revoked" in entry.changes["tokens"]
    assert Client().post("/accounts/login/", {"username": "dana", "password": "Orchid-pwd-9999"}).status_code == 302


def test_djangos_changepassword_still_refuses_a_weak_password_and_keeps_the_tokens(monkeypatch: Any) -> None:
    from config.management.commands import changepassword

    make_user("dana", Role.REP)
    old = token_create(user=User.objects.get(username="dana"), name="laptop")
    monkeypatch.setattr(changepassword.Command, "_get_pass", lambda self, prompt="": "12345678")

    with pytest.raises(CommandError):
        call_command("changepassword", "dana", stdout=io.StringIO(), stderr=io.StringIO())

    assert ApiClient(old).get("/api/reasons").status_code == 200
