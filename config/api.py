"""The REST API under /api/: token auth, role checks, errors that name the field."""

from __future__ import annotations

from typing import Any

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
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


# The default (no role passes) keeps an endpoint that forgets to declare its roles closed.
api = NinjaAPI(title="Leadloop API", version="1.0", auth=TokenAuth(), urls_namespace="api", docs_url="/docs")


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
    body = {"detail": str(exc), "field": exc.field, **exc.detail}  # type: ignore[attr-defined]
    return api.create_response(request, body, status=exc.status)  # type: ignore[attr-defined]


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
