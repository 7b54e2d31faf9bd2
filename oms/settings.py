"""Settings for oms.

With no environment at all this is the embedded developer setup: this checkout's own PostgreSQL
and Redis (Valkey) servers, started from their PyPI wheels with their data under var/ (see
oms/embedded.py), and console e-mail, so `make run` works on a fresh laptop.
`DJANGO_ENV=production` switches on the hardening that `manage.py check --deploy` expects and
refuses to start without a real SECRET_KEY and ALLOWED_HOSTS.
"""

from __future__ import annotations

from ipaddress import ip_network
from pathlib import Path
from urllib.parse import urlparse

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from oms.env import broker_url_for, env_bool, env_choice, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("OMS_VAR_DIR", str(BASE_DIR / "var")))

DJANGO_ENV = env_choice("DJANGO_ENV", "development", ("development", "test", "production"))
PRODUCTION = DJANGO_ENV == "production"

_DEV_SECRET_KEY = "dev-insecure-oms-key-do-not-use-in-production"  # noqa: S105 (refused in production)
SECRET_KEY = env_str("SECRET_KEY") or ""
if PRODUCTION:
    if not SECRET_KEY or SECRET_KEY == _DEV_SECRET_KEY or len(SECRET_KEY) < 50:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set to a random value of at least 50 characters when "
            "DJANGO_ENV=production (python -c 'import secrets; print(secrets.token_urlsafe(64))')."
        )
elif not SECRET_KEY:
    SECRET_KEY = _DEV_SECRET_KEY

DEBUG = env_bool("DEBUG", default=not PRODUCTION)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DEBUG must be off when DJANGO_ENV=production.")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [] if PRODUCTION else ["localhost", "127.0.0.1", "[::1]", "testserver"])
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must list the site's host names when DJANGO_ENV=production.")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
for _origin in CSRF_TRUSTED_ORIGINS:
    if urlparse(_origin).scheme not in ("http", "https"):
        raise ImproperlyConfigured(
            f"CSRF_TRUSTED_ORIGINS entries must start with http:// or https://, got {_origin!r}."
        )


def _served_url() -> str:
    """http://HOST:PORT as `make run` serves it (its HOST / PORT), so that customer links in a demo
    started with `make run PORT=8123` open on port 8123. A wildcard bind address is reached on
    127.0.0.1."""
    host = env_str("HOST") or "127.0.0.1"
    if host in {"0.0.0.0", "::", "[::]"}:  # noqa: S104 - a bind address read, not one bound here
        host = "127.0.0.1"
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    port = env_int("PORT", 8000, minimum=1)
    if port > 65535:
        raise ImproperlyConfigured(f"PORT must be a TCP port (1-65535), got {port}.")
    return f"http://{host}:{port}"


# The public base URL of customer links; unset, the address the development server is started on.
SITE_URL = (env_str("SITE_URL") or _served_url()).rstrip("/")
if urlparse(SITE_URL).scheme not in ("http", "https"):
    raise ImproperlyConfigured(f"SITE_URL must be an http(s) URL, got {SITE_URL!r}.")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "csp",
    "axes",
    "core",
    "channels",
    "catalog",
    "orders",
    "payments",
    "shipping",
    "notifications",
    "aftersales",
    "customers",
    "marketplaces",
    "analytics",
    "sop",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before CSRF reads a form: upload limits, NUL in query strings and forms, 503 for a gone backend.
    "core.middleware.RequestGuardMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, so a locked-out login is answered before any view runs.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "oms.urls"
WSGI_APPLICATION = "oms.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "core.context_processors.navigation",
            ],
        },
    },
]

# --- Database, cache and broker -------------------------------------------------------------
# PostgreSQL and Redis are the only engines. With DATABASE_URL / REDIS_URL unset (a fresh laptop,
# `make run`, `make test`), this checkout's embedded servers are started from their wheels and
# used over Unix sockets (oms/embedded.py); production and CI set both URLs.
DATABASE_URL = env_str("DATABASE_URL") or ""
REDIS_URL = env_str("REDIS_URL") or ""
if REDIS_URL and urlparse(REDIS_URL).scheme not in ("redis", "rediss", "unix"):
    raise ImproperlyConfigured(f"REDIS_URL must start with redis://, rediss:// or unix://, got {REDIS_URL!r}.")
if DATABASE_URL:
    try:
        _db = dj_database_url.parse(DATABASE_URL)
    except ValueError as exc:
        raise ImproperlyConfigured(f"DATABASE_URL is not a valid database URL: {exc}") from None
    if _db["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured(f"DATABASE_URL must point at PostgreSQL (postgres://...), got {_db['ENGINE']}.")
EMBEDDED_SERVERS = not (DATABASE_URL and REDIS_URL)
if EMBEDDED_SERVERS:
    if PRODUCTION:
        raise ImproperlyConfigured("DATABASE_URL and REDIS_URL must be set when DJANGO_ENV=production.")
    from oms import embedded

    _embedded = embedded.ensure_running(VAR_DIR)
    if not DATABASE_URL:
        _db = embedded.database_settings(_embedded)
    if not REDIS_URL:
        REDIS_URL = embedded.redis_url(_embedded)
if env_bool("DATABASE_POOL", default=True):
    # psycopg 3's pool keeps warm connections per process; it needs CONN_MAX_AGE=0.
    _db["CONN_MAX_AGE"] = 0
    _db.setdefault("OPTIONS", {})["pool"] = {
        "min_size": env_int("DATABASE_POOL_MIN", 1, minimum=0),
        "max_size": env_int("DATABASE_POOL_MAX", 10, minimum=1),
        # Seconds a request waits for a connection: with the database unreachable, requests are
        # answered 503 after this (core.middleware), instead of hanging.
        "timeout": env_int("DATABASE_POOL_TIMEOUT", 3, minimum=1),
    }
# Seconds to establish a new connection (pooled or not).
_db.setdefault("OPTIONS", {}).setdefault("connect_timeout", env_int("DATABASE_CONNECT_TIMEOUT", 3, minimum=1))
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        # With Redis unreachable a request fails over (or answers 503) in about a second, not a minute.
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 2},
    }
}
CELERY_BROKER_URL = broker_url_for(REDIS_URL)
CELERY_BROKER_TRANSPORT_OPTIONS: dict = {
    # Longer than any task may run, so a slow task is not handed to a second worker.
    "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3 * 3600, minimum=60),
}
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "Asia/Jakarta"
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_TIME_LIMIT = 30 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 25 * 60
# Each app adds its periodic jobs here (key: "<app>.<job>"), so one schedule lists them all.
CELERY_BEAT_SCHEDULE: dict = {
    "core.purge_old_task_failures": {"task": "core.tasks.task_failures_purge", "schedule": 24 * 3600},
    "core.purge_rejected_deliveries": {"task": "core.tasks.inbound_deliveries_purge", "schedule": 3600},
    "channels.sync_all": {"task": "channels.tasks.channels_sync_all", "schedule": 5 * 60},
    "channels.sweep_deliveries": {"task": "channels.tasks.deliveries_sweep", "schedule": 30},
    "catalog.stock_push_flush": {"task": "catalog.tasks.stock_push_flush", "schedule": 60},
    "orders.expire_unpaid": {"task": "orders.tasks.orders_expire_sweep", "schedule": 5 * 60},
    "orders.purge_idempotency_keys": {"task": "orders.tasks.idempotency_keys_purge", "schedule": 24 * 3600},
    "payments.expire_overdue": {"task": "payments.tasks.expire_unpaid_orders_task", "schedule": 5 * 60},
    "payments.sweep_deliveries": {"task": "payments.tasks.gateway_deliveries_sweep_task", "schedule": 30},
}
# Analytics: dirty rollup keys every 15 s (a changed order shows in the reports within a minute),
# the customer model (RFM, CLTV, cohorts) every night, the SOP summary to the owner every Monday.
CELERY_BEAT_SCHEDULE["analytics.rollup_refresh"] = {"task": "analytics.tasks.rollup_refresh_task", "schedule": 15}
CELERY_BEAT_SCHEDULE["analytics.customer_model"] = {"task": "analytics.tasks.customer_model_fit_task",
                                                    "schedule": crontab(hour=2, minute=30)}
# SOP compliance: the stored compliance items take in what changed every 30 s (and, after a deploy or
# a changed target, rebuild in the worker rather than in the first page view that asks).
CELERY_BEAT_SCHEDULE["sop.compliance_refresh"] = {"task": "sop.tasks.compliance_refresh_task", "schedule": 30}
CELERY_BEAT_SCHEDULE["sop.weekly_summary"] = {"task": "sop.tasks.weekly_summary_task",
                                              "schedule": crontab(day_of_week=1, hour=7, minute=0)}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# --- Auth -----------------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard:home"
LOGOUT_REDIRECT_URL = "login"

AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = env_int("LOGIN_COOLOFF_MINUTES", 15, minimum=1) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "id"
# Language names stay in their own language in the switcher.
LANGUAGES = [("id", "Bahasa Indonesia"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Jakarta"
# One date shape in both languages ("3 Des 2026" / "3 Dec 2026"); money and numbers: core.formatting.
FORMAT_MODULE_PATH = ["oms.formats"]
USE_I18N = True
USE_TZ = True
CURRENCY = "IDR"

# --- Static and media -----------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = DEBUG
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# Largest upload a view takes unless it sets its own with core.middleware.upload_limit.
UPLOAD_MAX_BYTES = env_int("UPLOAD_MAX_BYTES", 10 * 1024 * 1024, minimum=1024)
# Uploads under MEDIA_ROOT that /media/ serves (core.files.media); proofs and statements are private.
MEDIA_PUBLIC_PREFIXES = ("products/",)
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 10 * 1024 * 1024, minimum=1024)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# --- E-mail ---------------------------------------------------------------------------------
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    (
        "django.core.mail.backends.smtp.EmailBackend"
        if env_str("EMAIL_HOST")
        else "django.core.mail.backends.console.EmailBackend"
    ),
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 587, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=True)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "OMS <noreply@localhost>")
if PRODUCTION and EMAIL_BACKEND.rsplit(".", 2)[-2:-1] in (["console"], ["locmem"], ["dummy"]):
    # The console backend would write every customer e-mail, with its secret order link, into the log.
    raise ImproperlyConfigured(
        "Set EMAIL_HOST (and EMAIL_HOST_USER / EMAIL_HOST_PASSWORD) or EMAIL_BACKEND when DJANGO_ENV=production: "
        "without it e-mails to customers, with their private order links, would go to the log."
    )
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Payments and orders ------------------------------------------------------------------
# Hours a customer has to pay an order by bank transfer or gateway before it expires.
PAYMENT_WINDOW_HOURS = env_int("PAYMENT_WINDOW_HOURS", 24, minimum=1)
ORDER_PAYMENT_WINDOW_HOURS = PAYMENTS_BANK_TRANSFER_WINDOW_HOURS = PAYMENT_WINDOW_HOURS
MIDTRANS_SERVER_KEY = env_str("MIDTRANS_SERVER_KEY", "") or ""
XENDIT_CALLBACK_TOKEN = env_str("XENDIT_CALLBACK_TOKEN", "") or ""
PAYMENTS_GATEWAY = env_choice("PAYMENTS_GATEWAY", "midtrans", ("midtrans", "xendit"))
PAYMENTS_UNSETTLED_AFTER_DAYS = env_int("PAYMENTS_UNSETTLED_AFTER_DAYS", 14, minimum=1)
PAYMENTS_PROOF_MAX_BYTES = env_int("PAYMENTS_PROOF_MAX_BYTES", 5 * 1024 * 1024, minimum=1024)
PAYMENTS_STATEMENT_MAX_BYTES = env_int("PAYMENTS_STATEMENT_MAX_BYTES", 50 * 1024 * 1024, minimum=1024)
# Failed order-status look-ups per IP before /track/ answers 429, and the window they count in.
TRACK_FAILURE_LIMIT = env_int("TRACK_FAILURE_LIMIT", 10, minimum=1)
TRACK_FAILURE_WINDOW_SECONDS = env_int("TRACK_FAILURE_WINDOW_SECONDS", 15 * 60, minimum=60)
# Addresses (or networks, e.g. 10.0.0.0/8) of the reverse proxies in front of the app: only a
# request from one of them has its client taken from X-Forwarded-For (core.ratelimit.client_ip).
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", [])
# Days rejected and duplicate webhook deliveries are kept (processed and failed ones are kept for
# bookkeeping); core.tasks.inbound_deliveries_purge runs hourly.
INBOX_REJECTED_RETENTION_DAYS = env_int("INBOX_REJECTED_RETENTION_DAYS", 14, minimum=1)
for _proxy in TRUSTED_PROXIES:
    try:
        ip_network(_proxy, strict=False)
    except ValueError:
        raise ImproperlyConfigured(
            f"TRUSTED_PROXIES entries must be IP addresses or networks, got {_proxy!r}."
        ) from None

# --- Shipping ----------------------------------------------------------------------------------
CELERY_BEAT_SCHEDULE.update({
    "shipping.tracking_poll": {"task": "shipping.tasks.tracking_poll_task", "schedule": 30 * 60},
    "shipping.sweep_deliveries": {"task": "shipping.tasks.shipping_deliveries_sweep_task", "schedule": 60},
    "shipping.mirror_sweep": {"task": "shipping.tasks.shipments_mirror_sweep_task", "schedule": 10 * 60},
    "shipping.complete_delivered": {"task": "shipping.tasks.orders_complete_sweep_task", "schedule": 3600},
    "shipping.alerts": {"task": "shipping.tasks.shipping_alerts_task", "schedule": 15 * 60},
})

# --- After-sales and customers -------------------------------------------------------------
# Customers' photos (complaints, returns, reviews): outside MEDIA_ROOT, downloaded through a view only.
AFTERSALES_UPLOAD_ROOT = Path(env_str("AFTERSALES_UPLOAD_ROOT", str(VAR_DIR / "private" / "aftersales")))
AFTERSALES_PHOTO_MAX_BYTES = env_int("AFTERSALES_PHOTO_MAX_BYTES", 8 * 1024 * 1024, minimum=1024)
AFTERSALES_PHOTOS_PER_CASE = env_int("AFTERSALES_PHOTOS_PER_CASE", 10, minimum=1)
# Customer actions on the order status page (complaint, return, review, survey, upload) per IP and hour.
AFTERSALES_CUSTOMER_ACTIONS_PER_HOUR = env_int("AFTERSALES_CUSTOMER_ACTIONS_PER_HOUR", 30, minimum=1)
# Campaign messages per second and channel: the provider's rate limit.
CAMPAIGN_RATE_PER_SECOND = {
    "whatsapp": env_int("NOTIFY_WHATSAPP_RATE_PER_SECOND", 20, minimum=1),
    "email": env_int("NOTIFY_EMAIL_RATE_PER_SECOND", 10, minimum=1),
    "sms": env_int("NOTIFY_SMS_RATE_PER_SECOND", 10, minimum=1),
}
CELERY_BEAT_SCHEDULE["aftersales.marketplace_intake"] = {
    "task": "aftersales.tasks.marketplace_returns_intake_task", "schedule": 120,
}
CELERY_BEAT_SCHEDULE["aftersales.nps"] = {"task": "aftersales.tasks.nps_invitations_task", "schedule": 24 * 3600}
CELERY_BEAT_SCHEDULE["aftersales.escalate"] = {"task": "aftersales.tasks.cases_escalate_task", "schedule": 300}
AFTERSALES_ESCALATE_ADMIN_AFTER_MINUTES = env_int("AFTERSALES_ESCALATE_ADMIN_AFTER_MINUTES", 120, minimum=1)
CELERY_BEAT_SCHEDULE["customers.loyalty_expire"] = {"task": "customers.tasks.points_expire_task", "schedule": 6 * 3600}
CELERY_BEAT_SCHEDULE["customers.campaign_sender"] = {"task": "customers.tasks.campaigns_wake_task", "schedule": 60}

# --- Customer notifications (notifications app) ---------------------------------------------
# Providers per channel: "email" (Django mail), "console", "file" (JSON lines in NOTIFY_FILE_DIR),
# "http" (JSON POST with a bearer token to NOTIFY_<CHANNEL>_URL), or a dotted Provider class path.
NOTIFY_SHOP_NAME = env_str("NOTIFY_SHOP_NAME", "oms") or "oms"
NOTIFY_CHANNELS = env_list("NOTIFY_CHANNELS", ["email", "whatsapp"])
if set(NOTIFY_CHANNELS) - {"email", "whatsapp", "sms"}:
    raise ImproperlyConfigured(f"NOTIFY_CHANNELS may list email, whatsapp and sms only, got {NOTIFY_CHANNELS!r}.")
NOTIFY_EMAIL_PROVIDER = env_str("NOTIFY_EMAIL_PROVIDER", "email") or "email"
NOTIFY_WHATSAPP_PROVIDER = env_str("NOTIFY_WHATSAPP_PROVIDER", "file") or "file"
NOTIFY_SMS_PROVIDER = env_str("NOTIFY_SMS_PROVIDER", "file") or "file"
if PRODUCTION and "console" in (NOTIFY_EMAIL_PROVIDER, NOTIFY_WHATSAPP_PROVIDER, NOTIFY_SMS_PROVIDER):
    raise ImproperlyConfigured(
        "The console notification provider writes customers' messages, with their private order links, into "
        "the log: choose email, http or file for NOTIFY_*_PROVIDER when DJANGO_ENV=production."
    )
NOTIFY_WHATSAPP_URL = env_str("NOTIFY_WHATSAPP_URL", "") or ""
NOTIFY_WHATSAPP_TOKEN = env_str("NOTIFY_WHATSAPP_TOKEN", "") or ""
NOTIFY_SMS_URL = env_str("NOTIFY_SMS_URL", "") or ""
NOTIFY_SMS_TOKEN = env_str("NOTIFY_SMS_TOKEN", "") or ""
for _channel, _provider, _url in (
    ("WHATSAPP", NOTIFY_WHATSAPP_PROVIDER, NOTIFY_WHATSAPP_URL), ("SMS", NOTIFY_SMS_PROVIDER, NOTIFY_SMS_URL)
):
    if _provider == "http" and urlparse(_url).scheme not in ("http", "https"):
        raise ImproperlyConfigured(
            f"NOTIFY_{_channel}_URL must be an http(s) URL when NOTIFY_{_channel}_PROVIDER=http."
        )
NOTIFY_HTTP_TIMEOUT = env_int("NOTIFY_HTTP_TIMEOUT", 10, minimum=1)
NOTIFY_FILE_DIR = Path(
    env_str("NOTIFY_FILE_DIR", str(VAR_DIR / ("test-notifications" if DJANGO_ENV == "test" else "notifications")))
)
# Marketplaces message their own buyers and mask their contacts; off by default.
NOTIFY_MARKETPLACE_ORDERS = env_bool("NOTIFY_MARKETPLACE_ORDERS", default=False)
CELERY_BEAT_SCHEDULE["notifications.sweep"] = {"task": "notifications.tasks.notification_sweep_task", "schedule": 300}
# Remind unpaid customers this many hours before the payment deadline (0 switches reminders off).
NOTIFY_PAYMENT_REMINDER_HOURS = env_int("NOTIFY_PAYMENT_REMINDER_HOURS", 6, minimum=0)
CELERY_BEAT_SCHEDULE["notifications.payment_reminders"] = {
    "task": "notifications.tasks.notification_payment_reminders_task", "schedule": 900,
}

# --- REST API -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # DRF's token authentication, with the token's user and permissions cached.
        "core.authentication.CachedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["core.permissions.IsStaffMember"],
    "DEFAULT_PARSER_CLASSES": [
        "core.drf.JSONParser",  # DRF's, refusing JSON too deep or with NUL / lone surrogates (400)
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "core.api.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "core.drf.FilterBackend",  # django-filter's, refusing a filter given empty (400)
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    "DEFAULT_THROTTLE_RATES": {"tracking": "20/min"},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "oms API",
    "DESCRIPTION": "Order management for Indonesian online sellers: catalog, stock, orders, payments.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Several models have a choice field named "kind"; name each enum after its model.
    "ENUM_NAME_OVERRIDES": {
        "ChannelKindEnum": "channels.models.Channel.Kind",
        "RefundKindEnum": "payments.models.Refund.Kind",
        "CaseCategoryEnum": "aftersales.models.CaseCategory",
        "ReturnOutcomeEnum": "aftersales.models.ReturnOutcome",
    },
    # The schema and its docs page are for staff (API_SCHEMA_PUBLIC=1 publishes them).
    "SERVE_PERMISSIONS": (
        ["rest_framework.permissions.AllowAny"] if env_bool("API_SCHEMA_PUBLIC", default=False)
        else ["core.permissions.IsStaffMember"]
    ),
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.api.document_error_responses",
    ],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Secrets at rest ------------------------------------------------------------------------
# Fernet keys (comma separated, newest first) that encrypt provider credentials in the
# database. Without one, a key is derived from SECRET_KEY so development needs no setup.
FIELD_ENCRYPTION_KEYS = env_list("FIELD_ENCRYPTION_KEYS", [])

# --- Security -------------------------------------------------------------------------------
# Content-Security-Policy (django-csp): scripts, styles, fonts and images from this site only (the
# vendored Bootstrap, htmx and Chart.js are served locally), no inline script or style, no
# plugins, no framing. Stored files set a stricter sandbox policy of their own (core.files).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    # /healthz is probed over plain HTTP by the container runtime.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=True)

LOG_LEVEL = env_choice("LOG_LEVEL", "info", ("debug", "info", "warning", "error")).upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"axes": {"level": "WARNING"}},
}
