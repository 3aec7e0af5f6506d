"""Settings shared by every environment."""

from __future__ import annotations

from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from crypto.keys import parse_keys

from .env import env_bool, env_float, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parents[2]
DATA_DIR = Path(env_str("GEOPORTAL_DATA_DIR", str(BASE_DIR / ".data")))

SECRET_KEY = env_str("SECRET_KEY", "insecure-development-key-change-me")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.gis",
    "rest_framework",
    "rest_framework_gis",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "geoportal",
    "accounts",
    "workdays",
    "audit",
    "crypto",
    "jobs",
    "industries",
    "layers",
    "spatial",
    "tiles",
    "ingest",
    "pipeline",
    "projects",
    "inbox",
    "grid",
    "patrols",
    "sync",
    "editing",
    "exports",
    "backups",
    "ogc",
    "web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Prometheus request latency by route, tile cache hits, open streams (geoportal/metrics.py).
    "geoportal.metrics.MetricsMiddleware",
    # Fault drills (issue 19): a dead cache, broker or database is a 503 JSON naming it, not a 500.
    "core.outages.OutageMiddleware",
    "core.headers.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "core.context.RequestContextMiddleware",
    # A display token (a wall's URL) opens only what the wall draws.
    "policy.middleware.DisplayTokenMiddleware",
    # After the request context, so the audit log sees an idle logout's request. Log out a
    # session idle too long; send a session whose password expired to change it.
    "accounts.middleware.SessionIdleMiddleware",
    "accounts.middleware.PasswordExpiryMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "geoportal.urls"
WSGI_APPLICATION = "geoportal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "geoportal" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", "postgis://geoportal:geoportal@127.0.0.1:54329/geoportal"),
        engine="django.contrib.gis.db.backends.postgis",
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
        # Off by default: the check is one extra round trip (SELECT 1) before every request's first
        # query. Without it, a request on a connection the database has dropped fails once, and
        # Django then replaces the connection.
        conn_health_checks=env_bool("DB_CONN_HEALTH_CHECKS", False),
    )
}
DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = 5
# Fault drills (issue 19): a PostgreSQL that does not answer fails a request fast (503).
DATABASES["default"]["OPTIONS"]["connect_timeout"] = env_int("DB_CONNECT_TIMEOUT", 3)
# A streaming read replica (geoportal/replicas.py): tile SQL, GeoJSON pages and reports read from it;
# writes and everything else stay on the primary. A replica that does not answer within 2 s is
# left alone for DATABASE_REPLICA_RETRY_SECONDS, and those reads go to the primary meanwhile.
if env_str("DATABASE_REPLICA_URL", ""):
    DATABASES["replica"] = dj_database_url.parse(
        env_str("DATABASE_REPLICA_URL"),
        engine="django.contrib.gis.db.backends.postgis",
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
    )
    DATABASES["replica"]["OPTIONS"] = {"connect_timeout": 2}
    # The test database has no replica of its own: tests read the primary through this alias.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["geoportal.replicas.ReplicaRouter"]
DATABASE_REPLICA_RETRY_SECONDS = env_float("DATABASE_REPLICA_RETRY_SECONDS", 30, positive=True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
# The staff pages' login (web/staff.py); the admin keeps its own.
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"

# National cryptography (crypto/). NATIONAL_CRYPTO on: passwords are hashed with PBKDF2-HMAC-SM3,
# and personal fields (crypto.fields) are encrypted with SM4-GCM under the first key of
# PERSONAL_DATA_KEYS ("id:key,..." with 128-bit hex or base64 keys; older keys after it stay
# readable) or of the file PERSONAL_DATA_KEY_FILE. A malformed key stops start-up here.
NATIONAL_CRYPTO = env_bool("NATIONAL_CRYPTO", False)
# The TrueType font the brochures (web/brochure.py) set Chinese in: Debian's fonts-wqy-microhei,
# which make setup and the Docker image install.
BROCHURE_FONT = env_str("BROCHURE_FONT", "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
PERSONAL_DATA_KEYS = parse_keys(
    env_str("PERSONAL_DATA_KEYS", ""), env_str("PERSONAL_DATA_KEY_FILE", ""), required=NATIONAL_CRYPTO
)
# The first hasher hashes new passwords; the others still verify, and a password under one of
# them is rehashed with the first at its next login. So turning the option on or off never locks
# anyone out.
_SM3_HASHER = "crypto.hashers.PBKDF2SM3PasswordHasher"
PASSWORD_HASHERS = [
    *([_SM3_HASHER] if NATIONAL_CRYPTO else []),
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
    *([] if NATIONAL_CRYPTO else [_SM3_HASHER]),
]

REDIS_URL = env_str("REDIS_URL", "redis://127.0.0.1:63790/0")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": env_str("CACHE_URL", REDIS_URL),
        "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "geoportal"),
        "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
    }
}

CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL)
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND", REDIS_URL)
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_QUEUE", "geoportal")
# A job is acknowledged only after it finishes, and re-queued if its worker dies,
# so a killed worker never loses an ingest (the jobs themselves are idempotent).
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_EXPIRES = 24 * 3600
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600, "socket_connect_timeout": 2}
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = 2
# Background jobs (jobs/): how soon a dead worker's job is taken over, when a queued job whose
# message was lost is queued again, how often a job is tried, how often beat sweeps for both.
JOBS_LEASE_SECONDS = env_float("JOBS_LEASE_SECONDS", 60, positive=True)
JOBS_REQUEUE_AFTER_SECONDS = env_float("JOBS_REQUEUE_AFTER_SECONDS", 900, positive=True)
JOBS_MAX_ATTEMPTS = env_int("JOBS_MAX_ATTEMPTS", 5, minimum=1)
JOBS_RECOVER_EVERY = env_float("JOBS_RECOVER_EVERY", 30, positive=True)
# Logical backups (backups/): a pg_dump and the media files, daily at BACKUP_HOUR (local time), each
# verified by a restore into a scratch database. They go to BACKUP_ROOT, or to S3-compatible object
# storage when BACKUP_S3_BUCKET is set (credentials from the usual AWS_* variables). Retention keeps
# the newest backup of each of the last BACKUP_KEEP_DAILY days and BACKUP_KEEP_WEEKLY ISO weeks.
BACKUP_ROOT = env_str("BACKUP_ROOT", str(DATA_DIR / "backups"))
BACKUP_S3_BUCKET = env_str("BACKUP_S3_BUCKET", "")
BACKUP_S3_PREFIX = env_str("BACKUP_S3_PREFIX", "geoportal")
BACKUP_S3_ENDPOINT_URL = env_str("BACKUP_S3_ENDPOINT_URL", "")
BACKUP_KEEP_DAILY = env_int("BACKUP_KEEP_DAILY", 7, minimum=1)
BACKUP_KEEP_WEEKLY = env_int("BACKUP_KEEP_WEEKLY", 4, minimum=0)
BACKUP_HOUR = env_int("BACKUP_HOUR", 3, minimum=0)
# The PostgreSQL client programs (pg_dump, pg_restore): as new as the server.
PG_BIN = env_str("PG_BIN", "/usr/lib/postgresql/15/bin")
# Periodic work: this one schedule, run by exactly one `celery -A geoportal beat` process (make run
# starts one; docker compose has one `beat` service). Beat keeps its state in the data directory
# and leaves a heartbeat in the cache for /healthz (geoportal.health.HeartbeatScheduler).
CELERY_BEAT_SCHEDULE = {
    "recover-stalled-jobs": {"task": "jobs.recover_stalled", "schedule": JOBS_RECOVER_EVERY},
    # The audit log's monthly partitions, created ahead (idempotent).
    "audit-partitions": {"task": "audit.ensure_partitions", "schedule": 6 * 3600},
    # Tokens expired or revoked a month ago (every login adds one).
    "purge-tokens": {"task": "accounts.purge_tokens", "schedule": 24 * 3600},
    # Projects' stage deadlines: reminders, yellow and red cards (idempotent).
    "project-warnings": {"task": "projects.sweep_warnings", "schedule": 3600},
    # Messages an outside channel did not take yet, tried again with backoff.
    "inbox-retry": {"task": "inbox.retry_deliveries", "schedule": 60},
    # Grid events' step deadlines: reminders, overdue warnings, escalation (idempotent).
    "grid-deadlines": {"task": "grid.sweep_deadlines", "schedule": 3600},
    # Patrol tasks past their due time without a finished run: missed, told once (idempotent).
    "patrol-missed": {"task": "patrols.sweep_missed", "schedule": 900},
    # Export files past EXPORT_RETENTION_DAYS, removed (idempotent).
    "exports-purge": {"task": "exports.purge_expired", "schedule": 3600},
    # A verified logical backup, then retention (idempotent: one scheduled backup per day).
    "backups-daily": {"task": "backups.daily", "schedule": crontab(hour=BACKUP_HOUR, minute=0)},
}
CELERY_BEAT_SCHEDULER = "geoportal.health:HeartbeatScheduler"
CELERY_BEAT_MAX_LOOP_INTERVAL = 30
CELERY_BEAT_SCHEDULE_FILENAME = env_str(
    "CELERY_BEAT_SCHEDULE_FILENAME", str(DATA_DIR / "celerybeat-schedule")
)

# Logins (accounts/lockout.py): every login path goes through this backend, which locks a username
# after LOGIN_FAILURE_LIMIT failures and a client address (core.client) after
# LOGIN_ADDRESS_FAILURE_LIMIT, for LOGIN_LOCKOUT_MINUTES. The address limit is higher, so one
# attacker cannot lock out an office behind one NAT address, but it still brakes password spraying.
AUTHENTICATION_BACKENDS = ["accounts.backends.LockoutBackend"]
LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
LOGIN_ADDRESS_FAILURE_LIMIT = env_int("LOGIN_ADDRESS_FAILURE_LIMIT", 20, minimum=1)
LOGIN_LOCKOUT_MINUTES = env_int("LOGIN_LOCKOUT_MINUTES", 15, minimum=1)
# Requests to the login endpoints (POST /api/auth/token/ and /api/auth/device/, one budget between
# them) per client address (DRF throttle rate, e.g. 10/min).
LOGIN_RATE_LIMIT = env_str("LOGIN_RATE_LIMIT", "10/min")
# Tokens (accounts/tokens.py): stored as SHA-256 digests; a new API token on every login. A device
# token (the phone app, which logs in once and then works offline) lasts days, not hours: the worker
# must not be sent back to the login screen in the middle of a patrol with no network.
API_TOKEN_TTL_HOURS = env_int("API_TOKEN_TTL_HOURS", 24 * 7, minimum=1)
DEVICE_TOKEN_TTL_DAYS = env_int("DEVICE_TOKEN_TTL_DAYS", 30, minimum=1)
DISPLAY_TOKEN_TTL_DAYS = env_int("DISPLAY_TOKEN_TTL_DAYS", 365, minimum=1)
# Sessions (the admin): logged out after SESSION_IDLE_MINUTES without a request, at the latest
# SESSION_MAX_HOURS after login, and when the browser closes.
SESSION_IDLE_MINUTES = env_int("SESSION_IDLE_MINUTES", 30, minimum=1)
SESSION_COOKIE_AGE = env_int("SESSION_MAX_HOURS", 12, minimum=1) * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = env_bool("SESSION_EXPIRE_AT_BROWSER_CLOSE", True)

# Second factor (accounts/totp.py): with STAFF_TOTP on, the roles in TOTP_REQUIRED_ROLES (and anyone
# who has set up an authenticator) must send a 6-digit code with their password on every login path.
STAFF_TOTP = env_bool("STAFF_TOTP", False)
TOTP_REQUIRED_ROLES = frozenset(env_list("TOTP_REQUIRED_ROLES", "admin"))

# Password policy (accounts/passwords.py): length, three character classes, not like the user's
# name, not common, none of the last five; PASSWORD_MAX_AGE_DAYS > 0 makes passwords expire.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "accounts.passwords.CharacterClassValidator", "OPTIONS": {"min_classes": 3}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "accounts.passwords.PasswordHistoryValidator", "OPTIONS": {"count": 5}},
]
PASSWORD_MAX_AGE_DAYS = env_int("PASSWORD_MAX_AGE_DAYS", 0, minimum=0)

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
# Crontab entries of the beat schedule (backups-daily) are in the city's local time.
CELERY_TIMEZONE = TIME_ZONE
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(DATA_DIR / "static")))
# Browser libraries from npm, copied here by scripts/build_frontend.sh.
STATICFILES_DIRS = [BASE_DIR / "static-build"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(DATA_DIR / "media")))
# Behind nginx: the internal location that sends a media file once geoportal.media allowed it.
MEDIA_ACCEL_REDIRECT = env_str("MEDIA_ACCEL_REDIRECT", "")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.tokens.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": [],
    "EXCEPTION_HANDLER": "core.errors.exception_handler",
    "DEFAULT_PAGINATION_CLASS": None,
    "DEFAULT_THROTTLE_RATES": {"login": LOGIN_RATE_LIMIT},
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Geoportal API",
    "DESCRIPTION": (
        "Carrier resources (载体), governance grid (网格) and field data as spatial layers. "
        'Errors share one JSON shape: {"error": {"code", "message", "fields"}}.'
    ),
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI and ReDoc from our own static files (drf-spectacular-sidecar): the docs work offline
    # and no third-party CDN can change the script that runs next to a logged-in session.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Choice sets that share a field name get names of their own, not hash suffixes (and the schema
    # generation in `check --deploy` stays free of warnings).
    "ENUM_NAME_OVERRIDES": {
        "IngestKindEnum": "ingest.models.JobKind",
        "CheckKindEnum": "spatial.models.CheckKind",
        "JobStatusEnum": "jobs.models.JobStatus",
        "ProjectStageEnum": "layers.models.ProjectStage",
        "ProjectReviewEnum": "projects.models.Review",
        "AttachmentKindEnum": "projects.models.AttachmentKind",
        "EventStatusEnum": "layers.models.EventStatus",
        "ExportFormatEnum": "exports.models.ExportFormat",
        "ExportSourceEnum": "exports.models.SourceKind",
        "FeatureCollectionTypeEnum": ["FeatureCollection"],
    },
}

# Log lines as "plain" text (dev, tests) or "json" (prod.py's default; geoportal/logs.py).
LOG_FORMAT = env_str("LOG_FORMAT", "plain")
if LOG_FORMAT not in {"plain", "json"}:
    raise ImproperlyConfigured(f"LOG_FORMAT must be plain or json, got {LOG_FORMAT!r}.")
# Prometheus /metrics (geoportal/metrics.py): each gunicorn process writes its values here
# (gunicorn empties it at start); besides loopback and staff, these addresses/networks may scrape.
PROMETHEUS_MULTIPROC_DIR = Path(env_str("PROMETHEUS_MULTIPROC_DIR", str(DATA_DIR / "run" / "prometheus")))
METRICS_ALLOWED_IPS = env_list("METRICS_ALLOWED_IPS", "")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        # One JSON object per line with the request id (geoportal/logs.py); LOG_FORMAT picks it.
        "json": {"()": "geoportal.logs.JsonFormatter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}

HEALTH_WORKER_TIMEOUT = env_float("HEALTH_WORKER_TIMEOUT", 1.0, positive=True)
# /healthz reports the beat scheduler as up while its last tick is at most this old.
HEALTH_BEAT_MAX_AGE = env_float("HEALTH_BEAT_MAX_AGE", 120.0, positive=True)
# Rendered tiles are kept in the cache; off only to measure or debug rendering itself.
TILES_CACHE = env_bool("TILES_CACHE", True)
# A base map under the investment map (tiles/basemap.py). By default there is none to download:
# the map draws the city from its own layers. BASEMAP_TILES: a self-hosted raster, one or more
# XYZ URL templates separated by spaces (https://maps.example.gov.cn/{z}/{x}/{y}.png), with
# BASEMAP_ATTRIBUTION; or TIANDITU_KEY: 天地图's vector map and labels (Chinese or English).
BASEMAP_TILES = env_str("BASEMAP_TILES", "").split()
BASEMAP_ATTRIBUTION = env_str("BASEMAP_ATTRIBUTION", "")
TIANDITU_KEY = env_str("TIANDITU_KEY", "")

# The audit log (audit/chain.py): the MAC key lives outside the database; SM3 under national
# cryptography. Entries are kept at least 180 days (Cybersecurity Law §21) before a month may be
# archived.
AUDIT_KEY = env_str("AUDIT_KEY", "") or (
    Path(env_str("AUDIT_KEY_FILE")).read_text().strip() if env_str("AUDIT_KEY_FILE", "") else ""
)
AUDIT_MAC_ALGORITHM = env_str("AUDIT_MAC_ALGORITHM", "sm3" if NATIONAL_CRYPTO else "sha256")
if AUDIT_MAC_ALGORITHM not in {"sha256", "sm3"}:
    raise ImproperlyConfigured(f"AUDIT_MAC_ALGORITHM must be sha256 or sm3, got {AUDIT_MAC_ALGORITHM!r}.")
AUDIT_RETENTION_DAYS = env_int("AUDIT_RETENTION_DAYS", 180, minimum=180)

# The message centre's outside channels (inbox.channels): "log" by default; "webhook" posts each
# message, signed with the secret, to the URL; a dotted path names an adapter of your own (SMS).
INBOX_CHANNELS = env_list("INBOX_CHANNELS", "log")
INBOX_WEBHOOK_URL = env_str("INBOX_WEBHOOK_URL", "")
INBOX_WEBHOOK_SECRET = env_str("INBOX_WEBHOOK_SECRET", "")
INBOX_WEBHOOK_TIMEOUT = env_float("INBOX_WEBHOOK_TIMEOUT", 5, positive=True)
INBOX_MAX_ATTEMPTS = env_int("INBOX_MAX_ATTEMPTS", 8, minimum=1)
INBOX_RETRY_SECONDS = env_float("INBOX_RETRY_SECONDS", 30, positive=True)

# The phone's offline sync (sync.photos): the largest photo it may upload, checked at the first chunk.
SYNC_PHOTO_MAX_MB = env_float("SYNC_PHOTO_MAX_MB", 10, positive=True)
# The phone app (/m/, web.mobile): photos are downscaled on the phone to this many pixels on their
# long side before they are queued; a patrol track breaks into a new part (an explicit gap, not a
# straight line) when no position came for this many seconds, as when the screen locks.
MOBILE_PHOTO_MAX_PX = env_int("MOBILE_PHOTO_MAX_PX", 2048, minimum=320)
MOBILE_TRACK_GAP_SECONDS = env_int("MOBILE_TRACK_GAP_SECONDS", 60, minimum=5)
# Project attachments (projects.attachments): the largest accepted file.
PROJECT_ATTACHMENT_MAX_MB = env_float("PROJECT_ATTACHMENT_MAX_MB", 50, positive=True)
# Project reports (projects.report_api): an export of more rows than this is built as a background
# job the client polls, rather than during the request.
PROJECT_REPORT_INLINE_ROWS = env_int("PROJECT_REPORT_INLINE_ROWS", 5000, minimum=1)
# Exports (exports/): a download link lasts EXPORT_LINK_MAX_AGE seconds (the job gives a new one on
# request), a file is kept EXPORT_RETENTION_DAYS days; files live in EXPORT_ROOT (default: a folder
# next to MEDIA_ROOT, never under it: /media/ must not serve them).
EXPORT_LINK_MAX_AGE = env_int("EXPORT_LINK_MAX_AGE", 3600, minimum=1)
EXPORT_RETENTION_DAYS = env_float("EXPORT_RETENTION_DAYS", 7, positive=True)
EXPORT_ROOT = env_str("EXPORT_ROOT", "")

# The event category a verified suspected illegal land use (an overlay-check finding) is filed in;
# no such active category, no event.
GRID_FINDING_CATEGORY = env_str("GRID_FINDING_CATEGORY", "illegal_construction")

# Patrols (patrols/): a place counts as reached when the track passes within this many metres; a
# finished run below this share of its area is listed as low coverage; a shared task's lock lasts
# this long (and is extended by its holder) before it is free again.
PATROL_COVERAGE_METRES = env_float("PATROL_COVERAGE_METRES", 50, positive=True)
PATROL_COVERAGE_THRESHOLD = env_float("PATROL_COVERAGE_THRESHOLD", 0.8, positive=True)
PATROL_LOCK_MINUTES = env_int("PATROL_LOCK_MINUTES", 120, minimum=1)

# Ingest limits and timings (read through ingest/conf.py). Web processes and workers read the same
# environment, so both see the same values; a bad one stops start-up with the variable's name.
INGEST_MAX_UPLOAD_MB = env_float("INGEST_MAX_UPLOAD_MB", 512, positive=True)
INGEST_ZIP_MAX_ENTRIES = env_int("INGEST_ZIP_MAX_ENTRIES", 10_000, minimum=1)
INGEST_ZIP_MAX_MB = env_float("INGEST_ZIP_MAX_MB", 2048, positive=True)
INGEST_ZIP_MAX_RATIO = env_float("INGEST_ZIP_MAX_RATIO", 200, positive=True)
INGEST_MAX_REPORT_ITEMS = env_int("INGEST_MAX_REPORT_ITEMS", 1000, minimum=1)
INGEST_MAX_RASTER_MEGAPIXELS = env_float("INGEST_MAX_RASTER_MEGAPIXELS", 4096, positive=True)

# The live feeds (core.sse: the wall's field points, the inbox). An open stream holds one gunicorn
# thread, so a process serves at most WEB_STREAM_SLOTS of them (of WEB_THREADS, default 16) and
# each one ends after WEB_STREAM_LIFETIME seconds (the browser reconnects and misses nothing).
WEB_STREAM_SLOTS = env_int("WEB_STREAM_SLOTS", 8)
WEB_STREAM_LIFETIME = env_int("WEB_STREAM_LIFETIME", 600)
WEB_STREAM_KEEPALIVE = env_int("WEB_STREAM_KEEPALIVE", 15)

# Debian bookworm ships GDAL 3.6, which cannot block file/network access from spatial
# references. User input never reaches GDAL as an SRS string: CRS names go through the
# allowlist in layers.crs, so the check's risk does not apply.
SILENCED_SYSTEM_CHECKS = ["gis.W001"]

# The editor's topology check (editing.topology): an overlap with a neighbouring plot larger than this
# (geodesic m²) is a warning on save; smaller ones are the rounding of shared boundaries.
EDITING_OVERLAP_TOLERANCE_M2 = env_float("EDITING_OVERLAP_TOLERANCE_M2", 1.0, positive=True)
