"""Roles (rep, manager, admin) and the checks every page and endpoint makes on the server."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from enum import StrEnum
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AnonymousUser, Group, User
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.http.response import HttpResponseBase


class Role(StrEnum):
    REP = "rep"
    MANAGER = "manager"
    ADMIN = "admin"


# Who may open what: an admin reaches all, a manager the team's pages, a rep the queue.
LABELERS = (Role.REP, Role.ADMIN)
READERS = (Role.REP, Role.MANAGER, Role.ADMIN)
MANAGERS = (Role.MANAGER, Role.ADMIN)
ADMINS = (Role.ADMIN,)

_PRECEDENCE = (Role.ADMIN, Role.MANAGER, Role.REP)


def role_among(group_names: Iterable[str]) -> Role | None:
    """The role these groups give (the highest, should a user be in two)."""
    names = set(group_names)
    return next((role for role in _PRECEDENCE if role.value in names), None)


def role_of(user: User | AnonymousUser) -> Role | None:
    if not user.is_authenticated or not user.is_active:
        return None
    if getattr(user, "is_superuser", False):
        return Role.ADMIN
    cached = getattr(user, "_leadloop_role", None)
    if cached is not None:
        return cached or None
    role = role_among(user.groups.values_list("name", flat=True))
    user._leadloop_role = role or ""  # type: ignore[attr-defined]  # a per-request cache on the instance
    return role


def signed_in_user(request: HttpRequest) -> User:
    """The request's user, who must be signed in: every page and endpoint that acts for a user
    sits behind ``role_required`` or a token auth, so an anonymous user here is a wiring bug."""
    user = request.user
    if not isinstance(user, User) or not user.is_authenticated:
        raise PermissionDenied("Sign in first.")
    return user


def has_role(user: User | AnonymousUser, roles: tuple[Role, ...]) -> bool:
    return role_of(user) in roles


def set_role(*, user: User, role: Role) -> None:
    groups = [Group.objects.get_or_create(name=r.value)[0] for r in Role]
    user.groups.remove(*groups)
    user.groups.add(Group.objects.get(name=role.value))
    user._leadloop_role = role  # type: ignore[attr-defined]  # per-request cache


def roles_in_words(roles: tuple[Role, ...]) -> str:
    """(MANAGER, ADMIN) → 'managers and admins'."""
    names = [f"{role.value}s" for role in roles]
    return " and ".join([", ".join(names[:-1]), names[-1]]) if len(names) > 1 else names[0]


def role_required(
    roles: tuple[Role, ...],
) -> Callable[[Callable[..., HttpResponseBase]], Callable[..., HttpResponseBase]]:
    """Login first (redirect), then the role (403): the decorator every page view wears."""

    def decorator(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not has_role(request.user, roles):
                raise PermissionDenied(f"This page is for {roles_in_words(roles)}.")
            return view(request, *args, **kwargs)

        wrapped.leadloop_roles = roles  # type: ignore[attr-defined]
        return login_required(wrapped)

    return decorator
