"""API tokens: named, stored hashed, revocable by command, every change audited."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from config.models import ApiToken, AuditLog
from config.roles import Role, role_of
from config.tokens import TokenNameTaken, token_create, token_revoke, token_user

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


def test_a_second_live_token_with_the_same_name_is_refused_until_the_first_is_revoked(admin: Any) -> None:
    first = token_create(user=admin, name="crm")

    with pytest.raises(TokenNameTaken, match="admin1 already has a live token named 'crm'"):
        token_create(user=admin, name="crm")
    assert ApiToken.objects.filter(name="crm").count() == 1
    assert AuditLog.objects.filter(action="token.create").count() == 1

    token_revoke(user=admin, name="crm")
    again = token_create(user=admin, name="crm")
    assert token_user(key=first) is None and token_user(key=again) == admin


def test_another_user_may_use_the_same_token_name(admin: Any, rep: Any) -> None:
    token_create(user=admin, name="crm")

    assert token_user(key=token_create(user=rep, name="crm")) == rep


def test_create_user_refuses_a_token_name_the_user_has_and_changes_nothing(defaults: None, capsys: Any) -> None:
    call_command("create_user", "crm-sync", "--role", "admin", "--token-name", "salesforce")

    with pytest.raises(CommandError) as refused:
        call_command("create_user", "crm-sync", "--role", "rep", "--token-name", "salesforce")

    message = str(refused.value)
    assert "crm-sync already has a live token named 'salesforce'" in message
    assert "revoke_token crm-sync --name salesforce" in message and "another --token-name" in message
    user = get_user_model().objects.get(username="crm-sync")
    assert role_of(user) == Role.ADMIN and not user.has_usable_password()
    assert ApiToken.objects.filter(user=user).count() == 1
    assert not AuditLog.objects.filter(action="user.update").exists()  # the refused run left no trace


def test_revoke_token_by_name_leaves_the_users_other_tokens_and_frees_the_name(defaults: None, capsys: Any) -> None:
    call_command("create_user", "crm-sync", "--role", "admin", "--token-name", "salesforce")
    call_command("create_user", "crm-sync", "--role", "admin", "--token-name", "hubspot")
    hubspot = capsys.readouterr().out.strip().splitlines()[-1]

    call_command("revoke_token", "crm-sync", "--name", "salesforce")
    assert "revoked=1" in capsys.readouterr().out
    assert token_user(key=hubspot) is not None

    call_command("create_user", "crm-sync", "--role", "admin", "--token-name", "salesforce")  # the name is free again
    renewed = capsys.readouterr().out.strip().splitlines()[-1]
    call_command("revoke_token", "crm-sync", "--name", "salesforce")
    assert "revoked=1" in capsys.readouterr().out
    assert token_user(key=renewed) is None and token_user(key=hubspot) is not None


def test_revoke_token_takes_a_name_or_a_prefix_not_both(admin: Any) -> None:
    key = token_create(user=admin, name="crm")

    with pytest.raises(CommandError, match="not allowed with argument"):
        call_command("revoke_token", "admin1", "--name", "crm", "--prefix", key[:8])
    assert token_user(key=key) == admin


@pytest.mark.parametrize("given", ["", "a", "1234567"])
def test_a_prefix_shorter_than_eight_characters_is_refused(admin: Any, given: str) -> None:
    key = token_create(user=admin, name="crm")

    with pytest.raises(CommandError, match=f"--prefix needs the key's first 8 characters .*not {len(given)}"):
        call_command("revoke_token", "admin1", "--prefix", given)
    assert token_user(key=key) == admin


@pytest.mark.django_db(transaction=True)
def test_the_migration_renames_live_twins_before_it_makes_names_unique() -> None:
    """Tokens created before names were unique: the oldest keeps its name, every key keeps working."""
    before = [("config", "0002_defaults")]
    MigrationExecutor(connection).migrate(before)
    try:
        old = MigrationExecutor(connection).loader.project_state(before).apps
        user = old.get_model("auth", "User").objects.create(username="crm-sync")
        tokens = old.get_model("config", "ApiToken")
        for n in range(3):
            tokens.objects.create(user=user, name="salesforce", key_hash=f"h{n}", prefix=f"{n}abcdefg")
        tokens.objects.create(user=user, name="salesforce", key_hash="h9", prefix="9abcdefg", revoked_at=timezone.now())
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())

    live = ApiToken.objects.filter(revoked_at__isnull=True).order_by("prefix")
    assert list(live.values_list("name", "key_hash")) == [
        ("salesforce", "h0"),
        ("salesforce (1abcdefg)", "h1"),
        ("salesforce (2abcdefg)", "h2"),
    ]
    assert ApiToken.objects.get(key_hash="h9").name == "salesforce"


def test_create_user_run_again_without_a_token_name_still_prints_a_token(defaults: None, capsys: Any) -> None:
    """The command's contract: its last line is a token, however often it runs for one user."""
    keys = []
    for _ in range(3):
        call_command("create_user", "crm-sync", "--role", "rep")
        keys.append(capsys.readouterr().out.strip().splitlines()[-1])
    assert len(set(keys)) == 3 and all(token_user(key=key) is not None for key in keys)
    names = ApiToken.objects.filter(user__username="crm-sync").order_by("id").values_list("name", flat=True)
    assert list(names) == ["default", "default-2", "default-3"]
