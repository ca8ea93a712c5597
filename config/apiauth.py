"""The API's plumbing every router uses: token auth and the role each endpoint is open to."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Schema
from ninja.errors import HttpError
from ninja.security import APIKeyHeader
from pydantic import Field

from config.roles import Role, has_role
from config.tokens import token_user


class TokenAuth(APIKeyHeader):
    """``Authorization: Token <key>``, and the roles that may call the endpoint.

    The role is checked here, before the body is read, so a wrong role gets 403 whatever it sends;
    every endpoint declares its roles (``auth=token_auth(READERS)``) and a test enforces that.
    """

    param_name = "Authorization"
    openapi_description = (
        "Send `Authorization: Token <key>`; an admin makes a key on the user's page (/settings/users/), "
        "or `manage.py create_user` prints one."
    )

    def __init__(self, roles: tuple[Role, ...] = ()) -> None:
        super().__init__()
        self.roles = roles

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        scheme, _, credentials = (key or "").strip().partition(" ")
        if scheme.lower() != "token" or not credentials.strip():  # a scheme's name is case-insensitive (RFC 9110)
            return None
        user = token_user(key=credentials.strip())
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


class FieldError(Schema):
    field: str = Field(description="the body field or parameter, dotted for nested ones")
    message: str


class Error(Schema):
    """Every error the API answers (4xx, 5xx) is JSON of this shape; some add fields of their own
    (a 409 on a leased lead says who holds it until when)."""

    detail: str = Field(description="what went wrong, naming the field or parameter")
    field: str | None = Field(None, description="the field at fault, when there is one")
    errors: list[FieldError] | None = Field(None, description="each invalid field, when the input failed validation")


# What any endpoint may answer: no or a bad token, another role's endpoint, the database down.
EVERY_ENDPOINT_ERRORS = (400, 401, 403, 503)  # 400: a query parameter the endpoint does not take, at least


def responses(ok: dict[int, Any], *errors: int) -> dict[int, Any]:
    """An operation's responses for its OpenAPI description: its successes and the errors it can give
    besides those every endpoint can (``EVERY_ENDPOINT_ERRORS``), e.g. 404, 409, 413; each with the Error body."""
    return {**ok, **dict.fromkeys(sorted({*errors, *EVERY_ENDPOINT_ERRORS}), Error)}


def refuse_unknown_parameters(request: HttpRequest, schema: type[Schema] | None = None) -> None:
    """A mistyped query parameter (``min_scor``, ``limt``) is a 400 naming it, not a silent default;
    ``schema`` lists the endpoint's parameters (None: it takes none)."""
    if unknown := sorted(set(request.GET) - set(schema.model_fields if schema is not None else ())):
        raise HttpError(400, f"{unknown[0]}: not a parameter of this endpoint (see /api/openapi.json)")
