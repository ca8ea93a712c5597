"""Leadloop settings, read from the environment with working local defaults.

Bad values fail loudly at start-up rather than half-working later.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import dj_database_url
import django_stubs_ext
from django.core.exceptions import ImproperlyConfigured

# Generic Django classes (forms.ModelForm[LoopSettings]) can be subscripted at run time, as mypy reads them.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("LEADLOOP_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}")


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = "leadloop-insecure-development-key-change-me-in-production"
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "config",
    "leads",
    "feedback",
    "learning",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "config.middleware.DatabaseUnavailableMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "config.context_processors.roles",
            ],
        },
    },
]

# Database: SQLite file by default so a checkout just works; PostgreSQL via DATABASE_URL.
DEFAULT_SQLITE = f"sqlite:///{VAR_DIR / 'leadloop.sqlite3'}"
DATABASE_URL = os.environ.get("DATABASE_URL") or DEFAULT_SQLITE
try:
    # No health check per request (a SELECT 1 before each request's first query, a round trip on
    # the label path): after a database restart a stale connection fails one request (503) and is
    # closed, and the next request reconnects (tests/reliability/test_database_restart.py).
    _db = dj_database_url.parse(
        DATABASE_URL, conn_max_age=60, conn_health_checks=env_bool("DATABASE_CONN_HEALTH_CHECKS", False)
    )
except Exception as exc:  # dj_database_url raises several types for a bad URL
    raise ImproperlyConfigured(f"DATABASE_URL is not a valid database URL: {exc}") from exc
if _db["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    _db["CONN_MAX_AGE"] = 0
    _db["OPTIONS"] = {
        # Web server and worker write concurrently: WAL, a generous busy timeout and
        # IMMEDIATE transactions so two writers queue instead of failing.
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # A file, not :memory:, so a real worker process can share the test database.
    # One per test process, so two test runs on one checkout do not share it.
    _db["TEST"] = {"NAME": str(VAR_DIR / f"test_leadloop_{os.getpid()}.sqlite3")}
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Celery: Redis in production and CI; a broker that needs no server by default.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL") or "filesystem://"
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "store_processed": False,
        "control_folder": str(_broker_dir / "control"),
        "polling_interval": 0.2,
    }
elif not CELERY_BROKER_URL.startswith(("redis://", "rediss://", "amqp://", "memory://")):
    raise ImproperlyConfigured(
        f"CELERY_BROKER_URL must be redis://, amqp:// or filesystem://, not {CELERY_BROKER_URL!r}"
    )
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
# One queue per deployment (tests give their worker a queue of its own).
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("LEADLOOP_QUEUE", "leadloop")
CELERY_BEAT_SCHEDULE = {
    # The database says what is pending; this catches up after a lost message or a broker outage.
    "catch-up-learning": {
        "task": "learning.learn",
        "schedule": float(os.environ.get("LEADLOOP_CATCH_UP_SECONDS", "60")),
    },
    "catch-up-webhooks": {
        "task": "learning.resend_stuck_deliveries",
        "schedule": float(os.environ.get("LEADLOOP_CATCH_UP_SECONDS", "60")),
    },
}
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 30 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 25 * 60
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A publish must not hang a rep's request when the broker is down: the label is already
# committed and the database says what is pending. Bounded by the publish retry policy and the
# connect timeout (a refused or unreachable broker fails the publish within a few seconds).
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}
# A worker, though, waits for the broker to come back however long it takes (0 here would make a
# worker exit with "Unrecoverable error" the moment Redis restarts).
CELERY_BROKER_CONNECTION_MAX_RETRIES = None

# Per process: fine for one web process. Several processes (gunicorn workers, machines) need a
# shared cache for login throttling to count across them: set CACHE_URL=redis://... .
CACHE_URL = os.environ.get("CACHE_URL", "")
if CACHE_URL.startswith(("redis://", "rediss://")):
    CACHES: dict[str, dict[str, Any]] = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
    }
elif CACHE_URL:
    raise ImproperlyConfigured(f"CACHE_URL must be a redis:// URL, not {CACHE_URL!r}")
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# The learning loop's shared cache: each rescore chunk's scores and each block's features, read by
# every worker of a rescore. Redis when there is one (LOOP_CACHE_URL, else CACHE_URL, else the
# broker's Redis), else files under var/ (workers on one machine). Losing it loses no data: a
# missing chunk is scored again, missing features are read again.
LOOP_CACHE_URL = os.environ.get("LOOP_CACHE_URL") or CACHE_URL
if not LOOP_CACHE_URL and CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    LOOP_CACHE_URL = CELERY_BROKER_URL
if LOOP_CACHE_URL.startswith(("redis://", "rediss://")):
    CACHES["loop"] = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": LOOP_CACHE_URL,
        "KEY_PREFIX": "leadloop-loop",
        "TIMEOUT": 3600,
    }
elif LOOP_CACHE_URL:
    raise ImproperlyConfigured(f"LOOP_CACHE_URL must be a redis:// URL, not {LOOP_CACHE_URL!r}")
else:
    CACHES["loop"] = {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(VAR_DIR / "loop-cache"),
        "TIMEOUT": 3600,
        "OPTIONS": {"MAX_ENTRIES": 20_000},
    }

# Login throttling: this many failures for one username from one address within the window
# answer 429 until the window ends (per address alone: ten times as many).
LOGIN_FAILURES_ALLOWED = 5
LOGIN_FAILURE_WINDOW_SECONDS = 15 * 60

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# Serve the project's own assets straight from static/ (no collectstatic step needed).
WHITENOISE_USE_FINDERS = True

DATA_UPLOAD_MAX_MEMORY_SIZE = 50 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "3600"))
    # The header alone enrols nobody in the browsers' preload list; set false to opt out.
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
