"""Shared helpers for the benchmark scripts: timing, percentiles and the JSON report.

Benchmarks run against the database and server that `make run` starts; they never run in
`make test` (this machine is shared and noisy, so numbers are reported, not asserted).
"""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def setup_django(settings: str = "geoportal.settings.prod") -> None:
    """Django as deployed: production settings (debug mode records every query, which the
    in-process benchmarks would otherwise measure)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", settings)
    # The servers the benchmarks start beside `make run` use the key it generated.
    key_file = ROOT / ".data" / "secret_key"
    if "SECRET_KEY" not in os.environ and key_file.exists():
        os.environ["SECRET_KEY"] = key_file.read_text().strip()
    import django

    django.setup()


def timed(fn: Callable[[], Any], runs: int, warmup: int = 3) -> list[float]:
    """Milliseconds per call, after a few warm-up calls."""
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50_ms": round(statistics.median(ordered), 2),
        "p95_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))], 2),
        "min_ms": round(ordered[0], 2),
        "runs": len(ordered),
    }


def session_cookie(user: Any) -> str:
    """``sessionid=…`` for a logged-in session of ``user``, as the login view would leave it."""
    from django.conf import settings
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session["_auth_user_id"] = str(user.pk)
    session["_auth_user_backend"] = settings.AUTHENTICATION_BACKENDS[0]
    session["_auth_user_hash"] = user.get_session_auth_hash()
    session.create()
    return f"sessionid={session.session_key}"


def ratio(ours: dict[str, float], other: dict[str, float]) -> float:
    return round(ours["p50_ms"] / other["p50_ms"], 2)


def report(name: str, data: dict[str, Any]) -> None:
    print(json.dumps({"benchmark": name, **data}, ensure_ascii=False, indent=2, default=str))


def sizes(path: Path) -> dict[str, int]:
    """A built file's size, raw and gzip -9 (what nginx and WhiteNoise send precompressed)."""
    data = path.read_bytes()
    return {"bytes": len(data), "gzip_bytes": len(gzip.compress(data, 9))}


# --- load generation and helper servers ------------------------------------------------------

WRK_SCRIPT = """
local paths = {%s}
local counter = 0
local threads = {}
function setup(thread)
  table.insert(threads, thread)
end
function init(args)
  errors = 0
  requests_done = 0
end
function request()
  counter = counter + 1
  return wrk.format("GET", paths[(counter %% #paths) + 1], {["Accept-Encoding"] = "gzip"})
end
function response(status, headers, body)
  requests_done = requests_done + 1
  if status >= 400 then errors = errors + 1 end
end
function done(summary, latency, requests)
  local errs = 0
  for _, t in ipairs(threads) do errs = errs + t:get("errors") end
  io.write(string.format(
    'WRKJSON {"requests": %%d, "seconds": %%.3f, "rps": %%.1f, "p50_ms": %%.2f, "p95_ms": %%.2f, ' ..
    '"p99_ms": %%.2f, "http_errors": %%d, "socket_errors": %%d}\\n',
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    errs, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
"""


def wrk(base_url: str, paths: list[str], connections: int, seconds: int, threads: int = 2) -> dict[str, Any]:
    """Run wrk against ``base_url`` cycling over ``paths``; returns rps, p50/p95/p99 and errors."""
    script = WRK_SCRIPT % ", ".join(json.dumps(p) for p in paths)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(script)
    out = subprocess.run(
        [
            "wrk",
            "-t",
            str(threads),
            "-c",
            str(connections),
            "-d",
            f"{seconds}s",
            "--timeout",
            "10s",
            "-s",
            f.name,
            base_url,
        ],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
    ).stdout
    line = next((ln for ln in out.splitlines() if ln.startswith("WRKJSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no result:\n{out}")
    return json.loads(line.removeprefix("WRKJSON "))


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(port: int, env: dict[str, str], pythonpath: str = "") -> Any:
    """A gunicorn like make run's on ``port``; raises if it exits instead of serving."""
    full_env = {**os.environ, **env}
    if pythonpath:
        full_env["PYTHONPATH"] = f"{pythonpath}:{full_env.get('PYTHONPATH', '')}"
    proc = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "geoportal.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "4",
            "--worker-class",
            "gthread",
            "--threads",
            "16",
            "--backlog",
            "2048",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=full_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_http(f"http://127.0.0.1:{port}/healthz", accept_any_status=True)
    if proc.poll() is not None:
        raise RuntimeError(f"gunicorn on port {port} exited (is the port taken?)")
    return proc


@contextlib.contextmanager
def own_server(env: dict[str, str] | None = None) -> Iterator[str]:
    """gunicorn as `make run` starts it (prod settings, gthread), serving freshly collected files;
    ``env`` on top (another database, media folder or cache prefix). Yields its base URL."""
    static = Path(tempfile.mkdtemp(prefix="bench-static-"))
    env = {
        "DJANGO_SETTINGS_MODULE": "geoportal.settings.prod",
        "STATIC_ROOT": str(static),
        # make run's key when there is one (setup_django reads it), else any long one.
        "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50),
        **(env or {}),
    }
    collect = [str(ROOT / ".venv/bin/python"), "manage.py", "collectstatic", "--no-input", "-v0"]
    subprocess.run(collect, cwd=ROOT, env={**os.environ, **env}, check=True)
    port = free_port()
    proc = start_gunicorn(port, env)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:  # a connection still open holds a worker: it had its chance
            proc.kill()
            proc.wait()
        shutil.rmtree(static, ignore_errors=True)


def wait_http(url: str, timeout: float = 60, accept_any_status: bool = False) -> None:
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except urllib.error.HTTPError:
            if accept_any_status:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


class Wsgi:
    """Call Django's WSGI handler the way gunicorn does, without the socket."""

    def __init__(self, cookie: str = "") -> None:
        from django.core.handlers.wsgi import WSGIHandler

        self.handler = WSGIHandler()
        self.cookie = cookie

    def __call__(
        self,
        method: str,
        path: str,
        query: str = "",
        body: bytes = b"",
        headers: dict[str, str] | None = None,
    ) -> tuple[int, bytes]:
        status: list[str] = []
        environ = {
            "REQUEST_METHOD": method,
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "HTTP_HOST": "127.0.0.1",
            "REMOTE_ADDR": "127.0.0.1",
            "CONTENT_TYPE": "application/json",
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": io.StringIO(),
            "wsgi.url_scheme": "http",
        }
        if self.cookie:
            environ["HTTP_COOKIE"] = self.cookie
        for name, value in (headers or {}).items():
            environ["HTTP_" + name.upper().replace("-", "_")] = value
        chunks = self.handler(environ, lambda s, h, e=None: status.append(s))
        data = b"".join(chunks)
        code = int(status[0].split()[0])
        if code >= 300:
            raise RuntimeError(f"{method} {path}?{query} -> {code}: {data[:300]!r}")
        return code, data


def bench_env(db_name: str, media: Path, **extra: str) -> dict[str, str]:
    """What a bench process, its gunicorn and its workers share apart from `make run`'s: the media
    folder, the cache prefix (tiles, versions, throttles and live channels are kept under it) and
    the Celery queue, all named after the bench's own database."""
    shared = {"MEDIA_ROOT": str(media), "CACHE_KEY_PREFIX": db_name, "CELERY_QUEUE": f"geoportal-{db_name}"}
    return {**shared, **extra}


def drop_cache_keys(db_name: str) -> None:
    """The bench's keys in the shared Redis (everything under its cache prefix, its Celery queue)."""
    from django.core.cache import cache

    client = cache._cache.get_client(write=True)
    for key in client.scan_iter(match=f"{db_name}:*", count=1000):
        client.delete(key)
    client.delete(f"geoportal-{db_name}")
