"""Leadloop settings, read from the environment with working local defaults.

Bad values fail loudly at start-up rather than half-working later.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import math
import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url
import django_stubs_ext
from csp.constants import NONE as CSP_NONE
from csp.constants import SELF as CSP_SELF
from django.core.exceptions import ImproperlyConfigured

# Generic Django classes (forms.ModelForm[LoopSettings]) can be subscripted at run time, as mypy reads them.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("LEADLOOP_VAR_DIR", "").strip() or BASE_DIR / "var")  # empty: the default


def var_subdir(path: Path) -> None:
    """Make a directory under ``VAR_DIR`` (the SQLite file, the filesystem broker), or stop naming the setting."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ImproperlyConfigured(
            f"LEADLOOP_VAR_DIR ({VAR_DIR}) must be a directory Leadloop can write ({exc.strerror}: {path})"
        ) from None


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


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {value}")
    return value


def env_seconds(name: str, default: float) -> float:
    """A number of seconds greater than 0 (a fraction allowed); unset or empty means the default."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise ImproperlyConfigured(f"{name} must be a number of seconds greater than 0, not {raw!r}")
    return value


def env_text(name: str, default: str) -> str:
    """A name without surrounding spaces; unset, empty or only spaces means the default."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return raw.strip()


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)
# Read once from the environment: a production deployment (DEBUG off) gets no demo users with
# published passwords (seed_demo refuses). Test runners turn DEBUG off for every test; this stays.
PRODUCTION = not DEBUG
SECRET_KEY = os.environ.get("SECRET_KEY", "")
MIN_SECRET_KEY = 32  # "changeme" signs sessions anyone could forge
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = "leadloop-insecure-development-key-change-me-in-production"
elif not DEBUG and len(SECRET_KEY) < MIN_SECRET_KEY:
    raise ImproperlyConfigured(
        f"SECRET_KEY must be at least {MIN_SECRET_KEY} random characters when DEBUG is off, not {len(SECRET_KEY)} "
        '(python -c "import secrets; print(secrets.token_urlsafe(50))")'
    )
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
for _host in ALLOWED_HOSTS:
    if "://" in _host or "/" in _host:
        raise ImproperlyConfigured(f"ALLOWED_HOSTS lists host names (leadloop.example.com), not URLs: {_host!r}")
# The addresses people open the app at, when a proxy in front does not pass the Host header on
# (nginx's default): the forms' CSRF check compares the browser's Origin with them.
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
for _origin in CSRF_TRUSTED_ORIGINS:
    if not _origin.startswith(("https://", "http://")):
        raise ImproperlyConfigured(
            f"CSRF_TRUSTED_ORIGINS lists origins with their scheme (https://leadloop.example.com), not {_origin!r}"
        )

INSTALLED_APPS = [
    "config",  # first: its changepassword (which also revokes API tokens) stands in for Django's
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",  # the API explorer's own Swagger UI files (no CDN)
    "axes",
    "csp",
    "leads",
    "feedback",
    "learning",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "config.middleware.ApiHeadMiddleware",
    "config.middleware.ApiErrorsAsJsonMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "config.middleware.DatabaseUnavailableMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout answer.
    "axes.middleware.AxesMiddleware",
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
                "learning.context_processors.loop_banner",
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
    var_subdir(VAR_DIR)
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
else:
    # A row or table lock held elsewhere (a long import, a manual LOCK TABLE) makes a statement wait at
    # most this long, then fail: a page answers 503 (config.middleware), a worker's run fails and is
    # run again, instead of requests that hang as long as the lock is held. The score swap sets its own.
    DATABASE_LOCK_TIMEOUT_MS = env_int("DATABASE_LOCK_TIMEOUT_MS", 10_000)
    _options = _db.setdefault("OPTIONS", {})
    _options["options"] = f"{_options.get('options', '')} -c lock_timeout={DATABASE_LOCK_TIMEOUT_MS}".strip()
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Celery: Redis in production and CI; a broker that needs no server by default.
# A Redis that hangs without closing the connection (paused, failed over, a dead NAT entry) must not
# hang a publish, and with it a rep's label request, for ever: kombu waits without limit unless told
# (its docs on ``socket_timeout``). A worker's BRPOP is answered within a second, well inside this.
REDIS_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {"socket_timeout": 5, "socket_connect_timeout": 2}
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL") or "filesystem://localhost/"
if CELERY_BROKER_URL in ("filesystem://", "memory://"):
    # These transports ignore the host, but kombu warns "No hostname was supplied" on every
    # connection (each command that sends a task) when the URL names none.
    CELERY_BROKER_URL += "localhost/"
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    for _sub in ("queue", "processed", "control"):
        var_subdir(_broker_dir / _sub)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "store_processed": False,
        "control_folder": str(_broker_dir / "control"),
        "polling_interval": 0.2,
    }
    # kombu's filesystem transport, writing each message whole before a worker can take it.
    CELERY_BROKER_TRANSPORT = "config.fsbroker:Transport"
elif CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    CELERY_BROKER_TRANSPORT_OPTIONS = REDIS_BROKER_TRANSPORT_OPTIONS
elif not CELERY_BROKER_URL.startswith(("amqp://", "memory://")):
    raise ImproperlyConfigured(
        f"CELERY_BROKER_URL must be redis://, amqp:// or filesystem://, not {CELERY_BROKER_URL!r}"
    )
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
# One queue per deployment (tests give their worker a queue of its own).
CELERY_TASK_DEFAULT_QUEUE = env_text("LEADLOOP_QUEUE", "leadloop")
_catch_up_seconds = env_seconds("LEADLOOP_CATCH_UP_SECONDS", 60.0)
_rescore_check_seconds = env_seconds("LEADLOOP_RESCORE_CHECK_SECONDS", 300.0)
# The learning loop's heartbeat (learning.services.loop): a claim silent for 6 beats is taken over.
LEADLOOP_HEARTBEAT_SECONDS = env_seconds("LEADLOOP_HEARTBEAT_SECONDS", 10.0)
CELERY_BEAT_SCHEDULE = {
    # The database says what is pending; this catches up after a lost message or a broker outage.
    "catch-up-learning": {
        "task": "learning.learn",
        "schedule": _catch_up_seconds,
    },
    # Scores follow the clock (recency, last-30-days counts, decay): the task rescores once the
    # scores are older than the admin's interval (Settings: "Rescore every … hours", nightly by default).
    "scheduled-rescore": {
        "task": "learning.rescore_if_stale",
        "schedule": _rescore_check_seconds,
    },
    "catch-up-webhooks": {
        "task": "learning.resend_stuck_deliveries",
        "schedule": _catch_up_seconds,
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

# Per process by default; CACHE_URL=redis://... shares it between web processes and machines.
CACHE_URL = os.environ.get("CACHE_URL", "")
if CACHE_URL.startswith(("redis://", "rediss://")):
    CACHES: dict[str, dict[str, Any]] = {
        "default": {
            # An outage is a miss (config.cache), and a Redis that hangs is given up on after a few
            # seconds, as the loop cache's: the pages keep nothing there they cannot compute again.
            "BACKEND": "config.cache.TolerantRedisCache",
            "LOCATION": CACHE_URL,
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 5},
        }
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
        # A Redis that hangs (not one that refuses) must not hang a rep's request: the flag that
        # asks for learning is set after the label commits, so give up after a few seconds.
        "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 5},
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

# Login throttling (django-axes): failures counted in the database, which every web process shares,
# per username and address together. Five failures for one username from one address answer 429
# for 15 minutes; other users behind that address are not affected, and API tokens never are
# (they do not go through the login form).
# How many reverse proxies stand in front of the app (0: clients connect straight to gunicorn). Only
# then are X-Forwarded-For (the client's address) and X-Forwarded-Proto trusted.
PROXIES_IN_FRONT = env_int("PROXIES_IN_FRONT", 0)
# ... and only from these peers (addresses or networks, "*" any): a client that reaches gunicorn
# directly, past the proxy, cannot forge them. The variable gunicorn reads too (gunicorn.conf.py).
FORWARDED_ALLOW_IPS = [
    part.strip() for part in os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1").split(",") if part.strip()
]
for _part in FORWARDED_ALLOW_IPS:
    if _part != "*":
        try:
            ipaddress.ip_network(_part)  # strictly, as gunicorn reads it: 10.0.0.0/8, not 10.0.0.1/8
        except ValueError:
            raise ImproperlyConfigured(
                f"FORWARDED_ALLOW_IPS must list addresses or networks (or *), not {_part!r}"
            ) from None

AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_DISABLE_ACCESS_LOG = True  # no row per successful login
AXES_LOCKOUT_CALLABLE = "config.views.login_locked_out"
AXES_CLIENT_IP_CALLABLE = "config.client.client_address"
AXES_USERNAME_CALLABLE = "config.client.login_username"

# Outbound webhook: the private hosts (names or addresses, comma-separated) an on-premise CRM's
# receiver may use. Loopback and private targets are refused otherwise; link-local and metadata
# addresses always are.
WEBHOOK_ALLOWED_HOSTS = env_list("WEBHOOK_ALLOWED_HOSTS", [])

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
CSRF_FAILURE_VIEW = "config.views.csrf_failure"
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
# WhiteNoise warns when it is missing; on PostgreSQL + Redis, var/ may well be read-only, and that is fine.
with contextlib.suppress(OSError):
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# Serve the project's own assets straight from static/ (no collectstatic step needed).
WHITENOISE_USE_FINDERS = True
# No uploads are served; a prefix of its own keeps the test live server's media handler off every
# other path (unset, it took /leads/..%2F../ for a file path and answered 500).
MEDIA_URL = "/media/"

DATA_UPLOAD_MAX_MEMORY_SIZE = 50 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# Content-Security-Policy on every response: scripts and styles only from our own static files (no
# inline script, handler or style attribute anywhere), nothing framed, no plugins, forms post home.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [CSP_SELF],
        "script-src": [CSP_SELF],
        "style-src": [CSP_SELF],
        "img-src": [CSP_SELF, "data:"],
        "font-src": [CSP_SELF],
        "connect-src": [CSP_SELF],
        "object-src": [CSP_NONE],
        "base-uri": [CSP_NONE],
        "form-action": [CSP_SELF],
        "frame-ancestors": [CSP_NONE],
    }
}

# Behind a TLS-terminating proxy, X-Forwarded-Proto says whether the client used HTTPS. Gunicorn
# reads it (gunicorn.conf.py: only with PROXIES_IN_FRONT, only from FORWARDED_ALLOW_IPS) and gives
# Django the scheme; Django's SECURE_PROXY_SSL_HEADER is not set, since it would believe the header
# from any peer, one that reaches gunicorn past the proxy included.

ONE_YEAR = 365 * 24 * 3600
if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # a load balancer's probe comes over plain HTTP
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", ONE_YEAR)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    # Preloading puts the domain in the browsers' built-in HTTPS-only lists, hard to undo: only when
    # the operator asks, and only with what the lists require (a year or more, subdomains included).
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
    if SECURE_HSTS_PRELOAD and (SECURE_HSTS_SECONDS < ONE_YEAR or not SECURE_HSTS_INCLUDE_SUBDOMAINS):
        raise ImproperlyConfigured(
            f"SECURE_HSTS_PRELOAD needs SECURE_HSTS_SECONDS of at least {ONE_YEAR} (one year) and "
            f"SECURE_HSTS_INCLUDE_SUBDOMAINS on, not {SECURE_HSTS_SECONDS} and {SECURE_HSTS_INCLUDE_SUBDOMAINS}"
        )
    if not SECURE_HSTS_PRELOAD:
        SILENCED_SYSTEM_CHECKS = ["security.W021"]  # "preload not set": off by choice, see above

# A worker's own lines (Celery sets up its logging; its level is the worker's --loglevel) in the same shape.
CELERY_WORKER_LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(process)d] %(message)s"
CELERY_WORKER_TASK_LOG_FORMAT = "%(asctime)s %(levelname)s %(task_name)s[%(task_id)s] [%(process)d] %(message)s"
# What a process writes to stderr itself (a traceback Celery prints besides logging it) stays as written:
# Celery's redirect logs every write() as its own WARNING record, a traceback as ~1,600 one-piece lines
# (celery/celery#9721).
CELERY_WORKER_REDIRECT_STDOUTS = False
LOG_LEVEL = env_text("LOG_LEVEL", "INFO").upper()
_LEVELS = ", ".join(logging.getLevelNamesMapping())
if LOG_LEVEL not in logging.getLevelNamesMapping():
    raise ImproperlyConfigured(f"LOG_LEVEL must be one of Python's level names ({_LEVELS}), not {LOG_LEVEL!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"refusal_without_traceback": {"()": "config.logs.RefusalWithoutTraceback"}},
    # One line per record on stderr, with when, how bad, where from and which process (a web process
    # or worker among several): what journald, Docker or a log shipper keeps.
    "formatters": {
        "line": {"format": "%(asctime)s %(levelname)s %(name)s [%(process)d] %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "line"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Django's own console handler would print its records a second time beside the root's.
        "django": {"handlers": [], "propagate": True},
        "django.request": {"filters": ["refusal_without_traceback"]},
        "django.db.backends": {"level": "WARNING"},
        # axes logs every reset at INFO (one line per login); its lockouts are warnings.
        "axes": {"level": "WARNING"},
    },
}
