"""The REST API under /api/: every app's router, and errors that name the field.

The API sits on top of the apps; the auth the routers share is ``config.apiauth``."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from config.apiauth import TokenAuth
from config.middleware import DatabaseUnavailableMiddleware
from feedback.api import router as feedback_router
from feedback.services import LabelError
from leads.api import router as leads_router
from learning.api import router as learning_router

# The default (no role passes) keeps an endpoint that forgets to declare its roles closed.
api = NinjaAPI(title="Leadloop API", version="1.0", auth=TokenAuth(), urls_namespace="api", docs_url="/docs")


def _field(loc: Any) -> str:
    """``items.17.external_id``: a position in a list counts from 1, as an item's errors do."""
    parts = [
        str(p + 1) if isinstance(p, int) else str(p)
        for p in (loc or [])
        if p not in ("body", "payload", "query", "path")
    ]
    return ".".join(parts) or "body"


def _message(error: dict[str, Any]) -> str:
    if error.get("type") == "extra_forbidden":
        return "not an option of this endpoint (see /api/openapi.json)"
    return str(error.get("msg", "invalid")).removeprefix("Value error, ")  # pydantic's prefix for a validator's


def _body_not_an_object(request: HttpRequest, exc: ValidationError) -> str | None:
    """What is wrong with a body that is empty, or JSON but not an object ([], "text", 1, null): each
    field then reads as missing, which would say "body: Field required". None: the body is an object."""
    if not any(tuple(e.get("loc") or ())[:1] == ("body",) for e in exc.errors):
        return None
    if not request.body.strip():
        return "empty; send a JSON object (Content-Type: application/json)"
    try:
        return None if isinstance(json.loads(request.body), dict) else "expected a JSON object"
    except ValueError:
        return None


def _bad_request(request: HttpRequest, errors: list[dict[str, str]]) -> HttpResponse:
    """Every 400 of the API has one shape: ``detail`` in words, ``errors`` as field and message, and
    ``field`` when one field is wrong (as a refused label has)."""
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors) or "invalid request"
    body: dict[str, object] = {"detail": detail, "errors": errors}
    if len({e["field"] for e in errors}) == 1:
        body["field"] = errors[0]["field"]
    return api.create_response(request, body, status=400)


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    if problem := _body_not_an_object(request, exc):
        return _bad_request(request, [{"field": "body", "message": problem}])
    return _bad_request(request, [{"field": _field(e.get("loc")), "message": _message(e)} for e in exc.errors])


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    """A 400 raised as ``"field: message"`` gets the same shape as a schema's; other statuses keep ``detail``."""
    message = str(exc)
    if exc.status_code == 400 and message.startswith("Cannot parse request body"):  # django-ninja's, for bad JSON
        return _bad_request(request, [{"field": "body", "message": _not_json(request)}])
    field, colon, words = message.partition(": ")
    if exc.status_code == 400 and colon and field.replace("_", "").replace(".", "").isalnum():
        return _bad_request(request, [{"field": field, "message": words}])
    return api.create_response(request, {"detail": message}, status=exc.status_code)


def _not_json(request: HttpRequest) -> str:
    try:
        json.loads(request.body)
    except (ValueError, RecursionError) as exc:  # RecursionError: nested deeper than the parser goes
        return f"not valid JSON ({str(exc)[:120]})"
    return "not valid JSON"


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
    body: dict[str, object] = {"detail": str(exc), "field": exc.field, **exc.detail}
    if exc.status == 400:  # the one shape of a 400
        body["errors"] = [{"field": exc.field, "message": exc.message}]
    return api.create_response(request, body, status=exc.status)


api.add_router("/", leads_router)
api.add_router("/", feedback_router)
api.add_router("/", learning_router)
api.add_exception_handler(LabelError, _on_label_error)  # type: ignore[arg-type]  # the stub wants the class taken too
