"""Bad set-up gets one clear sentence naming the problem, never a traceback."""

import os
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run(args: list[str], **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        args, cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True, timeout=60
    )


def test_wrong_database_url_is_named():
    result = run(
        [sys.executable, "-m", "geoportal.checks", "services"],
        DATABASE_URL="postgis://nobody:secret@127.0.0.1:1/nowhere",
    )
    assert result.returncode == 1
    assert "cannot connect to the database at postgis://nobody:***@127.0.0.1:1/nowhere" in result.stderr
    assert "secret" not in result.stderr
    assert "Traceback" not in result.stderr


def test_database_url_with_a_foreign_scheme_is_named():
    result = run([sys.executable, "-m", "geoportal.checks", "services"], DATABASE_URL="mysql://x@y/z")
    assert result.returncode == 1
    assert "DATABASE_URL must start with postgres:// or postgis://" in result.stderr


def test_redis_down_is_named():
    result = run([sys.executable, "-m", "geoportal.checks", "services"], REDIS_URL="redis://127.0.0.1:1/0")
    assert result.returncode == 1
    assert "cannot reach Redis at redis://127.0.0.1:1/0" in result.stderr
    assert "Traceback" not in result.stderr


def test_run_refuses_a_taken_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        result = run(
            ["bash", "scripts/run.sh"],
            GEOPORTAL_PORT=str(port),
            GEOPORTAL_DATA_DIR=str(ROOT / ".data" / "test-run"),
        )
    assert result.returncode == 1
    assert f"port {port} is already taken" in result.stderr
