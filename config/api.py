"""The REST API under /api/: every app's router, and errors that name the field.

The API sits on top of the apps; the auth the routers share is ``config.apiauth``."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, ValidationError

from config.apiauth import TokenAuth
from config.middleware import DatabaseUnavailableMiddleware
from feedback.api import router as feedback_router
from feedback.services import LabelError
from leads.api import router as leads_router
from learning.api import router as learning_router

# The default (no role passes) keeps an endpoint that forgets to declare its roles closed.
api = NinjaAPI(title="Leadloop API", version="1.0", auth=TokenAuth(), urls_namespace="api", docs_url="/docs")


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


def _on_label_error(request: HttpRequest, exc: LabelError) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc), "field": exc.field, **exc.detail}, status=exc.status)


api.add_router("/", leads_router)
api.add_router("/", feedback_router)
api.add_router("/", learning_router)
api.add_exception_handler(LabelError, _on_label_error)  # type: ignore[arg-type]  # the stub wants the class taken too
