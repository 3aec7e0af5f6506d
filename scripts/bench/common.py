"""Shared helpers for the benchmark scripts: timing, percentiles and the JSON report.

Benchmarks run against the database and server that `make run` starts; they never run in
`make test` (this machine is shared and noisy, so numbers are reported, not asserted).
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def setup_django(settings: str = "geoportal.settings.dev") -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", settings)
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


def ratio(ours: dict[str, float], other: dict[str, float]) -> float:
    return round(ours["p50_ms"] / other["p50_ms"], 2)


def report(name: str, data: dict[str, Any]) -> None:
    print(json.dumps({"benchmark": name, **data}, ensure_ascii=False, indent=2, default=str))
