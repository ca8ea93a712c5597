from __future__ import annotations

import logging
from collections.abc import Callable
from http import HTTPStatus

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.urls import Resolver404, resolve

logger = logging.getLogger(__name__)


class DatabaseUnavailableMiddleware:
    """A database outage, or a lock held past the lock timeout, answers 503 and recovers by itself,
    instead of a stack trace or a request that waits as long as the lock is held."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        return self.unavailable(request, exception)

    @staticmethod
    def unavailable(request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, (OperationalError, InterfaceError)):
            return None
        logger.warning("database unavailable: %s", exception)
        if request.path == "/healthz":  # what a monitor reads: JSON with a status, as when the database is up
            response: HttpResponse = JsonResponse({"status": "failing", "database": "unavailable"}, status=503)
        elif request.path.startswith("/api/"):
            response = JsonResponse({"detail": "The database is busy or unavailable; try again shortly."}, status=503)
        else:
            response = HttpResponse("Leadloop's database is busy or unavailable; try again in a moment.", status=503)
        response["Retry-After"] = "5"
        return response


class ApiErrorsAsJsonMiddleware:
    """Errors under /api/ that Django answers before or around the API's own handlers (no such
    endpoint, a method an endpoint does not take, a bad request) are JSON like the API's own."""

    KEPT_HEADERS = ("Allow", "Retry-After", "WWW-Authenticate")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            request.path.startswith("/api/")
            and response.status_code >= 400
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            return self.as_json(request, response)
        return response

    @staticmethod
    def _without_slash(path: str) -> str:
        """ " (did you mean …?)" when ``path`` ends with a slash the same path without it would not have."""
        bare = path.rstrip("/")
        if bare == path or not bare.startswith("/api/"):
            return ""
        try:
            resolve(bare)
        except Resolver404:
            return ""
        return f" (did you mean {bare}, without the trailing slash?)"

    def as_json(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        status = response.status_code
        hint = self._without_slash(request.path) if status in (404, 405) else ""
        if status == 404:
            detail = f"no API endpoint at {request.path}{hint}; see /api/openapi.json"
        elif status == 405 and hint:  # "/api/leads/bulk/" is a lead's GET path: its Allow would mislead
            detail = f"{request.method} is not allowed at {request.path}{hint}"
        elif status == 405:
            detail = f"{request.method} is not allowed here; use {response.get('Allow', 'another method')}"
        else:
            detail = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "error"
        replacement = JsonResponse({"detail": detail}, status=status)
        for name in self.KEPT_HEADERS:
            if name in response:
                replacement[name] = response[name]
        return replacement


class ApiHeadMiddleware:
    """HEAD on an API endpoint answers as its GET does, without the body (HTTP asks every GET
    resource to take HEAD; django-ninja routes GET only and would answer 405). Not on a GET that
    changes something: the queue's leases its leads, which a monitor's HEAD must not do."""

    NOT_SAFE = ("/api/queue",)

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method != "HEAD" or not request.path.startswith("/api/"):
            return self.get_response(request)
        if request.path.rstrip("/") in self.NOT_SAFE:
            refused = HttpResponse(status=405, content_type="application/json")  # HEAD: no body
            refused["Allow"] = "GET"
            return refused
        request.method = "GET"
        try:
            response = self.get_response(request)
        finally:
            request.method = "HEAD"
        if isinstance(response, StreamingHttpResponse):  # an export: only its first fetch was read
            response.streaming_content = []
        else:
            response["Content-Length"] = str(len(response.content))
            response.content = b""
        return response
