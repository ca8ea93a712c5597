"""create_user in the audit log: a new user, a changed role and a changed password (never the
password itself); running it again with nothing to change records no user change."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from config.models import AuditLog

pytestmark = pytest.mark.django_db


def create_user(*args: str) -> None:
    call_command("create_user", *args, stdout=io.StringIO(), stderr=io.StringIO())


def user_entries() -> list[tuple[str, dict[str, Any]]]:
    return [(e.action, e.changes) for e in AuditLog.objects.filter(action__startswith="user.").order_by("id")]


def test_a_new_user_is_recorded_with_the_role_and_that_a_password_was_set(defaults: None) -> None:
    create_user("dana", "--role", "rep", "--password", "first-secret-1", "--token-name", "t1")

    assert user_entries() == [("user.create", {"role": [None, "rep"], "password": "set"})]
    assert AuditLog.objects.get(action="user.create").user is None


def test_a_role_change_and_a_password_change_are_recorded_without_the_password(defaults: None) -> None:
    create_user("dana", "--role", "rep", "--token-name", "t1")

    create_user("dana", "--role", "manager", "--token-name", "t2")
    create_user("dana", "--role", "manager", "--password", "second-secret-2", "--token-name", "t3")
    create_user("dana", "--role", "manager", "--token-name", "t4")

    assert user_entries() == [
        ("user.create", {"role": [None, "rep"]}),
        ("user.update", {"role": ["rep", "manager"]}),
        ("user.update", {"password": "changed", "tokens": "2 revoked with the password"}),  # t1 and t2
    ]
    assert AuditLog.objects.get(changes__password="changed").target == "user dana"
    assert not any("second-secret-2" in str(e.changes) for e in AuditLog.objects.all())


def test_a_token_asked_for_with_another_role_says_the_role_changed(defaults: None) -> None:
    create_user("morgan", "--role", "manager", "--token-name", "t1")
    said = io.StringIO()

    call_command("create_user", "morgan", "--role", "rep", "--token-name", "t2", stdout=io.StringIO(), stderr=said)
    again = io.StringIO()
    call_command("create_user", "morgan", "--role", "rep", "--token-name", "t3", stdout=io.StringIO(), stderr=again)

    assert said.getvalue().strip() == "updated morgan: role changed from manager to rep"
    assert again.getvalue().strip() == "updated morgan (rep)"


def test_the_role_before_is_the_one_the_user_had_even_in_two_groups(defaults: None) -> None:
    """The old role is read as every page reads it (the highest group), so leaving admin is recorded."""
    from django.contrib.auth.models import Group, User

    create_user("dana", "--role", "admin", "--token-name", "t1")
    User.objects.get(username="dana").groups.add(Group.objects.get_or_create(name="rep")[0])
    create_user("dana", "--role", "rep", "--token-name", "t2")

    assert user_entries()[-1] == ("user.update", {"role": ["admin", "rep"]})


def test_seed_demo_run_again_records_a_demo_users_role_set_back(defaults: None) -> None:
    from django.contrib.auth.models import User

    from config.roles import Role, set_role

    call_command("seed_demo", "--leads", "40", stdout=io.StringIO(), stderr=io.StringIO())
    assert ("user.create", {"role": [None, "rep"]}) in user_entries()
    set_role(user=User.objects.get(username="riley"), role=Role.ADMIN)
    call_command("seed_demo", stdout=io.StringIO(), stderr=io.StringIO())

    assert user_entries()[-1] == ("user.update", {"role": ["admin", "rep"]})


def test_a_user_created_without_a_password_is_told_they_cannot_sign_in_yet(defaults: None) -> None:
    err = io.StringIO()

    call_command("create_user", "newrep", "--role", "rep", stdout=io.StringIO(), stderr=err)

    assert "newrep has no password yet, so cannot sign in" in err.getvalue()


@pytest.mark.parametrize("name", ["fz bad name", "<img src=x onerror=1>", "a/b", "fz\x01ctl", "fz\u202ertl"])
def test_a_name_the_users_page_refuses_is_refused_and_nothing_is_made(defaults: None, name: str) -> None:
    with pytest.raises(CommandError, match="Enter a valid username"):
        create_user(name, "--role", "rep")

    assert not User.objects.filter(username=name).exists()
    assert not AuditLog.objects.exists()


def test_a_name_that_differs_from_a_user_only_in_case_is_refused(defaults: None) -> None:
    create_user("dana", "--role", "rep")

    with pytest.raises(CommandError, match="'dana' exists; a name is unique whatever its case"):
        create_user("Dana", "--role", "admin")
    assert list(User.objects.filter(username__iexact="dana").values_list("username", flat=True)) == ["dana"]


def test_a_user_who_may_not_sign_in_gets_no_token_and_nothing_changes(defaults: None) -> None:
    from config.models import ApiToken

    create_user("dana", "--role", "rep", "--token-name", "t1")
    User.objects.filter(username="dana").update(is_active=False)
    entries = AuditLog.objects.count()

    with pytest.raises(CommandError, match="dana may not sign in, so a token would not work: let them sign in again"):
        create_user("dana", "--role", "manager", "--token-name", "t2")

    assert not ApiToken.objects.filter(name="t2").exists()
    assert AuditLog.objects.count() == entries  # the role change rolled back with the refusal
    assert not User.objects.get(username="dana").groups.filter(name="manager").exists()
