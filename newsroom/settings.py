"""Newsroom settings: one module, driven by the environment (12-factor).

Every value has a safe development default (SQLite, eager Celery tasks, console
e-mail, local-memory cache); production values come from the environment.
"""

import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONCE
from django.core.exceptions import ImproperlyConfigured
from kombu import Queue

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    """Read a boolean from the environment ("1", "true", "yes", "on" are true)."""
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", True)
# Development only: DJANGO_DEBUG=0 refuses to start with it.
_DEV_SECRET = "dev-only-insecure-secret-key-change-me-in-production-0123456789"  # noqa: S105
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", _DEV_SECRET)
if not DEBUG and SECRET_KEY == _DEV_SECRET:
    raise ImproperlyConfigured("Set DJANGO_SECRET_KEY: DJANGO_DEBUG=0 refuses the development key.")

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", "")
# The site's page for a refused form, saying why (newsroom/templates/403_csrf.html).
CSRF_FAILURE_VIEW = "newsroom.security.csrf_failure"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "axes",
    "csp",
    "audit",
    "sources",
    "stories",
    "drf_spectacular_sidecar",  # Swagger UI from our own static files (no CDN)
    # The project package: its AppConfig connects the login-lockout audit handler, and its
    # static files are found as an app's.
    "newsroom.apps.NewsroomConfig",
]

MIDDLEWARE = [
    # Proxy headers only from NEWSROOM_TRUSTED_PROXIES; REMOTE_ADDR becomes the client's.
    "newsroom.proxies.TrustedProxyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # A refusal met while moving through the admin lands on a page the user may see, saying why.
    "stories.admin_refusals.AdminRefusalMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
    # Refuse a NUL in the path or query string with 400 before any view runs.
    "newsroom.security.RefuseNulMiddleware",
    # A committed action whose side effects could not be queued says so (header, JSON, message).
    "audit.queueing.DelayedWorkMiddleware",
    # A view that lost the database answers 503 with Retry-After, not 500.
    "newsroom.health.DatabaseUnavailableMiddleware",
]

ROOT_URLCONF = "newsroom.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "newsroom" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
            ],
        },
    },
]

WSGI_APPLICATION = "newsroom.wsgi.application"

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
# Dates in every input are YYYY-MM-DD (HH:MM), in text "2 Dec 2026 14:05"; the time-zone note
# beside each date-time input names TIME_ZONE (newsroom/formats/).
FORMAT_MODULE_PATH = ["newsroom.formats"]
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_URL = "media/"
# Django itself serves MEDIA_ROOT only in development; in production the proxy does.
NEWSROOM_SERVE_MEDIA = env_bool("NEWSROOM_SERVE_MEDIA", DEBUG)
MEDIA_ROOT = Path(os.environ.get("DJANGO_MEDIA_ROOT", BASE_DIR / "media"))
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

# Cache: Redis when REDIS_URL is set, local memory otherwise. Redis down degrades the site
# instead of failing it (newsroom.cache): reads miss, writes are dropped, throttles fail open;
# short socket timeouts so an unanswering Redis costs half a second every 5 s, not a worker.
if os.environ.get("REDIS_URL"):
    CACHES = {
        "default": {
            "BACKEND": "newsroom.cache.FailSoftRedisCache",
            "LOCATION": os.environ["REDIS_URL"],
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
elif os.environ.get("DJANGO_CACHE_DIR"):
    # A cache every local process shares without a server (`make demo`: web and worker).
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                          "LOCATION": os.environ["DJANGO_CACHE_DIR"]}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# E-mail: console by default; EMAIL_HOST etc. from the environment otherwise.
EMAIL_BACKEND = os.environ.get(
    "DJANGO_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "newsroom@localhost")

# Celery: a real broker when CELERY_BROKER_URL is set; otherwise tasks run eagerly.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
# With a broker, the worker (another process) retires cached pages after a publish, correction
# or retraction; a per-process cache would keep the old page in every web process until it
# expires. So production with a broker needs the shared cache.
if not DEBUG and CELERY_BROKER_URL and CACHES["default"]["BACKEND"].endswith("LocMemCache"):
    raise ImproperlyConfigured("Set REDIS_URL: with CELERY_BROKER_URL, page invalidation must "
                               "reach every process, which a local-memory cache cannot.")
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND") or None
# Every task is idempotent, so a message is acknowledged after its task ran, and a task whose
# pool process was killed goes back to the queue (not lost, not acknowledged).
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# The longest task is a capture (SOURCE_FETCH_DEADLINE_SECONDS, then parsing): a hard limit well
# under the visibility timeout, after which Redis hands an unacknowledged message (a worker
# SIGKILLed as a whole) to another worker. Retry countdowns (at most 600 s) stay under it too.
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_TASK_TIME_LIMIT = 300
# The worker never gives up on the broker: it reconnects after any outage, also at start-up.
CELERY_BROKER_CONNECTION_RETRY = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
# On connection loss a running task finishes (its work is committed; it is idempotent, so a
# redelivery after the visibility timeout is harmless): cancelling it would lose it whenever
# the broker came back without the unacknowledged message.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", "900")),
    # A request queueing a task with the broker unreachable waits seconds, not minutes.
    "socket_connect_timeout": 3,
    "socket_timeout": 10,
    "health_check_interval": 25,
}
# `make demo`'s embedded broker: kombu's filesystem transport, a folder of message files that
# the web process and one local worker (with beat) share. Development only; no Redis needed.
if CELERY_BROKER_URL.startswith("filesystem://"):
    _QUEUE_DIR = os.environ.get("CELERY_FILESYSTEM_DIR") or str(BASE_DIR / "var" / "celery")
    CELERY_BROKER_TRANSPORT_OPTIONS = {"data_folder_in": _QUEUE_DIR, "data_folder_out": _QUEUE_DIR,
                                       "control_folder": _QUEUE_DIR + "-control"}
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2, "interval_start": 0, "interval_step": 0.5, "interval_max": 1,
}
# Fetches (captures, link checks) have their own queue so slow hosts never hold the slots that
# publish_due and e-mails need, and screenshots (seconds of Chromium each) have theirs so they
# never delay the next capture or link check: production runs `worker -Q celery`,
# `worker -Q captures` and `worker -Q screenshots`; a worker started without -Q (development,
# `make demo`) consumes all three.
CELERY_TASK_QUEUES = [Queue("celery"), Queue("captures"), Queue("screenshots")]
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_ROUTES = {
    "sources.tasks.capture_source": {"queue": "captures"},
    "sources.tasks.check_source_link": {"queue": "captures"},
    "sources.tasks.screenshot_snapshot": {"queue": "screenshots"},
}
CELERY_TIMEZONE = TIME_ZONE
# The daily digest's local hour (TIME_ZONE); see NEWSROOM_SITE_URL below.
NEWSROOM_DIGEST_HOUR = int(os.environ.get("NEWSROOM_DIGEST_HOUR", "18"))
CELERY_BEAT_SCHEDULE = {
    "publish-due-stories": {
        "task": "stories.tasks.publish_due",
        "schedule": float(os.environ.get("NEWSROOM_PUBLISH_DUE_SECONDS", "60")),
    },
    "check-cited-links": {"task": "sources.tasks.check_cited_links", "schedule": 6 * 3600.0},
    # Sources added while the broker was down have no snapshot yet: capture them now.
    "capture-missing-snapshots": {"task": "sources.tasks.capture_missing",
                                  "schedule": 10 * 60.0},
    # Signs the audit chain's length and head into the checkpoint log (see "Audit trail").
    # The daily digest (stories.services.digest): once a day, in batches, idempotent per day.
    "daily-digest": {"task": "stories.tasks.send_digest",
                     "schedule": crontab(minute=0, hour=NEWSROOM_DIGEST_HOUR)},
    # Form submission tokens (audit.submissions) are remembered for a week, then forgotten.
    "prune-submission-tokens": {"task": "audit.tasks.prune_submissions",
                                "schedule": crontab(minute=30, hour=3)},
    "audit-checkpoint": {
        "task": "audit.tasks.write_checkpoint",
        "schedule": float(os.environ.get("AUDIT_CHECKPOINT_SECONDS", "300")),
    },
}

# Link checks each worker runs at most (Celery rate_limit syntax): the sweep is paced.
NEWSROOM_LINK_CHECK_RATE = os.environ.get("NEWSROOM_LINK_CHECK_RATE", "2/s")

# Newsroom behaviour.
NEWSROOM_REQUIRED_APPROVALS = int(os.environ.get("NEWSROOM_REQUIRED_APPROVALS", "1"))
# Public pages (issue 13): how long a shared cache (Varnish, a CDN) may keep an anonymous page
# (s-maxage; 0 turns shared caching and the article fragment cache off), and how long past
# that it may serve it while it revalidates (stale-while-revalidate).
NEWSROOM_PAGE_CACHE_SECONDS = int(os.environ.get("NEWSROOM_PAGE_CACHE_SECONDS", "300"))
NEWSROOM_PAGE_STALE_SECONDS = int(os.environ.get("NEWSROOM_PAGE_STALE_SECONDS", "60"))
# The edge cache the app purges on commit after publish, correction, retraction and source or
# author changes (stories.frontend_cache), e.g. {"BACKEND":
# "stories.frontend_cache.VarnishBackend", "LOCATION": "http://127.0.0.1:6082"} (Varnish's
# purge listener, deploy/varnish/default.vcl). Default: none.
# Each purge is sent again REPEAT_AFTER seconds later, for a page that was being fetched while
# the change committed (stories.tasks._purge).
NEWSROOM_FRONTEND_CACHE = (
    {"BACKEND": "stories.frontend_cache.VarnishBackend",
     "LOCATION": os.environ["NEWSROOM_FRONTEND_CACHE_URL"],
     "REPEAT_AFTER": int(os.environ.get("NEWSROOM_FRONTEND_CACHE_REPEAT_AFTER", "10"))}
    if os.environ.get("NEWSROOM_FRONTEND_CACHE_URL") else None
)
NEWSROOM_MAX_BODY_BYTES = 1_000_000
# The admin editor checks unsaved text about 300 ms after each pause in typing; this caps the
# checks one writer can ask for (stories.api.editor.CheckThrottle).
NEWSROOM_CHECK_RATE = os.environ.get("NEWSROOM_CHECK_RATE", "240/minute")
# Proposing a source from a pasted link fetches the page (sources.proposals): per writer.
NEWSROOM_LOOKUP_RATE = os.environ.get("NEWSROOM_LOOKUP_RATE", "30/minute")
# Uploaded figures: file size and decoded pixels (a 13,000 x 13,000 PNG is 657 KB on disk and
# 1.5 GB decoded). Front the site with a proxy body limit a little above the upload limit.
NEWSROOM_MAX_UPLOAD_BYTES = int(os.environ.get("NEWSROOM_MAX_UPLOAD_BYTES", 15_000_000))
NEWSROOM_MAX_IMAGE_PIXELS = int(os.environ.get("NEWSROOM_MAX_IMAGE_PIXELS", 40_000_000))
NEWSROOM_SITE_NAME = os.environ.get("NEWSROOM_SITE_NAME", "Newsroom")
# How far back the inbox reads the audit trail (its e-mails link to NEWSROOM_SITE_URL, below).
NEWSROOM_INBOX_DAYS = int(os.environ.get("NEWSROOM_INBOX_DAYS", "30"))
# Readers' side (issue 19): the public address e-mails link to, when the daily digest goes out
# (NEWSROOM_DIGEST_HOUR, above), how long its confirmation link lasts, and how many "top stories".
NEWSROOM_SITE_URL = os.environ.get("NEWSROOM_SITE_URL", "http://localhost:8000")
NEWSROOM_DIGEST_CONFIRM_HOURS = int(os.environ.get("NEWSROOM_DIGEST_CONFIRM_HOURS", "48"))
NEWSROOM_DIGEST_BATCH = int(os.environ.get("NEWSROOM_DIGEST_BATCH", "200"))
NEWSROOM_TOP_STORIES = int(os.environ.get("NEWSROOM_TOP_STORIES", "5"))
AUDIT_EVENT_VISIBILITY = "stories.permissions.events_visible_to"  # who reads which audit events
# The model audit events and transparency log entries are about (as AUTH_USER_MODEL names the
# users'): the project wires it, so the audit app names no app above it (STYLE.md).
AUDIT_STORY_MODEL = "stories.Story"
SOURCE_FETCH_ALLOW_PRIVATE = env_bool("SOURCE_FETCH_ALLOW_PRIVATE", False)
# Full-page screenshots of captured pages (headless Chromium via Playwright, in a Celery task);
# on by default where a worker runs them (a broker is set), off where tasks run in the request.
NEWSROOM_SCREENSHOTS = env_bool("NEWSROOM_SCREENSHOTS", bool(CELERY_BROKER_URL))
NEWSROOM_CHROMIUM = os.environ.get("NEWSROOM_CHROMIUM", "/usr/bin/chromium")
# A 1 MB body arrives form-encoded at up to ~3 MB; leave room for the rest of the form.
DATA_UPLOAD_MAX_MEMORY_SIZE = 4 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 5000

# REST framework.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "audit.schema.NewsroomAutoSchema",
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "audit.negotiation.NewsroomContentNegotiation",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_THROTTLE_RATES": {
        "anon": os.environ.get("NEWSROOM_THROTTLE_ANON", "600/minute"),
        "user": os.environ.get("NEWSROOM_THROTTLE_USER", "3000/minute"),
        "token": os.environ.get("NEWSROOM_THROTTLE_TOKEN", "20/minute"),
        # Readers (stories.throttles): error reports per address and per story, digest
        # sign-ups per address, page-view pings per address.
        "reader_report": os.environ.get("NEWSROOM_THROTTLE_REPORT", "10/hour"),
        "reader_report_story": os.environ.get("NEWSROOM_THROTTLE_REPORT_STORY", "60/hour"),
        "digest_subscribe": os.environ.get("NEWSROOM_THROTTLE_SUBSCRIBE", "5/hour"),
        "page_view": os.environ.get("NEWSROOM_THROTTLE_PAGE_VIEW", "300/hour"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Newsroom API",
    "DESCRIPTION": "Stories, sources, claims, reviews and the audit trail.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
}

# Logins: lock out after repeated failures (django-axes).
AXES_FAILURE_LIMIT = int(os.environ.get("NEWSROOM_LOGIN_FAILURE_LIMIT", "8"))
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True

# Content-Security-Policy (django-csp 4): no inline script or style without a nonce. The nonce
# is made only when a template asks for it, so public pages (static scripts, a JSON-LD data
# block) carry none and one cached copy serves every reader.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", NONCE],
        "style-src": ["'self'", NONCE],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

# Security headers; strict when not debugging.
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# The reverse proxies in front of the site (CIDRs). X-Forwarded-For and -Proto are believed only
# from these (newsroom.proxies): a client elsewhere cannot pick the address the throttles and the
# sign-in lockout count, nor claim HTTPS. Default: a proxy on this host.
NEWSROOM_TRUSTED_PROXIES = env_list("NEWSROOM_TRUSTED_PROXIES", "127.0.0.1/32,::1/128")
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
# Database sessions that never look up a cookie no key can match (a NUL, say).
SESSION_ENGINE = "newsroom.sessions"
SECURE_HSTS_SECONDS = 0 if DEBUG else int(os.environ.get("DJANGO_HSTS_SECONDS", "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "WARNING")},
}

# API (issue 5): one mapping of workflow errors to HTTP answers, throttles for anonymous and
# signed-in clients (rates above), and Swagger UI served from the sidecar's static files.
REST_FRAMEWORK["EXCEPTION_HANDLER"] = "newsroom.api.exception_handler"
REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"] = [
    "rest_framework.throttling.AnonRateThrottle",
    "rest_framework.throttling.UserRateThrottle",
]
SPECTACULAR_SETTINGS.update({
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "SourceKindEnum": "sources.models.Kind",
        "SourceHealthEnum": "sources.models.Health",
        "StoryStateEnum": "stories.models.State",
        "CorrectionKindEnum": "stories.models.Correction.Kind",
        "DecisionEnum": "stories.models.Decision",
        "VerdictEnum": "stories.models.Verdict",
    },
})

# Source fetcher: networks it may reach even when SOURCE_FETCH_ALLOW_PRIVATE is off
# (comma-separated CIDRs, e.g. an internal document server); every other private address
# stays refused.
SOURCE_FETCH_ALLOW_NETWORKS = env_list("SOURCE_FETCH_ALLOW_NETWORKS", "")

# Audit trail (issue 11): each event carries an HMAC-SHA-256 made with AUDIT_HMAC_KEY, which the
# database never holds; Ed25519-signed checkpoints of the chain (count and head) are appended to
# AUDIT_CHECKPOINT_PATH, outside the database; verify_audit checks both. The development keys
# below are public: DJANGO_DEBUG=0 refuses to start without real ones. docs/operations.md.
_DEV_AUDIT_HMAC_KEY = "dev-only-insecure-audit-hmac-key-change-me-0123456789"  # noqa: S105
_DEV_AUDIT_SIGNING_KEY = "lPvkdkvv/yk6LiD8o4bOreagkyaq1DmzSwbPJERMG6Q="  # noqa: S105
AUDIT_HMAC_KEY = os.environ.get("AUDIT_HMAC_KEY") or (_DEV_AUDIT_HMAC_KEY if DEBUG else "")
# Former keys, comma-separated: their MACs still verify, new events use AUDIT_HMAC_KEY.
AUDIT_HMAC_RETIRED_KEYS = env_list("AUDIT_HMAC_RETIRED_KEYS", "")
AUDIT_CHECKPOINT_PATH = os.environ.get("AUDIT_CHECKPOINT_PATH") or (
    str(BASE_DIR / "var" / "audit-checkpoints.jsonl") if DEBUG else "")
# Only the process that writes checkpoints (beat's worker, or cron) needs the private key.
AUDIT_SIGNING_KEY = os.environ.get("AUDIT_SIGNING_KEY") or (
    _DEV_AUDIT_SIGNING_KEY if DEBUG else "")
# Public keys (base64) that checkpoints may be signed with, current and former.
AUDIT_VERIFY_KEYS = env_list("AUDIT_VERIFY_KEYS", "")
if not DEBUG:
    if len(AUDIT_HMAC_KEY) < 32 or AUDIT_HMAC_KEY == _DEV_AUDIT_HMAC_KEY:
        raise ImproperlyConfigured("Set AUDIT_HMAC_KEY (32 or more random characters): "
                                   "DJANGO_DEBUG=0 refuses to start without it.")
    if not AUDIT_CHECKPOINT_PATH:
        raise ImproperlyConfigured("Set AUDIT_CHECKPOINT_PATH (an append-only file outside the "
                                   "database): DJANGO_DEBUG=0 refuses to start without it.")
    if AUDIT_SIGNING_KEY == _DEV_AUDIT_SIGNING_KEY:
        raise ImproperlyConfigured("AUDIT_SIGNING_KEY: DJANGO_DEBUG=0 refuses the development key.")

# Transparency log (issue 17, docs/transparency.md): the web process signs a tree head with each
# entry it appends, so it needs the Ed25519 key: TRANSPARENCY_SIGNING_KEY (base64 or PEM) or a
# file holding it. Development generates the file on first use. Former public keys stay in
# TRANSPARENCY_VERIFY_KEYS (comma-separated base64) and are published with the current one.
TRANSPARENCY_SIGNING_KEY = os.environ.get("TRANSPARENCY_SIGNING_KEY", "")
TRANSPARENCY_SIGNING_KEY_FILE = os.environ.get("TRANSPARENCY_SIGNING_KEY_FILE") or (
    str(BASE_DIR / "var" / "transparency-signing-key") if DEBUG else "")
TRANSPARENCY_GENERATE_KEY = DEBUG
TRANSPARENCY_VERIFY_KEYS = env_list("TRANSPARENCY_VERIFY_KEYS", "")
if not DEBUG and not (TRANSPARENCY_SIGNING_KEY or TRANSPARENCY_SIGNING_KEY_FILE):
    raise ImproperlyConfigured("Set TRANSPARENCY_SIGNING_KEY or TRANSPARENCY_SIGNING_KEY_FILE: "
                               "publishing signs the transparency log (manage.py audit_keygen).")
