"""Test runs: a queue of their own so a running `make run` worker never takes a test's task."""

from .base import *  # noqa: F403
from .env import env_str

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_QUEUE", "geoportal-test")
CACHES["default"]["KEY_PREFIX"] = "geoportal-test"  # noqa: F405
MEDIA_ROOT = DATA_DIR / "test-media"  # noqa: F405
# Tests never collect static files, and WhiteNoise warns on every request without them.
MIDDLEWARE = [m for m in MIDDLEWARE if "whitenoise" not in m]  # noqa: F405
