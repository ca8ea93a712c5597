"""Login throttling: failures counted in the cache, per username and address, for a window."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache


def _keys(*, username: str, address: str) -> tuple[str, str]:
    pair = hashlib.sha256(f"{username.strip().lower()}|{address}".encode()).hexdigest()
    return f"login-fail:pair:{pair}", f"login-fail:addr:{address}"


def login_blocked(*, username: str, address: str) -> bool:
    pair, addr = _keys(username=username, address=address)
    limit = settings.LOGIN_FAILURES_ALLOWED
    counts: dict[str, int] = cache.get_many([pair, addr])
    return counts.get(pair, 0) >= limit or counts.get(addr, 0) >= 10 * limit


def login_failed(*, username: str, address: str) -> None:
    window = settings.LOGIN_FAILURE_WINDOW_SECONDS
    for key in _keys(username=username, address=address):
        # add() starts the window; incr() keeps its expiry, so the block ends a window after the first failure.
        if not cache.add(key, 1, timeout=window):
            try:
                cache.incr(key)
            except ValueError:  # expired between add and incr
                cache.add(key, 1, timeout=window)


def login_succeeded(*, username: str, address: str) -> None:
    cache.delete(_keys(username=username, address=address)[0])
