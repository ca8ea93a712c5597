"""The API's plumbing every router uses: token auth and the role each endpoint is open to."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.errors import HttpError
from ninja.security import APIKeyHeader

from config.roles import Role, has_role
from config.tokens import token_user


class TokenAuth(APIKeyHeader):
    """``Authorization: Token <key>``, and the roles that may call the endpoint.

    The role is checked here, before the body is read, so a wrong role gets 403 whatever it sends;
    every endpoint declares its roles (``auth=token_auth(READERS)``) and a test enforces that.
    """

    param_name = "Authorization"
    openapi_description = "Send `Authorization: Token <key>`; `manage.py create_user` prints a key."

    def __init__(self, roles: tuple[Role, ...] = ()) -> None:
        super().__init__()
        self.roles = roles

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        if not key or not key.startswith("Token "):
            return None
        user = token_user(key=key.removeprefix("Token ").strip())
        if user is None:
            return None
        request.user = user
        if not has_role(user, self.roles):
            raise HttpError(403, "Your role cannot use this endpoint.")
        return user


def token_auth(roles: tuple[Role, ...]) -> TokenAuth:
    """The auth of an endpoint open to ``roles``."""
    return TokenAuth(roles)


def require_role(request: HttpRequest, roles: tuple[Role, ...]) -> None:
    if not has_role(request.user, roles):
        raise HttpError(403, "Your role cannot use this endpoint.")
