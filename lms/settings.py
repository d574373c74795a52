"""Peer Pathways settings.

Every setting that differs between a laptop and production is read here, once, from an
environment variable with a default that works on a laptop. A malformed value stops start-up with
a message that names the variable (see `lms.env`).
"""

import importlib.util
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from lms.env import env_bool, env_int, env_list, env_str, secret_key_problem

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", True)

SECRET_KEY = env_str("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DEBUG is off. Generate one with: "
            "python -c 'import secrets; print(secrets.token_urlsafe(50))'"
        )
    SECRET_KEY = "django-insecure-laptop-only-key-never-use-in-production"  # noqa: S105
if not DEBUG and (problem := secret_key_problem(SECRET_KEY)):
    # Sessions, password reset links and invitation links are all signed with this key.
    raise ImproperlyConfigured(
        f"SECRET_KEY is too weak: {problem}. Generate one with: "
        "python -c 'import secrets; print(secrets.token_urlsafe(50))'"
    )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    # Our apps first so that their templates can override Wagtail's.
    "lms",
    "courses",
    "pathways",
    "mentoring",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.embeds",
    "wagtail.sites",
    "lms.apps.UsersAppConfig",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_filters",
    "django_q",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # Counts failed sign-ins and pauses signing in (lms.signin).
    "axes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Frame denial and the CSP sit outside WhiteNoise so that static files carry them too.
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "lms.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Refuses an oversized body before CsrfViewMiddleware reads the form.
    "lms.uploads.RequestBodyLimitMiddleware",
    # Then a 400 for NUL bytes and lone surrogates, and a 404 for ids too large for any table,
    # before any view (or the CSRF check) reads the form.
    "lms.bad_input.BadInputMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "lms.middleware.NoStoreForSignedInMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Marks a session verified by a second factor (request.user.is_verified()); then sends
    # anyone who must use two factors, or has them, to set-up or to sign in again.
    "django_otp.middleware.OTPMiddleware",
    "lms.two_factor.middleware.TwoFactorMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    # Idle and absolute session limits, and "sign out everywhere" (lms.sessions). After
    # MessageMiddleware so that it can say why someone was signed out.
    "lms.sessions.SessionLimitsMiddleware",
    # Last, as django-axes asks: turns a paused sign-in into our sign-in page with the reason.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "lms.urls"
WSGI_APPLICATION = "lms.wsgi.application"
AUTH_USER_MODEL = "lms.User"
AUTHENTICATION_BACKENDS = [
    # First, so that a paused account or address is refused before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "lms.backends.RoleBackend",
]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LOGIN_URL = "lms:login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "lms.context_processors.navigation",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------------
# SQLite is the embedded default: WAL lets readers work while one writer writes, IMMEDIATE
# transactions take the write lock up front (no "database is locked" upgrades mid-transaction),
# and the busy timeout makes a second writer wait instead of failing.
SQLITE_PATH = BASE_DIR / "db.sqlite3"
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{SQLITE_PATH}")
# Persistent connections (DB_CONN_MAX_AGE seconds) are checked before each request reuses them,
# so a connection the database or a pooler closed is replaced instead of failing a page.
DB_CONN_MAX_AGE = env_int("DB_CONN_MAX_AGE", 0)


def _parse_database(name: str, url: str) -> dict:
    try:
        return dj_database_url.parse(url, conn_max_age=DB_CONN_MAX_AGE, conn_health_checks=True)
    except (ValueError, KeyError) as error:
        raise ImproperlyConfigured(f"{name} is not a database URL we understand: {error}") from None


_database = _parse_database("DATABASE_URL", DATABASE_URL)
if _database["ENGINE"] == "django.db.backends.sqlite3":
    _database["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000;"
        ),
    }
DATABASES = {"default": _database}

# An optional read replica for reports (lms.routers): the views named here read from it, and
# nothing writes to it. Tests run it as a mirror of the test database.
REPORTS_DATABASE_URL = env_str("REPORTS_DATABASE_URL", "")
REPORT_VIEWS = ["pathways:readiness", "courses:learner-records"]
if REPORTS_DATABASE_URL:
    DATABASES["reports"] = {
        **_parse_database("REPORTS_DATABASE_URL", REPORTS_DATABASE_URL),
        "TEST": {"MIRROR": "default"},
    }
    DATABASE_ROUTERS = ["lms.routers.ReportsReplicaRouter"]
    # After everything that reads the session and the person, which must come from the primary;
    # django-axes stays last.
    MIDDLEWARE.insert(
        MIDDLEWARE.index("axes.middleware.AxesMiddleware"), "lms.routers.ReportsReplicaMiddleware"
    )

# --- Cache ------------------------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL", "")
if REDIS_URL:
    # Fails open (lms.cache): with Redis down, reads miss and writes are dropped with a warning,
    # and pages still serve. Short timeouts so that an unreachable Redis never holds a request.
    CACHES = {
        "default": {
            "BACKEND": "lms.cache.FailOpenRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
else:
    # Per-process memory: nothing in the code relies on the cache being shared between processes.
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Background tasks (django-q2) -------------------------------------------------------------
# The ORM broker is the default: it keeps a receipt for every task until a worker acknowledges
# it, so a task whose worker dies is handed out again after `retry` seconds.
TASK_BROKER = env_str("TASK_BROKER", "orm")
if TASK_BROKER not in {"orm", "redis"}:
    raise ImproperlyConfigured("TASK_BROKER must be 'orm' or 'redis'.")
if TASK_BROKER == "redis" and not REDIS_URL:
    raise ImproperlyConfigured("TASK_BROKER=redis needs REDIS_URL to be set.")
TASK_TIMEOUT_SECONDS = env_int("TASK_TIMEOUT_SECONDS", 120)
TASK_RETRY_SECONDS = env_int("TASK_RETRY_SECONDS", 180)
if TASK_RETRY_SECONDS <= TASK_TIMEOUT_SECONDS:
    raise ImproperlyConfigured("TASK_RETRY_SECONDS must be more than TASK_TIMEOUT_SECONDS.")
# The outbox (lms.queue): every task is first a row written with the change that asked for it.
# The relay hands over a row still pending after the grace period (the broker was down when it
# was queued), and again one handed over but not finished after the timeout and the broker's own
# retry have both passed (the broker lost it, or a changed SECRET_KEY made it unreadable); it
# gives up, loudly, after TASK_MAX_HANDOVERS.
TASK_RELAY_GRACE_SECONDS = env_int("TASK_RELAY_GRACE_SECONDS", 30)
TASK_RESEND_AFTER_SECONDS = TASK_TIMEOUT_SECONDS + TASK_RETRY_SECONDS
TASK_MAX_HANDOVERS = 5
# A claimed side effect not done after this long is reported by the nightly check.
TASK_STALE_CLAIM_SECONDS = TASK_RESEND_AFTER_SECONDS
Q_CLUSTER = {
    "name": "peer-pathways",
    "workers": env_int("TASK_WORKERS", 2),
    "timeout": TASK_TIMEOUT_SECONDS,  # a task running longer than this is killed ...
    "retry": TASK_RETRY_SECONDS,  # ... and handed out again after this (must exceed timeout)
    "max_attempts": 5,
    "ack_failures": True,
    "save_limit": 500,
    "catch_up": False,
    "label": "Background tasks",
}
if TASK_BROKER == "orm":
    Q_CLUSTER["orm"] = "default"
else:
    # Queueing happens in the request: an unreachable Redis fails fast, and the task waits in
    # the outbox (lms.queue) instead of the request waiting for the network.
    Q_CLUSTER["redis"] = REDIS_URL + (
        ""
        if "socket_connect_timeout" in REDIS_URL
        else ("&" if "?" in REDIS_URL else "?") + "socket_connect_timeout=2"
    )

# --- Email ------------------------------------------------------------------------------------
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Peer Pathways <no-reply@peerpathways.example>")

# --- Accounts ---------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
INVITATION_VALID_DAYS = env_int("INVITATION_VALID_DAYS", 7)
# Days between an org admin asking to erase a person and the erasure, during which it can be
# cancelled (docs/privacy.md, "Erasure").
ERASURE_GRACE_DAYS = env_int("ERASURE_GRACE_DAYS", 14)
# How long records past their use are kept before the daily retention task removes them
# (docs/privacy.md, "How long records are kept").
INVITATION_RETENTION_DAYS = env_int("INVITATION_RETENTION_DAYS", 90)
MENTOR_REQUEST_RETENTION_DAYS = env_int("MENTOR_REQUEST_RETENTION_DAYS", 365)
PAUSE_NOTE_RETENTION_DAYS = env_int("PAUSE_NOTE_RETENTION_DAYS", 180)
TASK_RESULT_RETENTION_DAYS = env_int("TASK_RESULT_RETENTION_DAYS", 30)
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24  # one day
# How long a person's "Download my data" zip can be downloaded once it is ready.
DATA_EXPORT_VALID_DAYS = env_int("DATA_EXPORT_VALID_DAYS", 7)
# How long a spreadsheet staff asked for (lms.report_exports) can be downloaded once made.
REPORT_EXPORT_VALID_HOURS = env_int("REPORT_EXPORT_VALID_HOURS", 24)
# Two-factor sign-in (lms.two_factor). Superusers and editors (Wagtail admin access through
# their groups) must use it wherever DEBUG is off; on a laptop it is optional.
TWO_FACTOR_REQUIRED_FOR_ADMINS = env_bool("TWO_FACTOR_REQUIRED_FOR_ADMINS", not DEBUG)
TWO_FACTOR_CODE_STEP_SECONDS = 5 * 60  # time to enter the code after the password
TWO_FACTOR_MAX_ATTEMPTS = 5  # wrong codes before the password is asked again
TWO_FACTOR_RECOVERY_CODES = 10
OTP_TOTP_ISSUER = "Peer Pathways"  # the name authenticator apps show

# --- Sign-in protection (django-axes and lms.throttle) ------------------------------------------
# Failures are counted per account and, separately, per address; either reaching the limit
# pauses signing in for the cool-off. See docs/security.md.
SIGNIN_FAILURE_LIMIT = env_int("SIGNIN_FAILURE_LIMIT", 10)
SIGNIN_COOLOFF_MINUTES = env_int("SIGNIN_COOLOFF_MINUTES", 30)
AXES_FAILURE_LIMIT = SIGNIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(minutes=SIGNIN_COOLOFF_MINUTES)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_FORM_FIELD = "username"  # our LoginForm's field (it holds the email address)
AXES_USERNAME_CALLABLE = "lms.signin.attempted_email"
AXES_CLIENT_IP_CALLABLE = "lms.signin.client_ip"
AXES_LOCKOUT_CALLABLE = "lms.signin.lockout_response"
# Keep as little as possible: no log of every successful sign-in, no copy of what was typed,
# nothing in the Django admin, and no email addresses in the application log.
AXES_DISABLE_ACCESS_LOG = True
AXES_ENABLE_ADMIN = False
AXES_VERBOSE = False
AXES_SENSITIVE_PARAMETERS = ["username", "password", "ip_address", "csrfmiddlewaretoken"]
# Behind N reverse proxies, the client address is the Nth entry from the right of
# X-Forwarded-For (each proxy appends the address it saw). 0 means "use the connection address".
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
# Password reset emails and invitation sign-ups, counted in lms.throttle (database rows, so the
# limits hold across processes and machines).
PASSWORD_RESET_PER_ADDRESS_PER_HOUR = env_int("PASSWORD_RESET_PER_ADDRESS_PER_HOUR", 3)
PASSWORD_RESET_PER_IP_PER_HOUR = env_int("PASSWORD_RESET_PER_IP_PER_HOUR", 20)
# One reset email per account in this many minutes, however often the form is sent (a repeat
# lands on the same "check your email" page).
PASSWORD_RESET_ACCOUNT_GAP_MINUTES = env_int("PASSWORD_RESET_ACCOUNT_GAP_MINUTES", 5)
# A form's one-time submission token (lms.submissions) is remembered this long.
SUBMISSION_TOKEN_HOURS = 24
INVITATION_ATTEMPTS_PER_HOUR = env_int("INVITATION_ATTEMPTS_PER_HOUR", 10)
PAGE_PASSWORD_ATTEMPTS_PER_IP_PER_HOUR = env_int("PAGE_PASSWORD_ATTEMPTS_PER_IP_PER_HOUR", 10)

# --- Sessions (lms.sessions) --------------------------------------------------------------------
SESSION_IDLE_MINUTES = env_int("SESSION_IDLE_MINUTES", 30)
SESSION_MAX_HOURS = env_int("SESSION_MAX_HOURS", 12)
# The cookie lasts no longer than a session may; the middleware enforces both limits.
SESSION_COOKIE_AGE = SESSION_MAX_HOURS * 60 * 60

# --- Internationalisation ---------------------------------------------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = env_str("TIME_ZONE", "Europe/London")
USE_I18N = True
USE_TZ = True

# --- Static and media files -------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))
# Files that only permission-checked views may serve (evidence, certificates) live outside
# MEDIA_ROOT so that no web server can hand them out by URL.
PRIVATE_MEDIA_ROOT = Path(env_str("PRIVATE_MEDIA_ROOT", str(BASE_DIR / "private_media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {
            "location": PRIVATE_MEDIA_ROOT,
            "base_url": None,
            # Readable by the app's own user only.
            "file_permissions_mode": 0o600,
            "directory_permissions_mode": 0o700,
        },
    },
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Media on S3-compatible object storage (django-storages, `pip install -e ".[s3]"`), so that web
# nodes keep no files of their own. Nothing in the bucket is public: public media (images) gets
# signed URLs that expire, and private files (evidence, certificates, data exports) still leave
# only through the permission-checked views, which stream them from the bucket (lms.uploads).
# Credentials come from boto3's own chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, or the
# machine's role). See docs/deploy.md.
MEDIA_S3_BUCKET = env_str("MEDIA_S3_BUCKET", "")
if MEDIA_S3_BUCKET:
    if importlib.util.find_spec("storages") is None:
        raise ImproperlyConfigured(
            'MEDIA_S3_BUCKET is set but django-storages is not installed: pip install -e ".[s3]"'
        )
    _s3 = {
        "bucket_name": MEDIA_S3_BUCKET,
        "endpoint_url": env_str("MEDIA_S3_ENDPOINT_URL", "") or None,
        "region_name": env_str("MEDIA_S3_REGION", "") or None,
        "signature_version": "s3v4",  # what every S3-compatible store accepts today
        "default_acl": None,  # the bucket's own: private
        "querystring_auth": True,
        "file_overwrite": False,  # two uploads with one name keep both files
    }
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            **_s3,
            "location": "media",
            "querystring_expire": env_int("MEDIA_S3_URL_EXPIRY_SECONDS", 3600),
        },
    }
    STORAGES["private"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        # Served only through the app; a URL, were one ever made, would last a minute.
        "OPTIONS": {**_s3, "location": "private", "querystring_expire": 60},
    }

# --- Wagtail ----------------------------------------------------------------------------------
WAGTAIL_SITE_NAME = "Peer Pathways"
WAGTAILADMIN_BASE_URL = SITE_URL
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
# Every download goes through Wagtail's view, where lms.documents refuses unpublished ones.
WAGTAILDOCS_SERVE_METHOD = "serve_view"
WAGTAILDOCS_EXTENSIONS = ["csv", "docx", "odt", "pdf", "pptx", "rtf", "txt", "xlsx"]
WAGTAIL_GRAVATAR_PROVIDER_URL = None  # no third-party requests that reveal who is signed in
WAGTAIL_PASSWORD_RESET_ENABLED = False  # one password reset journey: ours
WAGTAILADMIN_LOGIN_URL = "/accounts/login/"  # one sign-in page for everyone
WAGTAIL_FRONTEND_LOGIN_URL = "/accounts/login/"  # private pages send people to ours too
# No shared page passwords: a password nobody owns cannot be changed when someone leaves, and
# anyone may guess at it (the form is still rate-limited in lms.urls for any set before).
WAGTAIL_PRIVATE_PAGE_OPTIONS = {"SHARED_PASSWORD": False}
WAGTAILDOCS_PRIVATE_COLLECTION_OPTIONS = {"SHARED_PASSWORD": False}
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000
# Only raster formats: an SVG is a document that can carry script.
WAGTAILIMAGES_EXTENSIONS = ["avif", "gif", "jpg", "jpeg", "png", "webp"]
WAGTAILIMAGES_IMAGE_FORM_BASE = "lms.image_forms.MetadataFreeImageForm"  # drops EXIF (location)
WAGTAILIMAGES_MAX_IMAGE_PIXELS = 60_000_000

# --- Upload and request size limits -----------------------------------------------------------
# lms.uploads.RequestBodyLimitMiddleware refuses a request whose Content-Length is over its limit
# (413) before anything reads the body: the ordinary limit, plus the file limit on upload views.
MEGABYTE = 1024 * 1024
REQUEST_BODY_MAX_BYTES = env_int("REQUEST_BODY_MAX_MB", 2) * MEGABYTE
EVIDENCE_MAX_BYTES = env_int("EVIDENCE_MAX_MB", 10) * MEGABYTE
ADMIN_UPLOAD_MAX_BYTES = env_int("ADMIN_UPLOAD_MAX_MB", 20) * MEGABYTE
DATA_UPLOAD_MAX_MEMORY_SIZE = REQUEST_BODY_MAX_BYTES  # form fields, files not counted
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * MEGABYTE  # a larger file is spooled to a temporary file
WAGTAILIMAGES_MAX_UPLOAD_SIZE = ADMIN_UPLOAD_MAX_BYTES

# --- Security ---------------------------------------------------------------------------------
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    # A load balancer's health check talks plain HTTP to the node (docs/deploy.md).
    SECURE_REDIRECT_EXEMPT = [r"^healthz/$"]
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
# Our own pages carry no inline script or style; the Wagtail admin needs inline ones and gets a
# looser policy in lms.middleware.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-src": ["https://www.youtube-nocookie.com", "https://player.vimeo.com"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # Wagtail runs its own small tasks through django-tasks, which logs every one at INFO.
    # django-axes logs every sign-in at INFO (addresses masked); failures are WARNING.
    "loggers": {"django_tasks": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}
