"""Users and their roles: created from the command line or by an admin on the users page; audited."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from django.contrib.auth import SESSION_KEY
from django.contrib.auth.models import AnonymousUser, User
from django.contrib.sessions.models import Session
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from config.audit import audit_record
from config.roles import LABELERS, Role, role_among, role_of, set_role
from config.signals import user_left_queue
from config.tokens import token_revoke


class UserError(Exception):
    """A change to a user that cannot be made; ``field`` names what is wrong."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class UserRow:
    """One user as the users page lists them."""

    user: User
    role: Role | None
    superuser: bool
    active: bool
    last_login: datetime | None
    tokens: int  # live API tokens


class SavedUser(NamedTuple):
    user: User
    created: bool
    role_before: str | None  # the role the user held before (None: new, or no role)
    tokens_revoked: int = 0  # a new password for an existing user revokes their API tokens


def user_save(*, name: str, role: Role, password: str | None, by: User | AnonymousUser | None = None) -> SavedUser:
    """Create the user ``name`` (no usable password unless one is given) or update the existing one;
    returns it, whether it was created and the role it held before. A new user, a changed role and a
    new password each show in the audit log (the password never does, only that it changed)."""
    with transaction.atomic():
        user, created = User.objects.select_for_update().get_or_create(username=name)
        held = None if created else role_among(user.groups.values_list("name", flat=True))
        before = held.value if held else None
        same = not created and password is not None and user.check_password(password)
        if password is not None:
            user.set_password(password)
        elif created:
            user.set_unusable_password()
        user.save()
        set_role(user=user, role=role)
        changes: dict[str, object] = {}
        if before != role.value:
            changes["role"] = [before, role.value]
        if password is not None and not same:
            changes["password"] = "set" if created else "changed"
        # A new password revokes the tokens; the same one given again (a second token asked for) does not.
        revoked = _revoke_with_password(user, by=by, changes=changes) if "password" in changes and not created else 0
        if changes:
            audit_record(
                user=by,
                action="user.create" if created else "user.update",
                target=f"user {name}",
                changes=changes,
            )
    return SavedUser(user=user, created=created, role_before=before, tokens_revoked=revoked)


def user_fingerprint(user: User, role: Role | None = None) -> str:
    """What an edit page was opened on (role, access, password): a save made on an older page is
    refused rather than undoing another admin's change. ``role``: the user's group role, when the
    caller has read it already."""
    role = role or role_among(user.groups.values_list("name", flat=True))
    text = f"{role.value if role else ''}|{user.is_active}|{user.password}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def user_change(
    *, user: User, role: Role | None, active: bool | None, password: str | None, by: User, seen: str | None = None
) -> list[str]:
    """An admin's change to a user: their role, whether they may sign in, a new password (None:
    left as it is); audited, and returns what changed. ``seen``: the ``user_fingerprint`` the page
    was opened on; a save on a stale page is refused.

    An admin cannot take their own admin role or access away, and only a user who is still an
    active admin may change anyone, checked with every admin row locked: so two admins demoting each
    other at once cannot both succeed, and a change never leaves the team without an admin. A user
    who may no longer sign in loses their sessions and API tokens (revoked, so a later reactivation
    does not revive them); one who may no longer sign in or no longer labels hands the leads leased
    to them back to the queue."""
    if user.pk == by.pk and (role not in (None, Role.ADMIN) or active is False):
        raise UserError(
            "role" if role not in (None, Role.ADMIN) else "active", "you cannot take away your own admin access"
        )
    if user.is_superuser and role not in (None, Role.ADMIN):
        raise UserError("role", f"{user.username} is a superuser, so an admin whatever their group")
    with transaction.atomic():
        admins = list(_admins().select_for_update().order_by("pk").values_list("pk", flat=True))  # locked, in one order
        locked = User.objects.select_for_update().get(pk=user.pk)
        held = role_among(locked.groups.values_list("name", flat=True))
        if seen is not None and seen != user_fingerprint(locked, held):
            raise UserError("seen", f"{locked.username} was changed since this page was opened")
        if by.pk not in admins:
            raise UserError("__all__", "only an active admin can change users")
        changes: dict[str, object] = {}
        if role is not None and held != role:
            changes["role"] = [held.value if held else None, role.value]
        if active is not None and locked.is_active != active:
            changes["active"] = [locked.is_active, active]
        if password is not None:
            changes["password"] = "changed"
        if not changes:
            return []
        if "role" in changes and role is not None:
            set_role(user=locked, role=role)
        if "active" in changes:
            locked.is_active = bool(active)
        if password is not None:
            locked.set_password(password)
        locked.save()
        if password is not None:
            _revoke_with_password(locked, by=by, changes=changes)
        audit_record(user=by, action="user.update", target=f"user {locked.username}", changes=changes)
        if changes.get("active") == [True, False]:
            _sign_out_everywhere(locked, by=by)
        if not locked.is_active or (role_of(locked) not in LABELERS):
            user_left_queue.send(sender=User, user=locked)
    return list(changes)


def own_password_change(*, user: User, password: str) -> int:
    """A user's new password of their own (any role; the caller checked the current one): audited,
    and their API tokens revoked, as an admin's reset does. Returns how many tokens were revoked."""
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        locked.set_password(password)
        locked.save(update_fields=["password"])
        revoked = _password_changed(locked, by=locked)
    user.password = locked.password  # the caller keeps its session on the new password's hash
    return revoked


def password_changed_outside(user: User) -> int:
    """A password set outside Leadloop's pages and commands (Django's ``changepassword``): audited as
    the command line's, and the user's API tokens revoked as with every other password change."""
    with transaction.atomic():
        return _password_changed(user, by=None)


def _password_changed(user: User, *, by: User | None) -> int:
    """A password change on its own: the user's API tokens revoked and the change audited."""
    changes: dict[str, object] = {"password": "changed"}
    revoked = _revoke_with_password(user, by=by, changes=changes)
    audit_record(user=by, action="user.update", target=f"user {user.username}", changes=changes)
    return revoked


def _revoke_with_password(user: User, *, by: User | AnonymousUser | None, changes: dict[str, object]) -> int:
    """A new password revokes the user's API tokens, however it is set: it is changed when the old
    one may have leaked, and a token made meanwhile is as exposed. Notes it in ``changes``."""
    if revoked := token_revoke(user=user, by=by):
        changes["tokens"] = f"{revoked} revoked with the password"
    return revoked


def _admins() -> QuerySet[User]:
    """Users who can act as admins now: active, and in the admin group or superusers."""
    in_group = User.groups.through.objects.filter(group__name=Role.ADMIN.value).values("user_id")
    return User.objects.filter(Q(pk__in=in_group) | Q(is_superuser=True), is_active=True)  # no DISTINCT: it is locked


def _sign_out_everywhere(user: User, *, by: User) -> None:
    """End the user's sessions and revoke their API tokens (audited, as any revocation)."""
    token_revoke(user=user, by=by)
    now = timezone.now()
    ended = [
        session.pk
        for session in Session.objects.filter(expire_date__gt=now).iterator()
        if str(session.get_decoded().get(SESSION_KEY)) == str(user.pk)
    ]
    Session.objects.filter(pk__in=ended).delete()


def user_rows(*, pk: int | None = None) -> list[UserRow]:
    """Every user (or the one of ``pk``), active ones first by name, each with their role and live API tokens."""
    users = (
        User.objects.filter(**({"pk": pk} if pk is not None else {}))
        .prefetch_related("groups")
        .annotate(tokens=Count("api_tokens", filter=Q(api_tokens__revoked_at__isnull=True)))
        .order_by("-is_active", "username")
    )
    return [
        UserRow(
            user=user,
            role=Role.ADMIN if user.is_superuser else role_among(group.name for group in user.groups.all()),
            superuser=user.is_superuser,
            active=user.is_active,
            last_login=user.last_login,
            tokens=user.tokens,  # the annotation
        )
        for user in users
    ]
