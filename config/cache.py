"""The shared page cache (``CACHE_URL``, Redis): an outage there is a miss, never an error page.

Everything the pages keep in it can be computed again (the lead list's filters, the markable
fields, the grouped notes) or is a convenience (an import's problems for an hour), so a Redis
restart must not answer 500 on the lead list or fail an import. Each failure is logged, in one line.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

RESTING_SECONDS = 30.0  # after a failure the cache is not asked again for this long


class TolerantRedisCache(RedisCache):
    """Django's Redis cache where a failed call (Redis unreachable, or not answering within the
    socket timeout) logs a warning and acts as a miss: a read gives the default, a write or delete is
    skipped, ``get_or_set`` computes the value. After a failure Redis is left alone for
    ``RESTING_SECONDS`` (each call a miss at once), so a Redis that hangs costs one timeout per
    process and half-minute, not one per call. Other errors (a value that cannot be pickled) raise."""

    _down_until = 0.0  # per process (monotonic clock)

    def _try(self, what: str, default: Any, method: Any, *args: Any, **kwargs: Any) -> Any:
        if time.monotonic() < TolerantRedisCache._down_until:
            return default
        try:
            return method(*args, **kwargs)
        except (RedisError, OSError) as exc:  # one line, no traceback: an outage fails every call the same way
            TolerantRedisCache._down_until = time.monotonic() + RESTING_SECONDS
            logger.warning(
                "cache %s failed (%s: %s); going on without it for %.0f s",
                what,
                type(exc).__name__,
                exc,
                RESTING_SECONDS,
            )
            return default

    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        return self._try("get", default, super().get, key, default, version)

    def get_many(self, keys: Any, version: int | None = None) -> Any:
        return self._try("get", {}, super().get_many, keys, version)

    def has_key(self, key: Any, version: int | None = None) -> bool:
        return bool(self._try("get", False, super().has_key, key, version))

    def add(self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        return bool(self._try("add", False, super().add, key, value, timeout, version))

    def set(self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> None:
        self._try("set", None, super().set, key, value, timeout, version)

    def set_many(self, data: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> list[Any]:
        return list(self._try("set", list(data), super().set_many, data, timeout, version))

    def touch(self, key: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        return bool(self._try("touch", False, super().touch, key, timeout, version))

    def delete(self, key: Any, version: int | None = None) -> bool:
        return bool(self._try("delete", False, super().delete, key, version))

    def delete_many(self, keys: Any, version: int | None = None) -> None:
        self._try("delete", None, super().delete_many, keys, version)
