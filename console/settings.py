"""Concord's settings, read from the environment (see README, "Running in production").

Defaults suit the embedded demo (SQLite under ``var/``, the ORM broker); production sets ``DEBUG=0`` and
must then provide SECRET_KEY and FIELD_ENCRYPTION_KEYS, or Django refuses to start.
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path
from typing import Any, cast

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from console import site_files
from console.log_format import logging_config
from console.site_files import default_var_dir, site_folder
from core.env import env_bool, env_float, env_int, env_list, env_secret, env_secret_list, env_str

BASE_DIR = site_files.BASE_DIR
# Where the demo keeps its SQLite database, the simulators' stores and CA bundles; the browser tests point
# it at a temporary directory to run a throwaway demo beside a real one. A service sets it (deploy/).
VAR_DIR = Path(env_str("VAR_DIR", str(default_var_dir())))

DEBUG = env_bool("DEBUG", False)

# Every secret below can come from a file instead (NAME_FILE=/run/secrets/name: Docker secrets, systemd
# credentials): core.env.env_secret, docs/secrets.md.
SECRET_KEY = env_secret("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = "django-insecure-concord-demo-key-never-use-this-outside-a-laptop"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# Behind a reverse proxy that terminates TLS and sets X-Forwarded-Proto / X-Forwarded-For. Only then are
# those headers believed (for HTTPS detection and for the remote address in the audit trail).
BEHIND_PROXY = env_bool("BEHIND_PROXY", False)
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's files, served from here (no CDN)
    "django_q",
    "auditlog",
    "guardian",
    "django_htmx",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "console",
    "sync",
    "reconciliation",
    "demo",  # the demo launcher: `manage.py demo` and `manage.py simulate` (imports the simulators)
    # Last on purpose: its post_migrate hook syncs the role groups once every app's permissions exist.
    "governance",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "console.security.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "governance.mfa.middleware.MfaRequiredMiddleware",
    "core.access.RoleRequiredMiddleware",
    "governance.middleware.AuditMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "console.urls"
WSGI_APPLICATION = "console.wsgi.application"
ASGI_APPLICATION = "console.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [site_folder("templates")],  # a checkout's templates/, or the wheel's copy
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "console.context_processors.console",
            ],
            # Tag libraries kept beside their feature rather than in an app's templatetags folder.
            "libraries": {
                "mapping_words": "sync.mappings.template_words",
                "exception_groups": "sync.exceptions.group_badge",
                "labels": "core.templatetags.labels",  # keys by their words: core/labels.py
                "controls": "core.templatetags.controls",  # controls with ids unique within a page
            },
        },
    },
]

# Database: SQLite under var/ for the demo, PostgreSQL (psycopg 3) via DATABASE_URL otherwise.
DATABASES: dict[str, dict[str, Any]] = {
    "default": cast(
        dict[str, Any],
        dj_database_url.parse(
            env_secret("DATABASE_URL", f"sqlite:///{VAR_DIR / 'concord.sqlite3'}"),
            conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
            conn_health_checks=True,
        ),
    )
}
# The listener's intake statement is prepared once per connection (sync/pipeline/inbox_statements.py);
# 0 behind a connection pooler that does not keep a client's prepared statements.
DB_PREPARED_STATEMENTS = env_bool("DB_PREPARED_STATEMENTS", True)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server and the django-q2 workers write at the same time: WAL lets readers run beside a
    # writer, IMMEDIATE takes the write lock when a transaction starts (no deadlocked upgrades), and the
    # timeout makes a writer wait for the lock instead of failing with "database is locked".
    # Connections persist like PostgreSQL's (DB_CONN_MAX_AGE): opening one costs ~1.6 ms of CPU in WAL
    # mode (the first statement maps the WAL index; the last close checkpoints), more than a whole
    # listener request otherwise (bench/ingest.py).
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_secret("REDIS_URL")  # may carry a password

if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# django-q2. What really happens to a task whose worker dies (kill -9, OOM, a deploy): with the ORM
# broker (no REDIS_URL) a task not acknowledged is handed out again after `retry` seconds (so retry must
# exceed timeout, or a running task is handed out twice). A task past `timeout` gets an exception raised
# in it and is recorded as failed, which ack_failures acknowledges: not handed out again (unless it did
# not stop and its process was killed). With the Redis broker a task is popped with no acknowledgement
# at all: once a worker took it, it is gone if that worker dies, and `retry`/`max_attempts` do nothing.
# So no task is trusted to run to its end: every task is idempotent, and the work a lost task leaves is
# found again from the database by a periodic sweep (inbox leases, job and backfill heartbeats), or is
# redone by its schedule: docs/operations-tasks.md says which, per task.
Q_CLUSTER: dict[str, Any] = {
    "name": "concord",
    "workers": env_int("Q_WORKERS", 2),
    "timeout": env_int("Q_TIMEOUT", 300),
    "retry": env_int("Q_RETRY", 360),
    "max_attempts": 3,
    "ack_failures": True,
    "catch_up": False,
    "save_limit": 1000,
    "sync": env_bool("Q_SYNC", False),
    # How long an idle cluster waits before asking the ORM broker again: on average half of it is added
    # to every task's start. django-q2's 0.2 s made ~140 ms of a ~800 ms Closed Won -> sales order
    # median; 50 ms costs an idle cluster 20 small indexed reads a second (bench/latency.py). Redis
    # blocks instead of polling.
    "poll": env_int("Q_POLL_MS", 50) / 1000,
    "label": "Background tasks",
    # Whether this cluster also queues the schedules' due tasks. deploy/entrypoint.sh runs one scheduler
    # (Q_SCHEDULER=1) and any number of workers (0); a cluster started on its own does both.
    "scheduler": env_bool("Q_SCHEDULER", True),
}
# A qcluster worker hands the GIL over every Q_WORKER_SWITCH_INTERVAL_MS (CPython's default is 5 ms): a
# thread woken by an answer or a freed NetSuite slot runs sooner, so the slot idles less (core/qworkers.py).
Q_WORKER_SWITCH_INTERVAL_MS = env_float("Q_WORKER_SWITCH_INTERVAL_MS", 1.0)
if not 0 < Q_WORKER_SWITCH_INTERVAL_MS <= 100:
    raise ImproperlyConfigured("Q_WORKER_SWITCH_INTERVAL_MS must be above 0 and at most 100")
if Q_CLUSTER["retry"] <= Q_CLUSTER["timeout"]:
    raise ImproperlyConfigured(
        "Q_RETRY must be greater than Q_TIMEOUT, or running tasks are handed out twice"
    )
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"
    # The ORM broker, but an idle pusher is woken by an enqueue on this host instead of waiting out the
    # poll (core/qbroker.py): a Closed Won's drain starts at once rather than ~poll/2 later.
    Q_CLUSTER["broker_class"] = "core.qbroker.WakingORM"

# The inbox (sync.pipeline.inbox): a claimed message is a worker's for INBOX_LEASE_SECONDS; if the worker
# dies, the periodic sweep hands it out again once the lease runs out. A message claimed
# INBOX_MAX_ATTEMPTS times without completing is set aside (status "failed", an exception in the queue)
# so that it can never hold up the messages behind it.
INBOX_LEASE_SECONDS = env_int("INBOX_LEASE_SECONDS", 15 * 60)
INBOX_MAX_ATTEMPTS = env_int("INBOX_MAX_ATTEMPTS", 5)
if INBOX_LEASE_SECONDS < 1 or INBOX_MAX_ATTEMPTS < 1:
    raise ImproperlyConfigured("INBOX_LEASE_SECONDS and INBOX_MAX_ATTEMPTS must be at least 1")
# Under load, a drain that claimed at least INBOX_DRAIN_HOLD_ROWS messages keeps the drain flag set while
# it works and claims again after: the messages stored meanwhile make one larger job instead of many small
# ones on other workers. A flag set longer than INBOX_DRAIN_HOLD_SECONDS no longer holds the stores back
# (a long batch, a killed worker): they request a drain of their own (sync.pipeline.inbox).
INBOX_DRAIN_HOLD_ROWS = env_int("INBOX_DRAIN_HOLD_ROWS", 5)
INBOX_DRAIN_HOLD_SECONDS = env_int("INBOX_DRAIN_HOLD_SECONDS", 2)
# Sync jobs and backfill batches renew a heartbeat every third of JOB_LEASE_SECONDS while they run; the
# interrupted-work sweep (every minute) marks one whose heartbeat is older "interrupted". A backfill is
# then resumed from its cursor, in smaller batches, up to BACKFILL_AUTO_RESUMES times; after that it
# waits for a person (console, API or `manage.py sync_sweep --resume-backfill ID`).
# A NetSuite request holds one of its connection's slots (sync/connections/concurrency.py) under a lease this
# long:
# the slots of a worker killed mid-request come back when it runs out. Keep it above the connection's
# connect + read time-out.
NETSUITE_SLOT_LEASE_SECONDS = env_int("NETSUITE_SLOT_LEASE_SECONDS", 300)
JOB_LEASE_SECONDS = env_int("JOB_LEASE_SECONDS", 5 * 60)
BACKFILL_AUTO_RESUMES = env_int("BACKFILL_AUTO_RESUMES", 3)
if JOB_LEASE_SECONDS < 1 or BACKFILL_AUTO_RESUMES < 0:
    raise ImproperlyConfigured("JOB_LEASE_SECONDS must be at least 1, BACKFILL_AUTO_RESUMES at least 0")
# Retention (sync/retention, docs/retention.md): the prune deletes at most this many rows per transaction.
RETENTION_BATCH_SIZE = env_int("RETENTION_BATCH_SIZE", 500)
if RETENTION_BATCH_SIZE < 1:
    raise ImproperlyConfigured("RETENTION_BATCH_SIZE must be at least 1")
# Each process remembers a listener found by its URL token this many seconds (0: ask every time); a
# listener changed in another process is seen after at most this long
# (sync/pipeline/listener/listener_cache.py).
SYNC_LISTENER_CACHE_SECONDS = env_int("SYNC_LISTENER_CACHE_SECONDS", 5)

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
ANONYMOUS_USER_NAME = None  # guardian: no anonymous user row; anonymous visitors only see the login page

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Invitations (governance.invitations): how long an e-mailed set-password link works, in seconds.
INVITATION_TIMEOUT = env_int("INVITATION_TIMEOUT", 7 * 24 * 3600)

# Sign-in throttling (governance.throttle): this many failures per username and address, per username
# alone, or per address alone within the window (seconds) block further attempts until the window ends.
LOGIN_THROTTLE_FAILURES = env_int("LOGIN_THROTTLE_FAILURES", 5)
LOGIN_THROTTLE_USERNAME_FAILURES = env_int("LOGIN_THROTTLE_USERNAME_FAILURES", 20)
LOGIN_THROTTLE_ADDRESS_FAILURES = env_int("LOGIN_THROTTLE_ADDRESS_FAILURES", 50)
LOGIN_THROTTLE_WINDOW = env_int("LOGIN_THROTTLE_WINDOW", 15 * 60)

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

# Single sign-on with OpenID Connect (governance/sso, docs/sign-in.md): on when OIDC_RP_CLIENT_ID is set.
# The endpoints come from OIDC_OP_DISCOVERY (read at the first sign-in) unless given one by one.
OIDC_RP_CLIENT_ID = env_str("OIDC_RP_CLIENT_ID")
OIDC_RP_CLIENT_SECRET = env_secret("OIDC_RP_CLIENT_SECRET")
OIDC_OP_DISCOVERY = env_str("OIDC_OP_DISCOVERY")
OIDC_OP_ISSUER = env_str("OIDC_OP_ISSUER")
OIDC_OP_AUTHORIZATION_ENDPOINT = env_str("OIDC_OP_AUTHORIZATION_ENDPOINT")
OIDC_OP_TOKEN_ENDPOINT = env_str("OIDC_OP_TOKEN_ENDPOINT")
OIDC_OP_USER_ENDPOINT = env_str("OIDC_OP_USER_ENDPOINT")
OIDC_OP_JWKS_ENDPOINT = env_str("OIDC_OP_JWKS_ENDPOINT")
OIDC_RP_SIGN_ALGO = env_str("OIDC_RP_SIGN_ALGO", "RS256")
OIDC_RP_SCOPES = env_str("OIDC_RP_SCOPES", "openid email profile groups")
OIDC_USE_PKCE = True
OIDC_TIMEOUT = env_int("OIDC_TIMEOUT", 10)
OIDC_AUTHENTICATION_CALLBACK_URL = "sso-callback"
LOGIN_REDIRECT_URL_FAILURE = "/accounts/login/?sso=failed"
# The claim holding the person's groups, and which group gives which Concord role: "group=Role,...".
OIDC_GROUPS_CLAIM = env_str("OIDC_GROUPS_CLAIM", "groups")
OIDC_USERNAME_CLAIM = env_str("OIDC_USERNAME_CLAIM", "preferred_username")
OIDC_ROLE_MAP = env_str("OIDC_ROLE_MAP")
if OIDC_RP_CLIENT_ID:
    AUTHENTICATION_BACKENDS.append("governance.sso.backend.ConcordOIDCBackend")
# LOCAL_PASSWORDS=0 turns password sign-in off (SSO only), except for the break-glass usernames listed in
# LOCAL_PASSWORDS_BREAK_GLASS, who sign in at /accounts/login/?local=1 (with their second factor).
LOCAL_PASSWORDS = env_bool("LOCAL_PASSWORDS", True)
LOCAL_PASSWORDS_BREAK_GLASS = env_list("LOCAL_PASSWORDS_BREAK_GLASS")

# Two-factor authentication (governance/mfa, django-otp TOTP): a console session of anyone holding one of
# these roles must enrol a device and pass its code after signing in (by password or SSO). Production
# requires it of Admin and Finance; the demo (DEBUG) requires it of no one unless set. API tokens are not
# affected (a token is its own credential).
MFA_REQUIRED_ROLES = env_list("MFA_REQUIRED_ROLES", [] if DEBUG else ["Admin", "Finance"])
OTP_TOTP_ISSUER = env_str("OTP_TOTP_ISSUER", "Concord")

# Audit trail: our own entry model (room for a correlation id and, later, a hash chain).
AUDITLOG_LOGENTRY_MODEL = "governance.AuditEntry"
AUDITLOG_CID_GETTER = "core.correlation.current_correlation_id"

# Secrets at rest: comma-separated Fernet keys, newest first (core.secrets).
FIELD_ENCRYPTION_KEYS = env_secret_list("FIELD_ENCRYPTION_KEYS")
if not FIELD_ENCRYPTION_KEYS:
    if not DEBUG:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS must be set when DEBUG is off")
    # The demo's key is public (derived from a fixed label): demo secrets are not secret.
    FIELD_ENCRYPTION_KEYS = [
        base64.urlsafe_b64encode(hashlib.sha256(b"concord demo field key").digest()).decode()
    ]

# The API (/api/v1/, README "API"): a personal token or the console's session; the console's roles.
REST_FRAMEWORK = {
    # The token first: an anonymous request is answered 401 with "WWW-Authenticate: Bearer".
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "governance.api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "core.api.permissions.HasConsoleRole",
        "core.api.permissions.HasActionCapability",
    ],
    "DEFAULT_PAGINATION_CLASS": "core.api.paging.ApiPagination",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["core.api.parsers.BoundedJSONParser"],
    "EXCEPTION_HANDLER": "core.api.errors.api_exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Concord API",
    "DESCRIPTION": "Connections, mappings, rules, sync jobs, exceptions, reconciliation and the audit trail.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["core.api.permissions.HasConsoleRole"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Several models have a "status" or "kind": each set of choices gets its own name in the schema.
    "ENUM_NAME_OVERRIDES": {
        "ConnectionKindEnum": "sync.connections.models.ConnectionKind",
        "ListenerKindEnum": "sync.pipeline.models.ListenerKind",
        "OverrideKindEnum": "sync.exceptions.models.OverrideKind",
        "ExceptionSeverityEnum": "sync.exceptions.models.Severity",
        "ExceptionStatusEnum": "sync.exceptions.models.ExceptionStatus",
        "OverrideStatusEnum": "sync.exceptions.models.OverrideStatus",
        "MappingVersionStatusEnum": "sync.mappings.models.VersionStatus",
        "RuleStatusEnum": "sync.rules.models.RuleStatus",
        "JobStatusEnum": "sync.pipeline.models.JobStatus",
        "RecordStatusEnum": "sync.pipeline.models.RecordStatus",
        "RunStatusEnum": "reconciliation.models.RunStatus",
        "RuleSeverityEnum": "sync.rules.api.RULE_SEVERITY_CHOICES",
        "NotificationChannelKindEnum": "sync.notifications.models.ChannelKind",
        "NotificationEventKindEnum": "sync.notifications.models.EventKind",
    },
}

# E-mail (exception escalations). Django's SMTP backend unless EMAIL_BACKEND says otherwise.
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_secret("EMAIL_HOST_PASSWORD")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "concord@localhost")
# Where django.core.mail.backends.filebased.EmailBackend writes each message (a mail-less trial install).
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))

# Exception tickets go to this webhook, signed with the shared secret (sync.exceptions.tickets).
EXCEPTION_TICKET_WEBHOOK_URL = env_str("EXCEPTION_TICKET_WEBHOOK_URL")
# Notifications (docs/notifications.md): links in Slack, Teams and e-mail messages start with the console's
# public address; webhook calls trust the system's CAs unless NOTIFICATIONS_CA_BUNDLE names a PEM file
# (a corporate proxy's CA). Webhook URLs are stored encrypted with FIELD_ENCRYPTION_KEYS.
CONSOLE_BASE_URL = env_str("CONSOLE_BASE_URL", "http://127.0.0.1:8000")
NOTIFICATIONS_CA_BUNDLE = env_str("NOTIFICATIONS_CA_BUNDLE")
EXCEPTION_TICKET_WEBHOOK_SECRET = env_secret("EXCEPTION_TICKET_WEBHOOK_SECRET")

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "staticfiles")))
STATICFILES_DIRS = [site_folder("static")]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or not env_bool("STATIC_MANIFEST", True)
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Production hardening; each can be relaxed through the environment for an unusual deployment.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
# Load balancers probe over plain HTTP inside the network: /healthz answers them instead of redirecting.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 60 * 60)
X_FRAME_OPTIONS = "DENY"
# Cookies: never readable from scripts (htmx sends the CSRF token from the page, not the cookie), and not
# sent on cross-site subrequests.
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

# Logs: one JSON object per line in production (ts, level, logger, message, correlation_id, extra
# fields), plain text for a terminal; see console/log_format.py. LOG_QUIET_REQUESTS=1 (the demo sets it,
# with LOG_LEVEL=WARNING) drops runserver's line per request and the traceback of each refused page.
LOG_FORMAT = env_str("LOG_FORMAT", "plain" if DEBUG else "json")
try:
    LOGGING = logging_config(
        log_format=LOG_FORMAT,
        level=env_str("LOG_LEVEL", "INFO"),
        quiet_requests=env_bool("LOG_QUIET_REQUESTS", False),
    )
except ValueError as exc:
    raise ImproperlyConfigured(str(exc)) from exc

# Operations endpoints: /healthz needs no credentials; /metrics asks for "Authorization: Bearer
# <METRICS_TOKEN>" when the token is set, and is open (like /healthz) when it is not: with DEBUG off that
# is a `check --deploy` warning (console/checks.py, concord.W001; SILENCED_SYSTEM_CHECKS if only the
# network reaches /metrics).
METRICS_TOKEN = env_secret("METRICS_TOKEN")
SILENCED_SYSTEM_CHECKS = env_list("SILENCED_SYSTEM_CHECKS")
# /healthz counts the workers alive when one finished its heartbeat task within this many seconds.
HEALTH_WORKER_MAX_AGE = env_int("HEALTH_WORKER_MAX_AGE", 180)
# How often each dashboard panel refreshes itself (HTMX polling), in seconds.
DASHBOARD_POLL_SECONDS = env_int("DASHBOARD_POLL_SECONDS", 15)

# Where the sync status goes in each system, object by object (sync/pipeline/sync_status.py has the
# defaults, matching the simulators; docs/sync-status.md). E.g. {"netsuite": {"contact": {}}} writes
# no status on NetSuite contacts; {"salesforce": {"Account": {"status": "X__c", "message": "",
# "time": "Y__c"}}} uses other fields on accounts and writes no message there.
SYNC_STATUS_FIELDS: dict[str, dict[str, dict[str, str]]] = {}
