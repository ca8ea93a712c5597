"""API tokens: one per user or integration (named), looked up by hash, revocable, audited."""

from __future__ import annotations

import hashlib
import secrets

from django.contrib.auth.models import AnonymousUser, User
from django.db import IntegrityError, transaction
from django.utils import timezone

from config.audit import audit_record
from config.models import ApiToken

PREFIX_LENGTH = 8  # the key's first characters, kept to name a token (in the audit log, to revoke_token)


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class TokenNameTaken(ValueError):
    """The user already has a live token of that name: a name picks one token (to revoke it)."""

    def __init__(self, *, user: User, name: str) -> None:
        self.taken = f"{user.get_username()} already has a live token named {name!r}"
        super().__init__(f"{self.taken}: choose another name, or revoke that token first")


class TokenUserInactive(ValueError):
    """The user may not sign in, so a token would not work (and would come back to life with them)."""

    def __init__(self, *, user: User) -> None:
        super().__init__(f"{user.get_username()} may not sign in, so a token would not work")


def _live_token_named(*, user: User, name: str) -> bool:
    return ApiToken.objects.filter(user=user, name=name, revoked_at__isnull=True).exists()


def free_token_name(*, user: User, base: str = "default") -> str:
    """``base``, or the first of ``base-2``, ``base-3``... that none of the user's live tokens has."""
    taken = set(ApiToken.objects.filter(user=user, revoked_at__isnull=True).values_list("name", flat=True))
    return next(name for n in range(1, len(taken) + 2) if (name := base if n == 1 else f"{base}-{n}") not in taken)


def token_create(*, user: User, name: str = "default", by: User | AnonymousUser | None = None) -> str:
    """Create a token and return its key; only the hash is kept. Audited (``by`` did it).
    A live token's name is unique per user: another one of that name raises ``TokenNameTaken``.
    A user who may not sign in gets none (``TokenUserInactive``): checked with the user's row locked,
    as taking away their sign-in locks it to revoke their tokens, so no token made meanwhile
    survives to work again when they are let back in. ``User.DoesNotExist``: deleted meanwhile."""
    key = secrets.token_hex(20)
    with transaction.atomic():
        active = User.objects.select_for_update().filter(pk=user.pk).values_list("is_active", flat=True).first()
        if active is None:
            raise User.DoesNotExist(f"no user {user.get_username()!r}")
        if not active:
            raise TokenUserInactive(user=user)
        try:
            with transaction.atomic():  # the constraint decides, also between two creations at once
                token = ApiToken.objects.create(user=user, name=name, key_hash=_hash(key), prefix=key[:PREFIX_LENGTH])
        except IntegrityError:
            if _live_token_named(user=user, name=name):
                raise TokenNameTaken(user=user, name=name) from None
            raise
        audit_record(
            user=by,
            action="token.create",
            target=f"token {token.prefix}… ({name}) of {user.get_username()}",
            changes={"token": [None, f"{token.prefix}…"], "name": [None, name]},
        )
    return key


def token_user(*, key: str) -> User | None:
    """The live token's user (every API call makes this lookup). Plain on purpose: the token and its
    user in one query, unordered; the role check then reads the user's groups in another. Reading
    the role as a subquery in the same query cost the web tier twice the CPU to build the SQL
    (docs/benchmarks.md, 2026-12-06)."""
    live = ApiToken.objects.select_related("user").filter(
        key_hash=_hash(key), revoked_at__isnull=True, user__is_active=True
    )
    token = next(iter(live[:1]), None)  # the hash is unique: no ORDER BY to build or run
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


def live_tokens(*, user: User) -> list[ApiToken]:
    """The user's tokens that still work (if the user may sign in), oldest first."""
    return list(ApiToken.objects.filter(user=user, revoked_at__isnull=True).order_by("created_at", "id"))


def token_of(*, user: User, pk: int) -> ApiToken | None:
    """One of the user's tokens, live or revoked (None: not theirs, or no such token)."""
    return ApiToken.objects.filter(user=user, pk=pk).first()


def token_revoke(
    *,
    user: User,
    name: str | None = None,
    prefix: str | None = None,
    pk: int | None = None,
    by: User | AnonymousUser | None = None,
) -> int:
    """Revoke the user's live tokens (all, or those with ``name`` / key ``prefix`` / id ``pk``); each one
    audited. Returns how many were revoked."""
    now = timezone.now()
    with transaction.atomic():
        tokens = ApiToken.objects.select_for_update().filter(user=user, revoked_at__isnull=True)
        if name is not None:
            tokens = tokens.filter(name=name)
        if prefix is not None:
            tokens = tokens.filter(prefix=prefix[:PREFIX_LENGTH])
        if pk is not None:
            tokens = tokens.filter(pk=pk)
        revoked = list(tokens)
        ApiToken.objects.filter(pk__in=[t.pk for t in revoked]).update(revoked_at=now)
        for token in revoked:
            audit_record(
                user=by,
                action="token.revoke",
                target=f"token {token.prefix}… ({token.name}) of {user.get_username()}",
                changes={"revoked_at": [None, now.isoformat()]},
            )
    return len(revoked)
