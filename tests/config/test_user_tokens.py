"""API tokens on a user's page: an admin makes one (its key shown once), sees each live token with
when it was made and last used, and revokes one; every step audited, every refusal names the field."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.contrib.auth.models import User

from config.models import ApiToken, AuditLog
from config.tokens import token_create
from tests.conftest import ApiClient

pytestmark = pytest.mark.django_db


def tokens_url(user: Any) -> str:
    return f"/settings/users/{user.pk}/tokens/"


def revoke_url(user: Any, token: ApiToken) -> str:
    return f"/settings/users/{user.pk}/tokens/{token.pk}/revoke/"


def shown_key(page: str) -> str:
    found = re.search(r'<code class="token-key">([0-9a-f]{40})</code>', page)
    assert found, "the new key is on the page"
    return found.group(1)


def test_an_admin_makes_a_token_that_works_and_its_key_is_shown_once(page_for: Any, admin: Any, rep: Any) -> None:
    client = page_for(admin)
    response = client.post(tokens_url(rep), {"name": "salesforce"})

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    page = response.content.decode()
    key = shown_key(page)
    # The page answers at .../tokens/: each of its forms posts where it belongs, not back here.
    assert f'action="/settings/users/{rep.pk}/"' in page and f'action="/settings/users/{rep.pk}/tokens/"' in page
    assert ApiClient(key).get("/api/queue?limit=1").status_code == 200  # acts as the rep
    token = ApiToken.objects.get(user=rep, revoked_at__isnull=True)
    assert (token.name, token.prefix) == ("salesforce", key[:8])
    assert token.key_hash != key  # only the hash is kept
    entry = AuditLog.objects.get(action="token.create")
    assert (entry.user, entry.target) == (admin, f"token {key[:8]}… (salesforce) of rep1")
    assert key not in json.dumps(entry.changes) and key not in str(response.cookies)  # the page alone shows it

    again = client.get(f"/settings/users/{rep.pk}/").content.decode()
    assert key not in again  # never shown again
    assert "salesforce" in again and f"{key[:8]}…" in again


def test_the_page_lists_live_tokens_only_with_when_made_and_last_used(page_for: Any, admin: Any, rep: Any) -> None:
    used = token_create(user=rep, name="used")
    token_create(user=rep, name="idle")
    gone = token_create(user=rep, name="gone")
    ApiToken.objects.filter(prefix=gone[:8]).update(revoked_at=ApiToken.objects.get(prefix=gone[:8]).created_at)
    ApiClient(used).get("/api/queue?limit=1")

    response = page_for(admin).get(f"/settings/users/{rep.pk}/")

    assert [t.name for t in response.context["tokens"]] == ["used", "idle"]
    page = response.content.decode()
    assert "gone" not in page
    assert "2 live API tokens" in page
    assert response.context["tokens"][0].last_used_at is not None
    assert response.context["token_form"]["name"].value() == "default"  # a free name, offered


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("", "required"),
        ("line\nbreak", "no tabs or line breaks"),
        ("x" * 101, "at most 100"),
        ("taken", "already has a live token named 'taken'"),
    ],
)
def test_a_bad_token_name_is_refused_naming_the_field(
    page_for: Any, admin: Any, rep: Any, name: str, words: str
) -> None:
    token_create(user=rep, name="taken")
    response = page_for(admin).post(tokens_url(rep), {"name": name})

    assert response.status_code == 400
    errors = response.context["token_form"].errors
    assert list(errors) == ["name"]
    assert words in " ".join(errors["name"])
    assert ApiToken.objects.filter(user=rep).count() == 1
    assert not re.search(r'class="token-key"', response.content.decode())


def test_no_token_for_a_user_who_may_not_sign_in(page_for: Any, admin: Any, rep: Any) -> None:
    User.objects.filter(pk=rep.pk).update(is_active=False)
    response = page_for(admin).post(tokens_url(rep), {"name": "script"})

    assert response.status_code == 400
    assert "may not sign in" in " ".join(response.context["token_form"].errors["name"])
    assert not ApiToken.objects.filter(user=rep).exists()
    page = page_for(admin).get(f"/settings/users/{rep.pk}/").content.decode()
    assert "may not sign in, so a token would not work" in page  # said instead of the form
    assert f'action="/settings/users/{rep.pk}/tokens/"' not in page


def test_a_token_asked_for_while_the_user_loses_sign_in_is_refused_not_revived_later(admin: Any, rep: Any) -> None:
    """The page was opened while the rep could sign in; another admin takes it away before the token is
    made. The token is refused (the user's row is locked and read again), so letting the rep back in
    later brings no token back with them."""
    from config.tokens import TokenUserInactive
    from config.users import user_change, user_fingerprint

    stale = User.objects.get(pk=rep.pk)  # as the page read it
    user_change(user=rep, by=admin, seen=user_fingerprint(rep), role=None, active=False, password=None)

    with pytest.raises(TokenUserInactive, match="rep1 may not sign in"):
        token_create(user=stale, name="raced")
    assert not ApiToken.objects.filter(user=rep).exists()
    now = User.objects.get(pk=rep.pk)
    user_change(user=now, by=admin, seen=user_fingerprint(now), role=None, active=True, password=None)
    assert not ApiToken.objects.filter(user=rep, revoked_at__isnull=True).exists()  # nothing to revive


def test_a_token_for_a_user_deleted_meanwhile_is_a_404(page_for: Any, admin: Any, rep: Any) -> None:
    client = page_for(admin)
    assert client.post("/settings/users/999999/tokens/", {"name": "x"}).status_code == 404
    stale = User.objects.get(pk=rep.pk)
    User.objects.filter(pk=rep.pk).delete()
    with pytest.raises(User.DoesNotExist):
        token_create(user=stale, name="late")


def test_an_admin_revokes_one_token_and_the_others_keep_working(page_for: Any, admin: Any, rep: Any) -> None:
    leaked, kept = token_create(user=rep, name="leaked"), token_create(user=rep, name="kept")
    token = ApiToken.objects.get(prefix=leaked[:8])
    client = page_for(admin)

    response = client.post(revoke_url(rep, token))

    assert response.status_code == 302 and response["Location"] == f"/settings/users/{rep.pk}/#tokens"
    assert ApiClient(leaked).get("/api/queue?limit=1").status_code == 401
    assert ApiClient(kept).get("/api/queue?limit=1").status_code == 200
    entry = AuditLog.objects.get(action="token.revoke")
    assert (entry.user, entry.target) == (admin, f"token {leaked[:8]}… (leaked) of rep1")
    messages = [str(m) for m in client.get(response["Location"]).context["messages"]]
    assert messages == [f"Revoked rep1's token 'leaked' ({leaked[:8]}…): calls made with it are refused from now on."]

    again = client.post(revoke_url(rep, token))  # a second click, another tab
    assert again.status_code == 302
    assert AuditLog.objects.filter(action="token.revoke").count() == 1
    assert [str(m) for m in client.get(again["Location"]).context["messages"]] == [
        f"rep1's token 'leaked' ({leaked[:8]}…) was already revoked."
    ]


def test_a_token_is_revoked_only_through_its_own_user(page_for: Any, admin: Any, rep: Any, rep2: Any) -> None:
    key = token_create(user=rep, name="mine")
    token = ApiToken.objects.get(prefix=key[:8])

    assert page_for(admin).post(revoke_url(rep2, token)).status_code == 404  # another user's page
    assert page_for(admin).post(f"/settings/users/{rep.pk}/tokens/999999/revoke/").status_code == 404
    assert ApiClient(key).get("/api/queue?limit=1").status_code == 200


@pytest.mark.parametrize("role_fixture", ["rep", "manager"])
def test_only_admins_make_or_revoke_tokens(role_fixture: str, request: Any, page_for: Any, rep2: Any) -> None:
    someone = request.getfixturevalue(role_fixture)
    key = token_create(user=rep2, name="theirs")
    token = ApiToken.objects.get(prefix=key[:8])
    client = page_for(someone)

    assert client.post(tokens_url(someone), {"name": "mine"}).status_code == 403  # not even their own
    assert client.post(revoke_url(rep2, token)).status_code == 403
    assert client.get(tokens_url(someone)).status_code in (403, 405)
    assert not ApiToken.objects.filter(user=someone).exists()
    assert ApiClient(key).get("/api/queue?limit=1").status_code == 200
