"""Settings, read from the environment with embedded defaults that run on one machine.

Unset: SQLite under var/, a filesystem Celery broker under var/ (a real worker process still
runs, no server needed) and the sandbox backend picked by whether a Docker engine answers.
Production sets DATABASE_URL (PostgreSQL), CELERY_BROKER_URL (Redis) and SANDBOX_BACKEND=docker.
"""

from __future__ import annotations

import ipaddress
import json
import os
from datetime import timedelta
from pathlib import Path

import dj_database_url

from accounts.saml import saml_apps  # plain Python: the SAML app from SAML_* variables

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("INTERVIEW_TRACK_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise SystemExit(f"Configuration error: {name} must be true or false (got {raw!r}).")


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", False)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        # SystemExit with a message prints one clear line instead of a traceback.
        raise SystemExit(
            "Configuration error: DJANGO_SECRET_KEY is required when DJANGO_DEBUG is off. "
            "Set it to a long random string, e.g. "
            "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`."
        )
    SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", "")
CSRF_FAILURE_VIEW = "webapp.views.errors.csrf_failure"  # explains itself and hands the page a fresh token

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's files, served from our static files
    "django_htmx",
    "template_partials",
    "axes",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "allauth.socialaccount.providers.saml",
    "allauth.mfa",
    "auditlog",
    "accounts",
    "assessments",
    "graders",
    "audit",
    "ops",
    "api",
    "webapp",
]

MIDDLEWARE = [
    "ops.logs.RequestLogMiddleware",  # first: every response gets its X-Request-ID, every request an access line
    "ops.metrics.MetricsMiddleware",  # times each request through all the middleware below (docs/observability.md)
    "webapp.middleware.ProbeMiddleware",  # /healthz, /readyz, /metrics for probes and scrapers that ask by IP address
    "django.middleware.security.SecurityMiddleware",
    "webapp.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "accounts.middleware.RequireTotpMiddleware",
    "audit.middleware.AuditMiddleware",  # the actor of every change; a read event for candidate data pages
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "webapp.middleware.NotFoundMiddleware",
    "webapp.middleware.NoStoreMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes asks: turns a lockout into its response
]

ROOT_URLCONF = "webapp.urls"
WSGI_APPLICATION = "webapp.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "webapp" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "webapp.context_processors.platform",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'interview_track.sqlite3'}",
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
    )
}
# A connection kept between requests is checked before reuse: after a database restart, the next request
# opens a new one instead of failing on the dead one.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # WAL lets the web process and the worker read while the other writes.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
# Wrong passwords: django-axes locks the account from that address after AXES_FAILURE_LIMIT failures for the
# cool-off time (a right password included), records every failure (admin: Access failures) and logs it.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "allauth.account.auth_backends.AuthenticationBackend"]
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("AXES_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]  # one attacker cannot lock a colleague out from elsewhere
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "accounts.network.client_ip"  # TRUSTED_PROXIES decides, as for the rate limits
AXES_LOCKOUT_TEMPLATE = "registration/locked.html"
AXES_VERBOSE = False
AXES_USERNAME_CALLABLE = "accounts.network.login_username"  # allauth: username= or the form's `login`

# Sign-in (django-allauth): local accounts by username (no self sign-up), optional TOTP, and single sign-on through
# the company's OpenID Connect provider when OIDC_ISSUER is set. Its groups map to roles and managed tracks on
# every sign-in (accounts/identity.py; README "Single sign-on").
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "accounts.adapters.SocialAccountAdapter"
ACCOUNT_LOGIN_METHODS = {"username"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "password1*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
# django-axes owns the sign-in lockout (per account and address, logged, the lockout page); allauth's own
# failed-login limit would answer first with a plain form error and hide it.
ACCOUNT_RATE_LIMITS = {"login_failed": None}
ACCOUNT_LOGOUT_REDIRECT_URL = "login"
SOCIALACCOUNT_AUTO_SIGNUP = True
SOCIALACCOUNT_LOGIN_ON_GET = False  # starting a sign-in is a POST (CSRF-protected)
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False  # never take over a local account by a matching e-mail
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = os.environ.get("MFA_TOTP_ISSUER", "Interview Track")
ACCOUNTS_REQUIRE_TOTP = env_bool("ACCOUNTS_REQUIRE_TOTP", False)
OIDC_ISSUER = os.environ.get("OIDC_ISSUER", "").rstrip("/")
OIDC_GROUPS_CLAIM = os.environ.get("OIDC_GROUPS_CLAIM", "groups")
OIDC_TRACK_GROUP_PREFIX = os.environ.get("OIDC_TRACK_GROUP_PREFIX", "interview-track:manages:")
try:
    OIDC_GROUP_ROLES = json.loads(os.environ.get("OIDC_GROUP_ROLES") or json.dumps({
        "interview-track:admins": "Admin", "interview-track:managers": "Hiring manager",
        "interview-track:interviewers": "Interviewer"}))
except ValueError as exc:
    raise SystemExit(f"Configuration error: OIDC_GROUP_ROLES must be a JSON object of group -> role: {exc}") from exc
# The scopes asked for: the groups claim needs its scope at most providers (OIDC_SCOPES, space-separated).
OIDC_SCOPES = os.environ.get("OIDC_SCOPES", "openid profile email groups").split()
SOCIALACCOUNT_PROVIDERS = {"openid_connect": {"OAUTH_PKCE_ENABLED": True, "SCOPE": OIDC_SCOPES, "APPS": [{
    "provider_id": os.environ.get("OIDC_PROVIDER_ID", "sso"),
    "name": os.environ.get("OIDC_PROVIDER_NAME", "single sign-on"),
    "client_id": os.environ.get("OIDC_CLIENT_ID", ""),
    "secret": os.environ.get("OIDC_CLIENT_SECRET", ""),
    "settings": {"server_url": OIDC_ISSUER, "token_auth_method": "client_secret_basic"},
}] if OIDC_ISSUER else []}}
# SAML 2.0 where a company needs it (accounts/saml.py): configured when SAML_IDP_METADATA_URL, or SAML_IDP_ENTITY_ID +
# SAML_IDP_SSO_URL + SAML_IDP_X509_CERT, is set. Its groups attribute maps as the OIDC groups do (OIDC_GROUP_ROLES,
# OIDC_TRACK_GROUP_PREFIX); signed assertions are required.
SAML_GROUPS_ATTRIBUTE = os.environ.get("SAML_GROUPS_ATTRIBUTE", "groups")
try:
    if _saml_apps := saml_apps(os.environ):
        SOCIALACCOUNT_PROVIDERS["saml"] = {"APPS": _saml_apps}
except ValueError as exc:
    raise SystemExit(f"Configuration error: {exc}") from exc
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# The application image collects static files at build time into its own read-only folder (docker/app/Dockerfile).
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT") or VAR_DIR / "staticfiles")
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns on every start without it
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# Email: console in development; SMTP in production through the usual Django variables.
EMAIL_BACKEND = os.environ.get("DJANGO_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "interview-track@localhost")
# Who gets operational alarms (grader drift: graders.gold), by mail_admins; comma-separated addresses.
ADMINS = [(address, address) for address in env_list("DJANGO_ADMINS", "")]
SERVER_EMAIL = os.environ.get("SERVER_EMAIL", DEFAULT_FROM_EMAIL)

SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Behind TLS at a reverse proxy: DJANGO_SSL_REDIRECT sends http to https, DJANGO_HSTS_SECONDS asks browsers to
# use https only (start small; browsers remember it), and the proxy's X-Forwarded-Proto says a request was https.
SECURE_SSL_REDIRECT = env_bool("DJANGO_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", False)
if env_bool("DJANGO_BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Staff sessions: a working day, renewed while used, not two weeks.
SESSION_COOKIE_AGE = int(os.environ.get("DJANGO_SESSION_SECONDS", str(12 * 3600)))
SESSION_SAVE_EVERY_REQUEST = False
# The reverse proxies whose X-Forwarded-For is believed (comma-separated addresses or networks, e.g.
# "10.0.0.0/8,127.0.0.1"): rate limits and the audit trail key on the client address they report. Empty: the
# peer's own address (REMOTE_ADDR), which behind a proxy is the proxy's for every client (docs/deploy.md).
TRUSTED_PROXIES = [p.strip() for p in os.environ.get("TRUSTED_PROXIES", "").split(",") if p.strip()]
try:
    TRUSTED_PROXY_NETWORKS = [ipaddress.ip_network(p, strict=False) for p in TRUSTED_PROXIES]
except ValueError as exc:
    raise SystemExit(f"Configuration error: TRUSTED_PROXIES: {exc}") from exc
# Prometheus (docs/observability.md). /metrics answers clients (the address TRUSTED_PROXIES gives) on loopback or in
# METRICS_ALLOWED_NETS, and any request with `Authorization: Bearer <METRICS_TOKEN>`; anyone else gets a 404. A worker
# host serves its own metrics on WORKER_METRICS_PORT (unset: none), at WORKER_METRICS_ADDR.
METRICS_ALLOWED_NETS = env_list("METRICS_ALLOWED_NETS", "127.0.0.0/8,::1/128,10.0.0.0/8,172.16.0.0/12,192.168.0.0/16")
try:
    METRICS_ALLOWED_NETWORKS = [ipaddress.ip_network(n, strict=False) for n in METRICS_ALLOWED_NETS]
    WORKER_METRICS_PORT = int(os.environ["WORKER_METRICS_PORT"]) if os.environ.get("WORKER_METRICS_PORT") else None
except ValueError as exc:
    raise SystemExit(f"Configuration error: METRICS_ALLOWED_NETS or WORKER_METRICS_PORT: {exc}") from exc
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
WORKER_METRICS_ADDR = os.environ.get("WORKER_METRICS_ADDR", "0.0.0.0")
# Prometheus and the probes (compose, Kubernetes) ask each web container over plain http inside its network: no
# redirect to https for them.
SECURE_REDIRECT_EXEMPT = [r"^metrics$", r"^healthz$", r"^readyz$"]

# Content: data folders, located through settings so a site can keep its own.
CONTENT_EXERCISES_DIR = Path(os.environ.get("CONTENT_EXERCISES_DIR", BASE_DIR / "exercises"))
CONTENT_RUBRICS_DIR = Path(os.environ.get("CONTENT_RUBRICS_DIR", BASE_DIR / "rubrics"))

# Invitation links expire after this many days unless the inviter picks another expiry.
INVITATION_DEFAULT_DAYS = int(os.environ.get("INVITATION_DEFAULT_DAYS", "14"))
# Retention: a candidate's personal data is erased this many days after their attempt was submitted (or their
# invitation expired unused), unless their track has its own RetentionPolicy (Django admin); 0 keeps it forever.
RETENTION_DEFAULT_DAYS = int(os.environ.get("RETENTION_DEFAULT_DAYS", "365"))

# Sandboxes: "docker", "local", or "auto" (docker when an engine answers, else local).
SANDBOX_BACKEND = os.environ.get("SANDBOX_BACKEND", "auto").strip().lower()
if SANDBOX_BACKEND not in {"auto", "docker", "local"}:
    raise SystemExit(f"Configuration error: SANDBOX_BACKEND must be auto, docker or local (got {SANDBOX_BACKEND!r}).")

# Celery. Unset broker: kombu's filesystem transport, so `celery worker` runs with no server.
# A host in the URL keeps kombu from warning "No hostname was supplied" on every connection.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "filesystem://localhost/")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        # Exchange bindings; kombu's default is ./control in whatever directory the process runs.
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
else:
    # Fail fast when the broker is unreachable: the run stays queued in the database and is published later.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 1200, "socket_connect_timeout": 3, "socket_timeout": 10}
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND") or None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_TIME_LIMIT = 15 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 14 * 60
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Every task's queue comes from the task table (assessments/tasking.py), through this router.
CELERY_TASK_ROUTES = ["assessments.tasking.route"]

REST_FRAMEWORK = {
    # Machines use API keys (api/auth.py); staff sessions work too, for the browsable API.
    "DEFAULT_AUTHENTICATION_CLASSES": ["api.auth.APIKeyAuthentication",
                                       "rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_THROTTLE_CLASSES": ["api.auth.KeyRateThrottle"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
API_RATE_LIMIT = os.environ.get("API_RATE_LIMIT", "600/min")  # per API key (per user for staff sessions)
SPECTACULAR_SETTINGS = {
    "TITLE": "Interview Track API",
    "DESCRIPTION": "Drive invitations from a hiring pipeline and read attempts, gradings, scorecards and reports. "
                   "Authenticate with `Authorization: Bearer <API key>`; see the README.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],  # the schema holds no data
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "api.schema.add_error_responses"],
}

# Logs (ops/logs.py): LOG_FORMAT "plain" (a line of text) or "json" (one object a line, for a log pipeline); both
# carry the request's or task's context (request_id, attempt_id, run_id, task) and never candidates' data.
LOG_FORMAT = os.environ.get("LOG_FORMAT", "plain").strip().lower()
if LOG_FORMAT not in {"plain", "json"}:
    raise SystemExit(f"Configuration error: LOG_FORMAT must be plain or json (got {LOG_FORMAT!r}).")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "ops.logs.ContextFilter"}},
    "formatters": {"plain": {"()": "ops.logs.PlainFormatter"}, "json": {"()": "ops.logs.JsonFormatter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["context"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
# Workers log through LOGGING too (one format everywhere, with each task's context), not Celery's own handler.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# Sandbox images: default is the tag docker/sandbox/build.sh produces for its current definition.
SANDBOX_IMAGE = os.environ.get("SANDBOX_IMAGE", "")
SANDBOX_GPU_IMAGE = os.environ.get("SANDBOX_GPU_IMAGE", "")
SANDBOX_DOCKER_RUNTIME = os.environ.get("SANDBOX_DOCKER_RUNTIME", "")  # e.g. "runsc" for gVisor
# GPU labs on an engine without a GPU: "auto" grades them on the CPU and says so, "require" (GPU workers) refuses
# with an error that names the fix, "off" never asks for a GPU (docs/grading.md, "GPU labs").
SANDBOX_GPU = os.environ.get("SANDBOX_GPU", "auto")
# The GPUs this worker's sandboxes may use, one sandbox per GPU at a time (indices or UUIDs, "0,1,2,3"); empty:
# every sandbox gets the engine's first GPU. Leases are lock files in SANDBOX_GPU_LOCK_DIR (default the temp dir),
# shared by the worker's processes (sandboxes/gpu_leases.py).
# (checked at start by graders.backends.sandbox_settings_check: the parser is the sandboxes' own)
SANDBOX_GPU_DEVICES = os.environ.get("SANDBOX_GPU_DEVICES", "")
SANDBOX_GPU_LOCK_DIR = os.environ.get("SANDBOX_GPU_LOCK_DIR", "")
# The local backend's Python (with the labs' packages: ./dev sandbox-env prints it); default the worker's own.
SANDBOX_LOCAL_PYTHON = os.environ.get("SANDBOX_LOCAL_PYTHON", "")
if "visibility_timeout" in CELERY_BROKER_TRANSPORT_OPTIONS:
    # How long an unacknowledged task waits before redelivery after a worker dies (Redis): near the longest job
    # (grade_run's 20-minute limit). A dead worker's runs do not wait for it: their lease runs out first and the
    # reconciler publishes them again.
    CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] = int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", "1200"))
# Pre-started sandbox containers per worker process (each used once), and container removal off
# the result's critical path: both hide Docker latency (bench/grading.py measures them).
SANDBOX_POOL_SIZE = int(os.environ.get("SANDBOX_POOL_SIZE", "0"))
SANDBOX_ASYNC_REMOVE = env_bool("SANDBOX_ASYNC_REMOVE", False)
# A running grading job's lease: its wall time, the host margin, and this grace. A run whose
# worker died is taken over by another delivery once the lease has run out.
GRADING_LEASE_GRACE_S = int(os.environ.get("GRADING_LEASE_GRACE_S", "60"))
# The hand-off to the broker. A publish tries once more at most (a request must not hang on a dead broker);
# the reconciler (every GRADING_RECONCILE_S) publishes again what the broker does not hold: runs never
# published after GRADING_PUBLISH_SETTLE_S, runs of an empty queue, and any run whose last publish is older
# than GRADING_REQUEUE_AFTER_S, doubling with each publish. Claims are fenced, so a duplicate grades nothing twice.
GRADING_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0.2, "interval_step": 0.5, "interval_max": 1}
GRADING_RECONCILE_S = int(os.environ.get("GRADING_RECONCILE_S", "30"))
GRADING_PUBLISH_SETTLE_S = int(os.environ.get("GRADING_PUBLISH_SETTLE_S", "10"))
GRADING_REQUEUE_AFTER_S = int(os.environ.get("GRADING_REQUEUE_AFTER_S", "600"))
# A worker whose job finished but whose database is away keeps the result and retries storing it this long.
GRADING_STORE_PATIENCE_S = int(os.environ.get("GRADING_STORE_PATIENCE_S", "180"))
# Labels this deployment's sandbox containers, so a sweep never touches another's on a shared engine
# (default: a hash of the database the runs are recorded in).
GRADING_DEPLOYMENT_ID = os.environ.get("GRADING_DEPLOYMENT_ID", "")
# "Run visible tests" is a quick check while the candidate waits: its wall limit is at most this (the hidden run
# after submit has the lab's own).
GRADING_VISIBLE_WALL_S = int(os.environ.get("GRADING_VISIBLE_WALL_S", "30"))
# A grading still not stored this long after the attempt was submitted is flagged "overdue" on staff pages.
GRADING_OVERDUE_S = int(os.environ.get("GRADING_OVERDUE_S", "900"))
# Workers record their presence (queues, sandbox state) this often; /readyz wants one seen within three beats.
WORKER_HEARTBEAT_S = int(os.environ.get("WORKER_HEARTBEAT_S", "15"))
# /readyz: false on a web-only deployment whose workers are checked elsewhere (the sandbox check is then shown
# but does not fail readiness).
READYZ_REQUIRE_WORKERS = env_bool("READYZ_REQUIRE_WORKERS", True)

# --- the candidate's exam ------------------------------------------------------------------
# A save that left the browser just before the deadline may land a moment after it: accept it
# for this long. The deadline sweep and the on-read check submit only once the grace is over.
EXAM_SAVE_GRACE_SECONDS = int(os.environ.get("EXAM_SAVE_GRACE_SECONDS", "5"))
EXAM_MAX_INTEGRITY_EVENTS = int(os.environ.get("EXAM_MAX_INTEGRITY_EVENTS", "5000"))
EXAM_MAX_ANSWER_CHARS = int(os.environ.get("EXAM_MAX_ANSWER_CHARS", "200000"))
# Saves per attempt per minute (autosave sends one per pause in typing; the page waits and retries past this).
EXAM_SAVES_PER_MINUTE = int(os.environ.get("EXAM_SAVES_PER_MINUTE", "120"))
# Code snapshots (for reviewers' playback): at most one new row per EXAM_SNAPSHOT_INTERVAL_S per question, and
# no new rows once an attempt's snapshots hold EXAM_SNAPSHOT_MAX_BYTES (the latest state is still kept).
EXAM_SNAPSHOT_INTERVAL_S = int(os.environ.get("EXAM_SNAPSHOT_INTERVAL_S", "10"))
EXAM_SNAPSHOT_MAX_BYTES = int(os.environ.get("EXAM_SNAPSHOT_MAX_BYTES", str(8 * 1024 * 1024)))
# Invitation links: failed token lookups allowed per client address per window before 429.
INVITATION_LOOKUP_FAILURES = int(os.environ.get("INVITATION_LOOKUP_FAILURES", "20"))
INVITATION_LOOKUP_WINDOW_S = int(os.environ.get("INVITATION_LOOKUP_WINDOW_S", "600"))
# "Run visible tests": at most this many runs per attempt and question (one at a time).
EXAM_MAX_VISIBLE_RUNS = int(os.environ.get("EXAM_MAX_VISIBLE_RUNS", "60"))
EXAM_ATTEMPT_SWEEP_S = int(os.environ.get("EXAM_ATTEMPT_SWEEP_S", "30"))
CELERY_BEAT_SCHEDULE = {
    "close-attempts-past-deadline": {"task": "assessments.attempts_close_due", "schedule": EXAM_ATTEMPT_SWEEP_S},
    "reconcile-grading-runs": {"task": "graders.reconcile_runs", "schedule": GRADING_RECONCILE_S},
    "erase-data-past-retention": {"task": "ops.retention_run", "schedule": 24 * 60 * 60},
    "send-due-webhooks": {"task": "api.webhooks_sweep", "schedule": int(os.environ.get("WEBHOOK_SWEEP_S", "30"))},
    "gold-regrade": {"task": "graders.gold_regrade", "schedule": int(os.environ.get("GOLD_REGRADE_S", "3600"))},
    # Report summaries whose refresh task was lost with the broker (a page view recomputes them too).
    "refresh-stale-summaries": {"task": "assessments.refresh_summaries", "schedule": 300},
}
# Webhook deliveries (api/webhooks.py): exponential backoff from the base, capped, up to the try limit (16 tries
# with these defaults span about 14 hours, so a receiver that is down for hours loses nothing).
WEBHOOK_BACKOFF_BASE_S = float(os.environ.get("WEBHOOK_BACKOFF_BASE_S", "30"))
WEBHOOK_BACKOFF_MAX_S = float(os.environ.get("WEBHOOK_BACKOFF_MAX_S", "3600"))
WEBHOOK_MAX_ATTEMPTS = int(os.environ.get("WEBHOOK_MAX_ATTEMPTS", "16"))
WEBHOOK_TIMEOUT_S = float(os.environ.get("WEBHOOK_TIMEOUT_S", "10"))
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# The rate limiter's counters live in the cache: Redis in production (shared by every web
# process), process memory by default.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
if os.environ.get("CACHE_URL"):
    # Short timeouts: an unreachable cache must cost a request a second at most (the limiter then lets it by).
    CACHES["default"] = {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                         "LOCATION": os.environ["CACHE_URL"],
                         "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1}}
# Sessions (staff sign-ins; candidates have none) are read through the cache when it is shared by every web process
# (Redis), and still written to the database, so a cache flush or restart signs nobody out. With the per-process
# default cache they stay in the database alone: a process-local copy would outlive a sign-out made in another one.
SESSION_ENGINE = ("django.contrib.sessions.backends.cached_db" if os.environ.get("CACHE_URL")
                  else "django.contrib.sessions.backends.db")

# Content-Security-Policy: no inline script or style anywhere; htmx, CodeMirror and our own
# code are files under /static/.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
