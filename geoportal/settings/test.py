"""Test runs. The test database and the Celery queue are named per run (TEST_DATABASE_NAME), so
two suites on one machine, or a running `make run` worker, never take each other's work."""

from .base import *  # noqa: F403
from .env import env_str

TEST_DATABASE_NAME = env_str("TEST_DATABASE_NAME", "test_geoportal")
DATABASES["default"]["TEST"] = {"NAME": TEST_DATABASE_NAME}  # noqa: F405
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_QUEUE", f"geoportal-{TEST_DATABASE_NAME}")
CACHES["default"]["KEY_PREFIX"] = TEST_DATABASE_NAME  # noqa: F405
# The test cache sits in its own Redis database, apart from the tiles `make run` has cached, so
# the tests' sweeps of their own keys (tests/conftest.py) scan only test keys.
CACHES["default"]["LOCATION"] = env_str("CACHE_URL", REDIS_URL.rsplit("/", 1)[0] + "/1")  # noqa: F405
MEDIA_ROOT = DATA_DIR / f"media-{TEST_DATABASE_NAME}"  # noqa: F405
# Tests never collect static files, and WhiteNoise warns on every request without them.
MIDDLEWARE = [m for m in MIDDLEWARE if "whitenoise" not in m]  # noqa: F405
# A beat started by a test keeps its state apart from the one `make run` starts.
CELERY_BEAT_SCHEDULE_FILENAME = env_str(
    "CELERY_BEAT_SCHEDULE_FILENAME",
    str(DATA_DIR / f"celerybeat-schedule-{TEST_DATABASE_NAME}"),  # noqa: F405
)
# Prometheus multiprocess files of this run apart from `make run`'s (geoportal/metrics.py).
PROMETHEUS_MULTIPROC_DIR = DATA_DIR / "run" / f"prometheus-{TEST_DATABASE_NAME}"  # noqa: F405
# Backups of this run apart from `make run`'s.
BACKUP_ROOT = str(DATA_DIR / f"backups-{TEST_DATABASE_NAME}")  # noqa: F405
