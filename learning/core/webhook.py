"""Signing and sending a webhook body (no Django): HMAC-SHA256 over the exact bytes sent."""

from __future__ import annotations

import hashlib
import hmac
import urllib.error
import urllib.request

SIGNATURE_HEADER = "X-Leadloop-Signature"


def sign(body: bytes, secret: str) -> str:
    """``sha256=<hex>``: what a receiver recomputes over the raw body with the shared secret."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(body: bytes, secret: str, signature: str) -> bool:
    return hmac.compare_digest(sign(body, secret), signature)


def backoff_seconds(retries: int, *, base: float = 10.0, cap: float = 3600.0) -> float:
    """Exponential backoff: 10 s, 20 s, 40 s ... at most an hour."""
    return min(cap, base * (2**retries))


def post(url: str, body: bytes, headers: dict[str, str], *, timeout: float = 10.0) -> int:
    """POST ``body``; returns the HTTP status (an HTTP error status is returned, not raised).
    Raises OSError when nothing answers (refused, timed out, DNS)."""
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": "application/json", **headers}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
