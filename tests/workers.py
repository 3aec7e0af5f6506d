"""Real Celery worker processes for tests: the session's shared worker and the ones a test kills."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parents[1]


def session_database_url() -> str:
    """The URL of the database this test session really uses (the test database)."""
    from backups.database import database_url

    return database_url()


def _celery(args: list[str], queue: str, log: IO[str], env: dict[str, str]) -> subprocess.Popen:
    """A Celery process on the test database and one queue, in a process group of its own."""
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "geoportal", *args, "--loglevel", "INFO"],
        cwd=ROOT,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "geoportal.settings.test",
            "DATABASE_URL": session_database_url(),
            "CELERY_QUEUE": queue,
            # A connection the database ended (the backup tests' restore swaps the test database)
            # is noticed before a task uses it, as a worker in production should.
            "DB_CONN_HEALTH_CHECKS": "true",
            **env,
        },
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


class CeleryWorker:
    """A worker on the test database and one queue, in a process group of its own so that a kill
    takes the parent and its pool children together. Starting waits until it answers a ping."""

    def __init__(self, queue: str, log: Path, name: str = "test", **env: str) -> None:
        from geoportal.celery import app

        self.hostname = f"{name}-{uuid.uuid4().hex[:8]}@localhost"
        self.log = open(log, "a")  # noqa: SIM115 - closed in stop()
        self.proc = _celery(
            ["worker", "--pool", "prefork", "--concurrency", "1", "--hostname", self.hostname]
            + ["--without-gossip", "--without-mingle", "--queues", queue],
            queue,
            self.log,
            env,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.log.close()
                raise RuntimeError(f"the Celery worker exited early; see {log}")
            if self.hostname in (app.control.inspect(destination=[self.hostname], timeout=0.5).ping() or {}):
                return
        self.kill()
        raise RuntimeError(f"the Celery worker did not answer within 60 s; see {log}")

    def kill(self) -> None:
        """kill -9 the whole worker: parent and pool children, no chance to clean up."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)
        self.log.close()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()
        if not self.log.closed:
            self.log.close()


class CeleryBeat:
    """The beat scheduler on the test database, sending the schedule's tasks to one queue."""

    def __init__(self, queue: str, log: Path, **env: str) -> None:
        self.log = open(log, "a")  # noqa: SIM115 - closed in stop()
        self.schedule = log.with_name(f"beat-{uuid.uuid4().hex[:8]}.schedule")
        self.proc = _celery(["beat", "--schedule", str(self.schedule)], queue, self.log, env)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        self.log.close()
        for leftover in self.schedule.parent.glob(self.schedule.name + "*"):
            leftover.unlink(missing_ok=True)
