"""API tokens: named, stored hashed, revocable by command, every change audited."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import CommandError, call_command

from config.models import ApiToken, AuditLog
from config.tokens import token_create, token_revoke, token_user

pytestmark = pytest.mark.django_db


def test_a_token_is_stored_only_as_its_hash_and_its_creation_is_audited(admin: Any) -> None:
    key = token_create(user=admin, name="hubspot", by=admin)

    token = ApiToken.objects.get(name="hubspot")
    assert key not in token.key_hash and token.prefix == key[:8]
    assert token_user(key=key) == admin
    entry = AuditLog.objects.get(action="token.create")
    assert entry.user == admin and "hubspot" in entry.target and key not in str(entry.changes)


def test_revoking_one_named_token_leaves_the_others_working(admin: Any) -> None:
    crm = token_create(user=admin, name="crm")
    other = token_create(user=admin, name="warehouse")

    assert token_revoke(user=admin, name="crm", by=admin) == 1

    assert token_user(key=crm) is None
    assert token_user(key=other) == admin
    assert AuditLog.objects.filter(action="token.revoke", target__contains="crm").count() == 1


def test_the_revoke_token_command_revokes_by_name_and_by_prefix(admin: Any, capsys: Any) -> None:
    crm = token_create(user=admin, name="crm")
    other = token_create(user=admin, name="warehouse")

    call_command("revoke_token", "admin1", "--name", "crm")
    call_command("revoke_token", "admin1", "--prefix", other[:8])

    assert token_user(key=crm) is None and token_user(key=other) is None
    assert "revoked=1" in capsys.readouterr().out
    assert AuditLog.objects.filter(action="token.revoke").count() == 2


def test_the_command_fails_when_nothing_matches(admin: Any) -> None:
    with pytest.raises(CommandError):
        call_command("revoke_token", "admin1", "--name", "nope")
    with pytest.raises(CommandError):
        call_command("revoke_token", "ghost")


def test_create_user_names_the_token_after_the_integration(defaults: None, capsys: Any) -> None:
    call_command("create_user", "crm-sync", "--role", "admin", "--token-name", "salesforce")

    key = capsys.readouterr().out.strip().splitlines()[-1]
    assert ApiToken.objects.get(prefix=key[:8]).name == "salesforce"
    assert token_user(key=key).get_username() == "crm-sync"
