"""The shared page cache (CACHE_URL, Redis) down: a miss, never an error page or a failed import."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.test import override_settings

from config.cache import TolerantRedisCache
from leads.services import import_leads_csv

DOWN = {
    "default": {
        "BACKEND": "config.cache.TolerantRedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
    }
}


def test_a_cache_that_is_down_reads_as_a_miss_and_writes_are_skipped(
    caplog: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(TolerantRedisCache, "_down_until", 0.0)
    cache = TolerantRedisCache("redis://127.0.0.1:1/0", {"OPTIONS": {"socket_connect_timeout": 1}})

    assert cache.get("k", "fallback") == "fallback"
    cache.set("k", 1)
    assert cache.add("k", 1) is False
    assert cache.get_or_set("k", lambda: 42) == 42
    assert cache.get_many(["a", "b"]) == {}
    assert cache.delete("k") is False
    cache.delete_many(["a", "b"])
    assert "cache get failed (ConnectionError" in caplog.text and "Traceback" not in caplog.text


@pytest.mark.django_db
def test_the_lead_list_and_an_import_work_while_the_shared_cache_is_down(page_for: Any, admin: Any) -> None:
    with override_settings(CACHES={**DOWN, "loop": caches.settings["loop"]}):
        result = import_leads_csv(stream=io.BytesIO(b"external_id,company,industry\nL1,Acme,retail\n"))
        response = page_for(admin).get("/leads/")

    assert result.imported == 1
    assert response.status_code == 200 and "Acme" in response.content.decode()


@pytest.mark.django_db
def test_with_the_shared_cache_down_the_import_page_offers_no_download_that_would_fail(
    page_for: Any, admin: Any
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("leads.csv", b"external_id,employees\nL1,many\n", content_type="text/csv")
    with override_settings(CACHES={**DOWN, "loop": caches.settings["loop"]}):
        page = page_for(admin).post("/leads/import/", {"kind": "leads", "file": upload}).content.decode()

    assert "many" in page and "could not be kept for a download" in page and "import-problems" not in page


def test_after_a_failure_the_cache_rests_so_a_hanging_redis_costs_one_timeout_not_one_per_call(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import config.cache

    cache = TolerantRedisCache("redis://127.0.0.1:1/0", {"OPTIONS": {"socket_connect_timeout": 1}})
    monkeypatch.setattr(TolerantRedisCache, "_down_until", 0.0)
    calls: list[str] = []
    real_get = RedisCache.get

    def counted(self: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append("get")
        return real_get(self, *args, **kwargs)

    monkeypatch.setattr(RedisCache, "get", counted)

    assert cache.get("a", "x") == "x" and cache.get("b", "y") == "y" and cache.get_or_set("c", lambda: 3) == 3
    assert calls == ["get"], "Redis is asked once, then left alone while it rests"

    monkeypatch.setattr(config.cache.time, "monotonic", lambda: TolerantRedisCache._down_until + 1)
    cache.get("d")
    assert calls == ["get", "get"], "and asked again once the rest is over"


def test_an_error_that_is_no_outage_still_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    import pickle

    monkeypatch.setattr(TolerantRedisCache, "_down_until", 0.0)

    def unpicklable(self: Any, *args: Any, **kwargs: Any) -> Any:
        raise pickle.PicklingError("a lambda")

    monkeypatch.setattr(RedisCache, "set", unpicklable)
    cache = TolerantRedisCache("redis://127.0.0.1:1/0", {})

    with pytest.raises(pickle.PicklingError):
        cache.set("k", lambda: 1)
