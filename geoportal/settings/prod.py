"""Production: no debug, a real secret key, secure cookies behind TLS when asked for."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .env import env_bool, env_int, env_str

DEBUG = False
# Production logs are JSON lines with the request id (geoportal/logs.py) unless LOG_FORMAT says plain.
LOG_FORMAT = env_str("LOG_FORMAT", "json")
LOGGING["handlers"]["console"]["formatter"] = LOG_FORMAT  # noqa: F405
# The placeholders shipped in base.py and docker-compose.yml are public, so they are refused.
if SECRET_KEY.startswith("insecure-") or "change-me" in SECRET_KEY or len(SECRET_KEY) < 32:  # noqa: F405
    raise ImproperlyConfigured(
        "Set SECRET_KEY to a long random value for production, e.g. "
        "python -c 'import secrets; print(secrets.token_urlsafe(50))'"
    )

# HTTP hardening (see core/headers.py for the Content-Security-Policy). Django's defaults already
# send these; they are spelled out because the 等保 review reads them here.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env_bool("HTTPS", False)
if env_bool("HTTPS", False):
    # nginx (deploy/nginx.conf) terminates TLS and says so in X-Forwarded-Proto.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    # Health probes call the container over plain HTTP from inside (Dockerfile, docker-compose.yml).
    SECURE_REDIRECT_EXEMPT = [r"^healthz"]
    # Only with HTTPS on: a browser that saw HSTS refuses plain HTTP to this host for the whole
    # period, so a site reached over HTTP must never send it. HSTS_SECONDS=300 is a safe first try.
    SECURE_HSTS_SECONDS = env_int("HSTS_SECONDS", 31_536_000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("HSTS_PRELOAD", False)
    # security.W021 (no HSTS preload): the preload list is for public domains whose owner submits
    # them; a government intranet host is neither, and sending "preload" would ask for it.
    SILENCED_SYSTEM_CHECKS = [*SILENCED_SYSTEM_CHECKS, "security.W021"]  # noqa: F405
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
