"""The REST API under /api/: token auth, role checks, errors that name the field."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
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


# The default (no role passes) keeps an endpoint that forgets to declare its roles closed.
api = NinjaAPI(title="Leadloop API", version="1.0", auth=TokenAuth(), urls_namespace="api", docs_url="/docs")


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
EVERY_ENDPOINT_ERRORS = (401, 403, 503)


def responses(ok: dict[int, Any], *errors: int) -> dict[int, Any]:
    """An operation's responses for its OpenAPI description: its successes, the errors it can give
    besides those of every endpoint (400 bad input, 404, 409, 413), each with the Error body."""
    return {**ok, **dict.fromkeys(sorted({*errors, *EVERY_ENDPOINT_ERRORS}), Error)}


def require_role(request: HttpRequest, roles: tuple[Role, ...]) -> None:
    if not has_role(request.user, roles):
        raise HttpError(403, "Your role cannot use this endpoint.")


def _field(loc: Any) -> str:
    parts = [str(p) for p in (loc or []) if p not in ("body", "payload", "query", "path")]
    return ".".join(parts) or "body"


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = [{"field": _field(e.get("loc")), "message": e.get("msg", "invalid")} for e in exc.errors]
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors) or "invalid request"
    return api.create_response(request, {"detail": detail, "errors": errors}, status=400)


def _size(limit: int) -> str:
    for unit, size in (("MB", 1024 * 1024), ("KB", 1024)):
        if limit >= size and limit % size == 0:
            return f"{limit // size} {unit}"
    return f"{limit} bytes"


@api.exception_handler(RequestDataTooBig)
def on_body_too_large(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    limit = _size(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
    detail = f"body: larger than the {limit} the API accepts; send fewer items per request"
    return api.create_response(request, {"detail": detail, "field": "body"}, status=413)


@api.exception_handler(OperationalError)
@api.exception_handler(InterfaceError)
def on_database_unavailable(request: HttpRequest, exc: Exception) -> HttpResponse:
    """Ninja would turn these into a 500 (with a traceback under DEBUG); the pages' middleware answers 503."""
    from config.middleware import DatabaseUnavailableMiddleware

    response = DatabaseUnavailableMiddleware.unavailable(request, exc)
    assert response is not None
    return response


@api.exception_handler(AuthenticationError)
def on_auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = api.create_response(
        request, {"detail": "Send a valid API token: Authorization: Token <key>."}, status=401
    )
    response["WWW-Authenticate"] = "Token"
    return response


def _on_label_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc), "field": exc.field}, status=exc.status)  # type: ignore[attr-defined]


def _register_routers() -> None:
    from feedback.api import router as feedback_router
    from feedback.services import LabelError
    from leads.api import router as leads_router
    from learning.api import router as learning_router

    api.add_router("/", leads_router)
    api.add_router("/", feedback_router)
    api.add_router("/", learning_router)
    api.add_exception_handler(LabelError, _on_label_error)


_register_routers()
