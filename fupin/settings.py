"""Django settings for fupin.

Everything that differs between machines comes from environment variables:

- ``FUPIN_DATABASE_URL``: ``postgres://user@host:5432/name``; unset means SQLite in the data folder.
- ``FUPIN_DATA_DIR``: the data folder (SQLite file, uploads); default ``<checkout>/var``.
- ``FUPIN_SECRET_KEY``: secret key; unset, a key is generated once and kept in the data folder.
- ``FUPIN_DEBUG``: ``1`` for debug pages.
- ``FUPIN_ALLOWED_HOSTS``: comma-separated host names (default: localhost names).
- ``FUPIN_IMPORT_MAX_MB``: the largest roster file (花名册) accepted for import, in MB (default 1024;
  a roster of 1,000,000 persons is about 450 MB as CSV).
- ``FUPIN_IMPORT_HEARTBEAT_SECONDS``: how often a roster validation at work writes its heartbeat
  (default 30); a batch whose heartbeat is silent for four beats shows as stopped (校验中断).
- ``FUPIN_IMPORT_UNDECIDED_DAYS``: a roster batch left undecided (at review, failed, or its check
  stopped) for this many days is refused by ``fupin expire_imports`` (default 30).
- ``FUPIN_IMPORT_LEAVING_WARN_MIN`` and ``FUPIN_IMPORT_LEAVING_WARN_SHARE``: a batch in which at least
  this many persons (default 10) and this share (default 0.2) of the registered persons of its
  households would leave is flagged at review as maybe not a whole roster (减员异常).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url

from fupin.policy import clock

PACKAGE_DIR = Path(__file__).resolve().parent
BASE_DIR = PACKAGE_DIR.parent
DATA_DIR = Path(os.environ.get("FUPIN_DATA_DIR", BASE_DIR / "var")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    key = os.environ.get("FUPIN_SECRET_KEY")
    if key:
        return key
    path = DATA_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = os.environ.get("FUPIN_DEBUG", "") == "1"
ALLOWED_HOSTS = [
    h.strip() for h in os.environ.get("FUPIN_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "ninja",  # its bundled Swagger UI assets, served from /static/ (no CDN)
    "fupin.core",
    "fupin.accounts",
    "fupin.regions",
    "fupin.registry",
    "fupin.imports",
    "fupin.rules",
    "fupin.identification",
    "fupin.screening",
    "fupin.pairing",
    "fupin.assistance",
    "fupin.exits",
    "fupin.review",
    "fupin.region_exit",
    "fupin.monitoring",
    "fupin.web",
    "fupin.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "fupin.web.middleware.ChineseFirstLocaleMiddleware",  # Chinese unless the user chose English
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "fupin.urls"
WSGI_APPLICATION = "fupin.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "fupin.web.context.fupin_context",
            ],
        },
    },
]
# Django's form templates with fupin's error list: errors in the page's language (fupin.web.form_renderer).
FORM_RENDERER = "fupin.web.form_renderer.FormRenderer"

_db_url = os.environ.get("FUPIN_DATABASE_URL", "").strip()
if _db_url:
    DATABASES = {"default": dj_database_url.parse(_db_url, conn_max_age=60)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "fupin.sqlite3",
            "OPTIONS": {
                # WAL lets the pages read while an import writes; a busy writer waits, not fails.
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "timeout": 20,
                "transaction_mode": "IMMEDIATE",
            },
        }
    }
DATABASES["default"]["TEST"] = {"NAME": os.environ.get("FUPIN_TEST_DATABASE_NAME") or None}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Login throttling (登录限制): failures per username within the window lock that username.
FUPIN_LOGIN_MAX_FAILURES = int(os.environ.get("FUPIN_LOGIN_MAX_FAILURES", "5"))
FUPIN_LOGIN_LOCK_SECONDS = int(os.environ.get("FUPIN_LOGIN_LOCK_SECONDS", "900"))

# Roster import (花名册导入): the largest file landed, in bytes (fupin.imports.services.land_file).
FUPIN_IMPORT_MAX_BYTES = int(os.environ.get("FUPIN_IMPORT_MAX_MB", "1024")) << 20
# A validation at work writes a heartbeat this often; four missed beats and its batch shows as stopped.
FUPIN_IMPORT_HEARTBEAT_SECONDS = float(os.environ.get("FUPIN_IMPORT_HEARTBEAT_SECONDS", "30"))
# A batch undecided this many days is refused by ``fupin expire_imports`` (run daily by cron or a timer).
FUPIN_IMPORT_UNDECIDED_DAYS = int(os.environ.get("FUPIN_IMPORT_UNDECIDED_DAYS", "30"))
# 减员异常: so many registered persons leaving that the file is likely not a whole roster (a warning).
FUPIN_IMPORT_LEAVING_WARN_MIN = int(os.environ.get("FUPIN_IMPORT_LEAVING_WARN_MIN", "10"))
FUPIN_IMPORT_LEAVING_WARN_SHARE = float(os.environ.get("FUPIN_IMPORT_LEAVING_WARN_SHARE", "0.2"))

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = clock.TIME_ZONE  # China Standard Time: the one "today" is fupin.policy.clock.today()
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
MEDIA_ROOT = DATA_DIR / "media"

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the cookie-free meta tag; kept default-off
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("FUPIN_LOG_LEVEL", "WARNING")},
}
