"""Users from the command line: create one, or change an existing one's role and password; audited."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User
from django.db import transaction

from config.audit import audit_record
from config.roles import Role, role_among, set_role


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
