"""Django settings for Tidings.

Every deploy value is read from the environment (see the configuration table in
the README). With no DATABASE_URL the data lives in a SQLite file under var/;
with no REDIS_URL Celery uses kombu's filesystem transport under var/broker/, so
`make run` needs no server. Production (DEBUG off) refuses to start with the
development SECRET_KEY.

Local settings: variables in ``var/tidings.env`` (``LOCAL_ENV_FILE``, dotenv format read by
python-dotenv; ``make run`` creates it with comments) are added to the environment before any
value is read; a variable already in the environment wins over the file. With an https
``SITE_URL`` the secure defaults (HSTS, SSL redirect behind ``X-Forwarded-Proto``, secure
cookies) are on unless their variables turn them off.
"""

from __future__ import annotations

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from dotenv import load_dotenv

from reader.project.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parents[2]  # the checkout: reader/project/settings.py
VAR_DIR = Path(env_str("TIDINGS_VAR_DIR", str(BASE_DIR / "var")))
#: Local settings kept across runs (dotenv format); the environment wins over the file.
LOCAL_ENV_FILE = VAR_DIR / "tidings.env"
load_dotenv(LOCAL_ENV_FILE, override=False)

DEV_SECRET_KEY = "dev-insecure-tidings-secret-key-change-me-in-production-0123456789"  # noqa: S105 (refused outside dev mode)
SECRET_KEY = env_str("SECRET_KEY", DEV_SECRET_KEY)
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# The embedded default (`make run`) sets TIDINGS_DEV=1: a laptop, not a server.
DEV_MODE = env_bool("TIDINGS_DEV", False)

if not DEBUG and not DEV_MODE and SECRET_KEY == DEV_SECRET_KEY:
    raise ImproperlyConfigured(
        "SECRET_KEY is the development default. Set SECRET_KEY to a long random value "
        "(python -c 'import secrets; print(secrets.token_urlsafe(50))')."
    )

INSTALLED_APPS = [
    "accounts",
    "feeds",
    "reader",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # REST API: Swagger UI / Redoc files, no CDN
    "csp",  # web UI: Content-Security-Policy header
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "reader.project.middleware.UserPreferencesMiddleware",  # web UI: user's language and time zone
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",  # web UI
]

ROOT_URLCONF = "reader.project.urls"
WSGI_APPLICATION = "reader.project.wsgi.application"
ASGI_APPLICATION = "reader.project.asgi.application"

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
                "django.template.context_processors.i18n",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            # Django's sqlite3 backend whose writing transactions take a process-wide lock
            # first: the threads of one process queue on it instead of polling SQLite's lock.
            "ENGINE": "reader.project.sqlite_backend",
            "NAME": VAR_DIR / "tidings.sqlite3",
            "OPTIONS": {
                # WAL lets the web server read while the worker writes; IMMEDIATE
                # takes the write lock at BEGIN so two writers queue on the busy
                # timeout instead of failing with "database is locked".
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 30,
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Broker (Celery) -------------------------------------------------------
REDIS_URL = env_str("REDIS_URL", "")
# Prepended to every Redis key of the broker and the cache, so that several installations (or
# test runs of several checkouts) can share one Redis database; empty: keys as they were.
REDIS_KEY_PREFIX = env_str("REDIS_KEY_PREFIX", "")
BROKER_DIR = VAR_DIR / "broker"
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
else:
    CELERY_BROKER_URL = "filesystem://"
    for _folder in ("queue", "control"):
        (BROKER_DIR / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
        # kombu's filesystem transport looks for a message, and when it finds none (or the
        # worker may take no more) sleeps this long: at its default of 1 s a worker took
        # about one message per process a second, whatever the task cost. With 0.1 s the
        # idle worker (polling, heartbeats, its beat thread) used 0.25 CPU seconds a minute.
        "polling_interval": env_int("FILESYSTEM_BROKER_POLL_MS", 100) / 1000,
    }
CELERY_WORKER_CONCURRENCY = env_int("CELERY_WORKER_CONCURRENCY", 2)
# Feeds per refresh_feeds message of the scheduler and OPML imports (feeds.tasks).
FEED_REFRESH_BATCH = env_int("FEED_REFRESH_BATCH", 20)

# --- Cache ------------------------------------------------------------------
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": f"{REDIS_KEY_PREFIX}tidings",
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# --- Auth -----------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/reader/"
LOGOUT_REDIRECT_URL = "/"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Accounts: brute-force limits, client IP behind a proxy ------------
ACCOUNTS_LOGIN_FAILURES_PER_IP = 20  # failed sign-ins per window from one IP address
ACCOUNTS_LOGIN_FAILURES_PER_ACCOUNT = 10  # failed sign-ins per window for one username
ACCOUNTS_LOGIN_FAILURE_PERIOD = 15 * 60  # seconds
ACCOUNTS_RESETS_PER_IP = 10  # password-reset emails requested per window from one IP
ACCOUNTS_RESETS_PER_ACCOUNT = 3  # password-reset emails requested per window for one email
ACCOUNTS_RESET_PERIOD = 60 * 60  # seconds
# Behind a reverse proxy every request comes from the proxy: trust the last X-Forwarded-For hop.
TRUST_X_FORWARDED_FOR = env_bool("TRUST_X_FORWARDED_FOR", False)

# --- Email ------------------------------------------------------------------
EMAIL_HOST = env_str("EMAIL_HOST", "")
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Tidings <tidings@localhost>")

# --- Internationalisation ---------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# --- Static files -----------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not DEBUG
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG or DEV_MODE
WHITENOISE_AUTOREFRESH = DEBUG

# --- REST framework ---------------------------------------------------------
# REST API: the bearer token comes first so that a 401 names `Bearer` in
# WWW-Authenticate; the session (web UI) keeps CSRF on; one exception handler
# gives every error the {"detail", "errors"} shape (reader/api/errors.py).
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.BearerTokenAuthentication",
        "accounts.authentication.ClientPasswordBasicAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "reader.api.errors.api_exception_handler",
    # Per user (reader/api/base.py): writes, and outbound fetches (refresh now, discovery).
    "DEFAULT_THROTTLE_RATES": {"api_write": "300/minute", "api_refresh": "10/minute"},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Tidings API",
    "DESCRIPTION": "REST API of Tidings, a self-hosted multi-user feed reader.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # REST API: /api/v1/ only; Swagger UI and Redoc served from the sidecar app (no CDN).
    "PREPROCESSING_HOOKS": ["reader.api.schema.only_api_v1"],
    "PATH_CONVERTER_OVERRIDES": {"id": {"type": "integer", "minimum": 1, "format": "int64"}},
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}

# --- Security ---------------------------------------------------------------
# REST API: DB sessions that treat a malformed cookie (e.g. a NUL byte) as no session.
SESSION_ENGINE = "reader.project.sessions"
SESSION_COOKIE_HTTPONLY = True
# With an https SITE_URL (a deployment behind TLS) every secure default is on: `check --deploy`
# is clean with the README's production variables. Each can be turned off by its variable.
SITE_IS_HTTPS = SITE_URL.startswith("https://")
_secure_cookies = SITE_IS_HTTPS or not (DEBUG or DEV_MODE)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", _secure_cookies)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", _secure_cookies)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", SITE_IS_HTTPS)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 365 * 24 * 3600 if SITE_IS_HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", SITE_IS_HTTPS)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", SITE_IS_HTTPS)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# TLS ends at the reverse proxy: it tells the scheme, so the SSL redirect does not loop.
if env_bool("USE_X_FORWARDED_PROTO", SITE_IS_HTTPS):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- Feed pipeline ----------------------------------------------------------
FETCH_TIMEOUT_CONNECT = env_int("FETCH_TIMEOUT_CONNECT", 10)  # seconds
FETCH_TIMEOUT_TOTAL = env_int("FETCH_TIMEOUT_TOTAL", 30)  # seconds per fetch
FETCH_MAX_BYTES = env_int("FETCH_MAX_BYTES", 10 * 1024 * 1024)  # after decompression
FETCH_ALLOWED_NETWORKS = env_list("FETCH_ALLOWED_NETWORKS", [])
FETCH_ALLOWED_HOSTS = env_list("FETCH_ALLOWED_HOSTS", [])
# Fetch, test-only hooks, never read from the environment: host name -> IP (or a callable
# returning one) for the SSRF guard's resolver, and a CA bundle path for TLS verification.
FETCH_TEST_HOST_MAP: dict = {}
FETCH_CA_BUNDLE: str | None = None
FEED_MIN_INTERVAL = env_int("FEED_MIN_INTERVAL", 15 * 60)  # seconds
FEED_MAX_INTERVAL = env_int("FEED_MAX_INTERVAL", 24 * 3600)  # seconds
FEED_RETENTION_DAYS = env_int("FEED_RETENTION_DAYS", 180)
NEW_SUBSCRIPTION_UNREAD_DAYS = env_int("NEW_SUBSCRIPTION_UNREAD_DAYS", 30)
LIVE_POLL_SECONDS = env_int("LIVE_POLL_SECONDS", 60)  # reader tab's unread-counts poll
EMBED_EXTRA_HOSTS = env_list("EMBED_EXTRA_HOSTS", [])
TIDINGS_VERSION = "0.1.0"
USER_AGENT = f"Tidings/{TIDINGS_VERSION} (+https://github.com/tidings-reader/tidings)"

# --- Fetching that never gives up, WebSub, full text ----
# A feed failing without a break for this many days is disabled (410 Gone disables at once).
FEED_DISABLE_AFTER_DAYS = env_int("FEED_DISABLE_AFTER_DAYS", 30)
# WebSub (W3C): subscribe to hubs that feeds advertise; the hub must reach SITE_URL.
WEBSUB_ENABLED = env_bool("WEBSUB_ENABLED", not DEV_MODE)
WEBSUB_LEASE_SECONDS = env_int("WEBSUB_LEASE_SECONDS", 10 * 24 * 3600)  # asked of the hub
# Full text: how many new entries of one refresh are extracted automatically.
FULLTEXT_MAX_PER_REFRESH = env_int("FULLTEXT_MAX_PER_REFRESH", 20)

# --- Operations (/metrics, request counter, structured logging) ---------
# /metrics answers 404 unless the request carries "Authorization: Bearer METRICS_TOKEN".
METRICS_TOKEN = env_str("METRICS_TOKEN", "")
MIDDLEWARE.insert(0, "reader.project.operations.RequestMetricsMiddleware")
# Right after the counter: a container's own /healthz skips the host check and HTTPS redirect.
MIDDLEWARE.insert(1, "reader.project.middleware.LoopbackHealthCheckMiddleware")
# One line per fetch at INFO on logger tidings.fetch (feed id, outcome, status, duration,
# bytes, entries new/updated); errors at ERROR with their traceback. LOG_FORMAT=json
# writes one JSON object a line (reader.project.log_format.JsonFormatter) for log collectors.
LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
LOG_FORMAT = env_str("LOG_FORMAT", "text")
if LOG_FORMAT not in {"text", "json"}:
    raise ImproperlyConfigured(f"LOG_FORMAT={LOG_FORMAT!r}: use text or json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "reader.project.log_format.JsonFormatter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# --- Privacy: the media proxy (docs/privacy.md) -------------------------------
# Feed images, audio and video are loaded through Tidings (/media/<signature>/<address>), so
# readers' addresses never reach publishers: "all" (every media URL), "http-only" (only http://
# URLs, which an https Tidings could not show: mixed content) or "off".
MEDIA_PROXY = env_str("MEDIA_PROXY", "all")
if MEDIA_PROXY not in {"off", "http-only", "all"}:
    raise ImproperlyConfigured(f"MEDIA_PROXY={MEDIA_PROXY!r}: use off, http-only or all")
MEDIA_PROXY_MAX_BYTES = env_int("MEDIA_PROXY_MAX_BYTES", 512 * 1024 * 1024)  # per answer
MEDIA_PROXY_TIMEOUT = env_int("MEDIA_PROXY_TIMEOUT", 600)  # seconds, one whole answer
# The Google Reader, Fever and Miniflux APIs give apps proxied addresses too.
MEDIA_PROXY_CLIENT_APIS = env_bool("MEDIA_PROXY_CLIENT_APIS", False)
# Trackers: a file of extra tracker hosts (format of feeds/data/trackers/hosts.txt) added to the
# shipped list; the sanitizer removes images on them at store time.
TRACKER_HOSTS_FILE = env_str("TRACKER_HOSTS_FILE", "")
_REMOTE_MEDIA = {"all": [], "http-only": ["https:"], "off": ["https:", "http:"]}[MEDIA_PROXY]

# --- Web UI -------------------------------------------------------------
# No inline script anywhere (script-src 'self'); feed images and media come from Tidings
# itself under MEDIA_PROXY=all, else also from any https (http-only) or http(s) host (off);
# feed iframes (sanitized to known embed hosts) may be framed.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", *_REMOTE_MEDIA],
        "media-src": ["'self'", *_REMOTE_MEDIA],
        "frame-src": ["https:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# --- Reliability: redelivery after a lost worker --------------------------
# Redis redelivers the task of a worker that died (SIGKILL, lost machine) once it has been
# unacknowledged this long (acks late); a task running longer is delivered twice, which
# idempotent tasks tolerate. Abandoned messages are looked for about every quarter of it
# (at most every 100 s). A refresh holds its feed FEED_FETCH_LEASE_SECONDS (keep it above
# FETCH_TIMEOUT_TOTAL); a crashed refresh's feed is due again once the lease has passed.
CELERY_VISIBILITY_TIMEOUT = env_int("CELERY_VISIBILITY_TIMEOUT", 3600)
FEED_FETCH_LEASE_SECONDS = env_int("FEED_FETCH_LEASE_SECONDS", 5 * 60)
# A feed queued for a refresh is claimed this long (feeds.scheduling.feeds_claim): nobody
# queues it again meanwhile. As long as the redelivery of a lost task, so a long backlog never
# duplicates a refresh; a task lost for good (filesystem broker, killed worker) is replaced then.
FEED_CLAIM_LEASE_SECONDS = env_int("FEED_CLAIM_LEASE_SECONDS", CELERY_VISIBILITY_TIMEOUT)
if REDIS_URL:
    _restore_every = max(1, min(10, CELERY_VISIBILITY_TIMEOUT // 4))
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
        # BRPOP the queues in the worker's -Q order (interactive,feeds,default), not round
        # robin: a refresh someone waits for goes before the scheduler's backlog.
        "queue_order_strategy": "priority",
        "unacked_restore_interval": _restore_every,
        "unacked_restore_throttle": max(
            1, min(10, CELERY_VISIBILITY_TIMEOUT // 4 // _restore_every)
        ),
    }
    if REDIS_KEY_PREFIX:
        CELERY_BROKER_TRANSPORT_OPTIONS["global_keyprefix"] = REDIS_KEY_PREFIX

# --- Workers keep their database connection between tasks ----------------------
# Celery's Django fix-up closes every connection before and after each task unless
# CELERY_DB_REUSE_MAX is set; then it closes them every that many tasks. Between tasks
# reader/project/celery.py runs Django's own per-request check instead (close_old_connections:
# CONN_MAX_AGE above, and with CONN_HEALTH_CHECKS a dead connection, e.g. after a database
# restart, is replaced at its next use), as gunicorn's requests do. A new connection costs a
# PostgreSQL backend start (fork, authentication, catalogue caches: about 5 ms of database
# CPU and 2 ms of worker CPU), most of the cost of a refresh answered by a 304
# (bench.production).
CELERY_DB_REUSE_MAX = env_int("CELERY_DB_REUSE_MAX", 1000)

# --- Rules and saved views ---------------------------------
# Time limit, in seconds, of one rule's regular expression on one entry field (reader.rules);
# a pattern that runs longer counts as no match. Not read from the environment.
RULE_REGEX_TIMEOUT = 0.02

# --- Reliability: the cache survives a Redis outage -------------------------
# Throttles, rate-limit counters and Retry-After marks are disposable: while Redis is down
# the cache acts empty instead of failing every request that touches it (reader/project/cache.py).
if REDIS_URL:
    CACHES["default"]["BACKEND"] = "reader.project.cache.FailSoftRedisCache"
    CACHES["default"]["OPTIONS"] = {"socket_connect_timeout": 2, "socket_timeout": 2}

# --- Load: no PostgreSQL parallel query on Tidings' connections ---------------------
# The planner picks parallel plans (Gather over a parallel seq scan of reader_subscription)
# for the unread list and the unread counts; on a few cores serving concurrent requests they
# take 2-4x longer than the serial index plans (bench/load.py). DATABASE_PARALLEL_WORKERS is
# max_parallel_workers_per_gather of every connection (a libpq startup option); -1 keeps the
# server's setting (e.g. behind a PgBouncer that refuses startup options).
DATABASE_PARALLEL_WORKERS = env_int("DATABASE_PARALLEL_WORKERS", 0)
if DATABASES["default"]["ENGINE"].endswith("postgresql") and DATABASE_PARALLEL_WORKERS >= 0:
    _db_options = DATABASES["default"].setdefault("OPTIONS", {})
    _db_options["options"] = " ".join(
        part
        for part in (
            _db_options.get("options", ""),
            f"-c max_parallel_workers_per_gather={DATABASE_PARALLEL_WORKERS}",
        )
        if part
    )

# --- Page speed: no PostgreSQL JIT on Tidings' connections ---------------------------
# Reading queries are short index walks; when their estimated cost passes jit_above_cost
# (100000) PostgreSQL compiles them, and that costs more than running them: the unread counts
# of a 200-subscription user, estimated at 119,620 on stale statistics (4,977 after VACUUM
# ANALYZE), spent ~23 ms in JIT for ~6 ms of execution. The cost grows with unread entries.
# DATABASE_JIT=1 keeps the server's setting (e.g. behind a PgBouncer refusing startup options).
DATABASE_JIT = env_bool("DATABASE_JIT", False)
if DATABASES["default"]["ENGINE"].endswith("postgresql") and not DATABASE_JIT:
    _db_options = DATABASES["default"].setdefault("OPTIONS", {})
    _db_options["options"] = " ".join(
        part for part in (_db_options.get("options", ""), "-c jit=off") if part
    )
