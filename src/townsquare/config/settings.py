"""Settings for every mode. The embedded default needs no configuration at all; production
(`TOWNSQUARE_ENV=production`) refuses to start with DEBUG on or a default secret."""

from __future__ import annotations

from pathlib import Path

import dj_database_url

from townsquare.config.env import ConfigurationError, env_bool, env_list, env_str

PACKAGE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("TOWNSQUARE_VAR_DIR", str(Path.cwd() / "var"))).resolve()

PRODUCTION = env_str("TOWNSQUARE_ENV", "development") == "production"
DEFAULT_SECRET_KEY = "townsquare-embedded-development-key-not-for-production"
SECRET_KEY = env_str("SECRET_KEY", DEFAULT_SECRET_KEY)
DEBUG = env_bool("DEBUG", not PRODUCTION)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [] if PRODUCTION else ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

if PRODUCTION:
    if DEBUG:
        raise ConfigurationError("DEBUG is on in production: set DEBUG=false")
    if SECRET_KEY == DEFAULT_SECRET_KEY or len(SECRET_KEY or "") < 50:
        raise ConfigurationError("SECRET_KEY (or SECRET_KEY_FILE) must be set to a random value of 50+ characters")
    if not ALLOWED_HOSTS:
        raise ConfigurationError("ALLOWED_HOSTS must name the host names this server answers to")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "huey.contrib.djhuey",
    "townsquare.orgs",
    "townsquare.channels",
    "townsquare.posts",
    "townsquare.jobs",
    "townsquare.publishing",
    "townsquare.inbox",
    "townsquare.mentions",
    "townsquare.web",
    "townsquare.tools",
    "townsquare.labels",
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
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "townsquare.config.urls"
WSGI_APPLICATION = "townsquare.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "townsquare.web.context.workplace",
            ],
        },
    },
]

# SQLite (WAL) under ./var by default; DATABASE_URL chooses PostgreSQL for real deployments.
_database_url = env_str("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'townsquare.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(_database_url, conn_max_age=0 if DEBUG else 60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000;",
        "transaction_mode": "IMMEDIATE",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# In development whitenoise serves straight from the apps (finders); production serves `collectstatic` output.
STATIC_ROOT = None if DEBUG else VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = int(env_str("EMAIL_PORT", "25") or 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "townsquare@localhost")

# Background jobs: Huey on SQLite embedded, on Redis when REDIS_URL is set. Same task code for both.
REDIS_URL = env_str("REDIS_URL")
HUEY = {
    "name": env_str("TOWNSQUARE_HUEY_NAME", "townsquare"),
    "immediate": env_bool("TOWNSQUARE_JOBS_IMMEDIATE", False),
    "utc": True,
    "consumer": {"workers": int(env_str("TOWNSQUARE_WORKER_THREADS", "2") or 2), "worker_type": "thread"},
}
if REDIS_URL:
    HUEY.update({"huey_class": "huey.RedisHuey", "url": REDIS_URL})
else:
    HUEY.update({"huey_class": "huey.SqliteHuey", "filename": str(VAR_DIR / "jobs.sqlite3")})
if not REDIS_URL or not env_str("DATABASE_URL"):
    # The embedded stores live under var/; SQLite needs the folder before it opens a file there.
    VAR_DIR.mkdir(parents=True, exist_ok=True)

# The vault's keys: the first encrypts, all decrypt (rotation). Comma-separated Fernet keys.
TOWNSQUARE_VAULT_KEYS = env_list("TOWNSQUARE_VAULT_KEY", [])
TOWNSQUARE_SANDBOX_OUTBOX = env_str("TOWNSQUARE_SANDBOX_OUTBOX")
TOWNSQUARE_SANDBOX_LATENCY = float(env_str("TOWNSQUARE_SANDBOX_LATENCY", "0") or 0)  # seconds per publish
# A post left `publishing` longer than this (its worker died) is claimed again; publishing is idempotent.
TOWNSQUARE_PUBLISH_LEASE_SECONDS = float(env_str("TOWNSQUARE_PUBLISH_LEASE_SECONDS", "300") or 300)
# Images attached to drafts: stored under MEDIA_ROOT/<organisation id>/ and served only through an org-checked
# view (never by the web server directly, so there is no MEDIA_URL).
MEDIA_ROOT = Path(env_str("TOWNSQUARE_MEDIA_ROOT", str(VAR_DIR / "media"))).resolve()
# Where the public reaches this Townsquare: short links in published posts are <this>/l/<code>.
TOWNSQUARE_PUBLIC_URL = env_str("TOWNSQUARE_PUBLIC_URL", "http://localhost:8000").rstrip("/")
TOWNSQUARE_MEDIA_MAX_BYTES = int(env_str("TOWNSQUARE_MEDIA_MAX_BYTES", str(8 * 1024 * 1024)) or 0)
# The apps registered by this deployment on the networks whose sign-in needs one (networks/oauth2.py); a network
# whose pair is unset is connected with pasted tokens only. Facebook's app also serves Instagram; Google's, YouTube.
TOWNSQUARE_OAUTH_X_CLIENT_ID = env_str("TOWNSQUARE_OAUTH_X_CLIENT_ID", "")
TOWNSQUARE_OAUTH_X_CLIENT_SECRET = env_str("TOWNSQUARE_OAUTH_X_CLIENT_SECRET", "")
TOWNSQUARE_OAUTH_LINKEDIN_CLIENT_ID = env_str("TOWNSQUARE_OAUTH_LINKEDIN_CLIENT_ID", "")
TOWNSQUARE_OAUTH_LINKEDIN_CLIENT_SECRET = env_str("TOWNSQUARE_OAUTH_LINKEDIN_CLIENT_SECRET", "")
TOWNSQUARE_OAUTH_FACEBOOK_CLIENT_ID = env_str("TOWNSQUARE_OAUTH_FACEBOOK_CLIENT_ID", "")
TOWNSQUARE_OAUTH_FACEBOOK_CLIENT_SECRET = env_str("TOWNSQUARE_OAUTH_FACEBOOK_CLIENT_SECRET", "")
TOWNSQUARE_OAUTH_REDDIT_CLIENT_ID = env_str("TOWNSQUARE_OAUTH_REDDIT_CLIENT_ID", "")
TOWNSQUARE_OAUTH_REDDIT_CLIENT_SECRET = env_str("TOWNSQUARE_OAUTH_REDDIT_CLIENT_SECRET", "")
TOWNSQUARE_OAUTH_GOOGLE_CLIENT_ID = env_str("TOWNSQUARE_OAUTH_GOOGLE_CLIENT_ID", "")
TOWNSQUARE_OAUTH_GOOGLE_CLIENT_SECRET = env_str("TOWNSQUARE_OAUTH_GOOGLE_CLIENT_SECRET", "")

if PRODUCTION:
    if not TOWNSQUARE_VAULT_KEYS:
        raise ConfigurationError("TOWNSQUARE_VAULT_KEY (or TOWNSQUARE_VAULT_KEY_FILE) must be set in production")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(env_str("SECURE_HSTS_SECONDS", "31536000") or 0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # The Huey consumer attaches its own handler to "huey"; not propagating keeps each line printed once.
    "loggers": {"huey": {"level": "WARNING", "propagate": False}},
}
