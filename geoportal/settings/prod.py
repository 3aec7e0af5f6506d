"""Production: no debug, a real secret key, secure cookies behind TLS when asked for."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .env import env_bool

DEBUG = False
# The placeholders shipped in base.py and docker-compose.yml are public, so they are refused.
if SECRET_KEY.startswith("insecure-") or "change-me" in SECRET_KEY or len(SECRET_KEY) < 32:  # noqa: F405
    raise ImproperlyConfigured(
        "Set SECRET_KEY to a long random value for production, e.g. "
        "python -c 'import secrets; print(secrets.token_urlsafe(50))'"
    )

SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env_bool("HTTPS", False)
if env_bool("HTTPS", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
