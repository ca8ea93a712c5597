"""The loop cache (Redis in production): shared by the workers, and an outage there is a miss."""

from __future__ import annotations

import logging
from typing import Any

from django.core.cache import caches
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)


class LoopCache:
    """The loop cache, where an outage is a miss: every value in it can be computed again, and a
    Redis restart must not fail a label or a rescore."""

    def __init__(self) -> None:
        self.cache = caches["loop"]

    def _try(self, what: str, default: Any, call: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return call(*args, **kwargs)
        except Exception:
            logger.warning("loop cache %s failed; going on without it", what, exc_info=True)
            return default

    def get(self, key: str) -> Any:
        return self._try("get", None, self.cache.get, key)

    def set(self, key: str, value: Any, timeout: int) -> None:
        self._try("set", None, self.cache.set, key, value, timeout=timeout)

    def add(self, key: str, value: Any, timeout: int) -> bool:
        """True when the key was added, and when the cache is down (act as if it was: better a message
        too many than none). False when it timed out: a Redis that hangs rather than refuses most
        likely carries the broker too, and a publish would hang the caller as long (the database
        says what is pending, for the next run)."""
        try:
            return bool(self.cache.add(key, value, timeout=timeout))
        except (TimeoutError, RedisTimeoutError):
            logger.warning("loop cache add timed out; not publishing", exc_info=True)
            return False
        except Exception:
            logger.warning("loop cache add failed; going on without it", exc_info=True)
            return True

    def delete(self, key: str) -> None:
        self._try("delete", None, self.cache.delete, key)

    def delete_many(self, keys: list[str]) -> None:
        self._try("delete", None, self.cache.delete_many, keys)


def loop_cache() -> LoopCache:
    return LoopCache()
