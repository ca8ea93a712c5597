"""Users and their roles: created from the command line or by an admin on the users page; audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import AnonymousUser, User
from django.db import transaction
from django.db.models import Count, Q

from config.audit import audit_record
from config.roles import Role, role_among, set_role
from config.signals import user_deactivated


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


def user_save(
    *, name: str, role: Role, password: str | None, by: User | AnonymousUser | None = None
) -> tuple[User, bool]:
    """Create the user ``name`` (no usable password unless one is given) or update the existing one;
    returns it and whether it was created. A new user, a changed role and a new password each show in
    the audit log (the password never does, only that it changed)."""
    with transaction.atomic():
        user, created = User.objects.select_for_update().get_or_create(username=name)
        held = None if created else role_among(user.groups.values_list("name", flat=True))
        before = held.value if held else None
        if password is not None:
            user.set_password(password)
        elif created:
            user.set_unusable_password()
        user.save()
        set_role(user=user, role=role)
        changes: dict[str, object] = {}
        if before != role.value:
            changes["role"] = [before, role.value]
        if password is not None:
            changes["password"] = "set" if created else "changed"
        if changes:
            audit_record(
                user=by,
                action="user.create" if created else "user.update",
                target=f"user {name}",
                changes=changes,
            )
    return user, created


def user_change(*, user: User, role: Role, active: bool, password: str | None, by: User) -> list[str]:
    """An admin's change to another user: their role, whether they may sign in, a new password;
    audited, and returns what changed. An admin cannot take their own admin role or access away, so
    the page always leaves an admin who can undo a change. Deactivating ends the user's sessions and
    API tokens (both check ``is_active``) and hands the leads leased to them back to the queue."""
    if user.pk == by.pk and (role != Role.ADMIN or not active):
        raise UserError("role" if role != Role.ADMIN else "active", "you cannot take away your own admin access")
    if user.is_superuser and role != Role.ADMIN:
        raise UserError("role", f"{user.username} is a superuser, so an admin whatever their group")
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        held = role_among(locked.groups.values_list("name", flat=True))
        changes: dict[str, object] = {}
        if held != role:
            set_role(user=locked, role=role)
            changes["role"] = [held.value if held else None, role.value]
        if locked.is_active != active:
            changes["active"] = [locked.is_active, active]
            locked.is_active = active
        if password is not None:
            locked.set_password(password)
            changes["password"] = "changed"
        if not changes:
            return []
        locked.save()
        audit_record(user=by, action="user.update", target=f"user {locked.username}", changes=changes)
        if changes.get("active") == [True, False]:
            user_deactivated.send(sender=User, user=locked)
    return list(changes)


def user_rows() -> list[UserRow]:
    """Every user, signed-in ones first by name, each with their role and live API tokens."""
    users = (
        User.objects.prefetch_related("groups")
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
