"""gunicorn settings, the same everywhere the app server runs:

    gunicorn -c deploy/gunicorn.conf.py geoportal.wsgi:application --bind HOST:PORT

``make run`` (scripts/run.sh), the Dockerfile and docker-compose.yml all run exactly that. Tuning
comes from the environment (README, "Configuration"):

    WEB_WORKERS (4)    processes            WEB_THREADS (16)   threads per process (gthread)
    WEB_TIMEOUT (120)  seconds per request  WEB_BACKLOG (2048) pending connections
    WEB_ACCESS_LOG, WEB_ERROR_LOG   files, or "-" (default) for stdout/stderr
    WEB_PIDFILE        pid file (none by default)
    WEB_DAEMON         true: detach into the background (make run)

gunicorn's own GUNICORN_CMD_ARGS and FORWARDED_ALLOW_IPS still apply on top.
"""

from geoportal.settings.env import env_bool, env_int, env_str

wsgi_app = "geoportal.wsgi:application"

workers = env_int("WEB_WORKERS", 4, minimum=1)
# Threads, because the wall's live feed holds one per open stream (WEB_STREAM_SLOTS of them).
worker_class = "gthread"
threads = env_int("WEB_THREADS", 16, minimum=1)
timeout = env_int("WEB_TIMEOUT", 120, minimum=1)
backlog = env_int("WEB_BACKLOG", 2048, minimum=1)

accesslog = env_str("WEB_ACCESS_LOG", "-")
errorlog = env_str("WEB_ERROR_LOG", "-")
pidfile = env_str("WEB_PIDFILE", "") or None
daemon = env_bool("WEB_DAEMON", False)


# Prometheus multiprocess mode (geoportal/metrics.py): the workers write their values to files in
# PROMETHEUS_MULTIPROC_DIR (same default as settings: DATA_DIR/run/prometheus). Emptied at start,
# so a restart never adds the last run's counters; a dead worker's live gauges are dropped.
def _prometheus_dir() -> str:
    import os
    from pathlib import Path

    data = os.environ.get("GEOPORTAL_DATA_DIR") or str(Path(__file__).resolve().parents[1] / ".data")
    return os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", str(Path(data) / "run" / "prometheus"))


def on_starting(server) -> None:  # noqa: ANN001 - gunicorn's Arbiter
    import shutil
    from pathlib import Path

    folder = Path(_prometheus_dir())
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)


def child_exit(server, worker) -> None:  # noqa: ANN001 - gunicorn's Arbiter and Worker
    _prometheus_dir()
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
