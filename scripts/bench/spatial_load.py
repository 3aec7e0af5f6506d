"""Load: 400 concurrent connections on /api/spatial/locate against the server `make run` started.

    DEMO_SCALE=1 make run
    .venv/bin/python scripts/bench/spatial_load.py [--url http://127.0.0.1:8000] [--connections 400]
                                                  [--bursts 5] [--seconds 20] [--max-requests 100000]

Opens ``--connections`` keep-alive HTTP/1.1 connections, sends ``--warmup`` bursts that are not
counted (the server opens its database connections), then runs three phases:
- burst:     every connection sends one request at the same instant (400 requests in flight at
             once, the seeds' "concurrent users"), ``--bursts`` times, with a pause between;
- sustained: every connection sends its next request as soon as the previous answer arrives, for
             ``--seconds`` (a closed loop: the harshest steady load 400 connections can make);
- users:     every connection behaves like a person on the map: a request, then a pause of about
             ``--think`` seconds, for ``--seconds`` (400 concurrent users, ~400/think requests/s).
Each request asks for a different point of the demo city. Reports p50/p95/p99/max latency,
throughput and every error (non-200 answer, timeout, connection failure). Only loopback targets
are allowed, and the run is bounded by ``--max-requests`` and ``--seconds``. Standard library only;
the client shares the machine's cores with the server, so the numbers are a lower bound.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import random
import socket
import statistics
import sys
import time
from urllib.parse import urlsplit

CITY_BOX = (111.55, 22.6, 112.55, 23.25)  # the demo city around Yunfu (lon/lat)
REQUEST_TIMEOUT_S = 10.0


def loopback_only(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    host, port = parts.hostname or "", parts.port or 80
    if parts.scheme != "http":
        sys.exit("only plain http on this machine's loopback is supported")
    addresses = {info[4][0] for info in socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)}
    if not addresses or not all(ipaddress.ip_address(a.split("%")[0]).is_loopback for a in addresses):
        sys.exit(f"refusing to load {host}: only loopback addresses (127.0.0.0/8, ::1) are allowed")
    return host, port


class Stats:
    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.errors: dict[str, int] = {}
        self.sent = 0

    def error(self, kind: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1

    def summary(self, seconds: float) -> dict:
        ordered = sorted(self.latencies)

        def pct(p: float) -> float | None:
            return round(ordered[min(len(ordered) - 1, int(len(ordered) * p))] * 1000, 1) if ordered else None

        return {
            "requests": self.sent,
            "ok": len(ordered),
            "errors": sum(self.errors.values()),
            "error_kinds": self.errors,
            "p50_ms": round(statistics.median(ordered) * 1000, 1) if ordered else None,
            "p95_ms": pct(0.95),
            "p99_ms": pct(0.99),
            "max_ms": round(ordered[-1] * 1000, 1) if ordered else None,
            "seconds": round(seconds, 2),
            "throughput_rps": round(len(ordered) / seconds, 1) if seconds else None,
        }


class Connection:
    def __init__(self, host: str, port: int, rng: random.Random) -> None:
        self.host, self.port, self.rng = host, port, rng
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.wait_for(
            asyncio.open_connection(self.host, self.port), REQUEST_TIMEOUT_S
        )

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    async def request(self, stats: Stats) -> None:
        lon = self.rng.uniform(CITY_BOX[0], CITY_BOX[2])
        lat = self.rng.uniform(CITY_BOX[1], CITY_BOX[3])
        path = f"/api/spatial/locate?lon={lon:.6f}&lat={lat:.6f}"
        stats.sent += 1
        started = time.perf_counter()
        try:
            if self.writer is None:
                await self.open()
            self.writer.write(
                f"GET {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nConnection: keep-alive\r\n"
                "Accept: application/json\r\n\r\n".encode()
            )
            status, body = await asyncio.wait_for(self._response(), REQUEST_TIMEOUT_S)
        except TimeoutError:
            stats.error("timeout")
            self.close()
            return
        except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
            stats.error(type(exc).__name__)
            self.close()
            return
        elapsed = time.perf_counter() - started
        if status != 200:
            stats.error(f"http_{status}")
            return
        if b'"divisions"' not in body:
            stats.error("unexpected_body")
            return
        stats.latencies.append(elapsed)

    async def _response(self) -> tuple[int, bytes]:
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {
            k.strip().lower(): v.strip() for k, _sep, v in (line.partition(":") for line in lines[1:] if line)
        }
        if headers.get("transfer-encoding", "").lower() == "chunked":
            body = b""
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).strip().split(b";")[0], 16)
                chunk = await self.reader.readexactly(size + 2)
                if size == 0:
                    break
                body += chunk[:-2]
        else:
            body = await self.reader.readexactly(int(headers.get("content-length", "0")))
        if headers.get("connection", "").lower() == "close":
            self.close()
        return status, body


async def run(args: argparse.Namespace) -> dict:
    host, port = loopback_only(args.url)
    rng = random.Random(args.seed)
    connections = [Connection(host, port, random.Random(rng.random())) for _ in range(args.connections)]
    opened = await asyncio.gather(*(c.open() for c in connections), return_exceptions=True)
    open_errors = [type(r).__name__ for r in opened if isinstance(r, BaseException)]
    deadline = time.monotonic() + args.seconds * 3 + 60  # hard stop for the whole run

    cold = Stats()  # the first bursts open the server's database connections: reported apart
    cold_walls = []
    for _ in range(args.warmup):
        t0 = time.perf_counter()
        await asyncio.gather(*(c.request(cold) for c in connections))
        cold_walls.append(round((time.perf_counter() - t0) * 1000, 1))
        await asyncio.sleep(args.pause)

    burst = Stats()
    burst_walls = []
    started = time.perf_counter()
    for _ in range(args.bursts):
        if time.monotonic() > deadline or burst.sent >= args.max_requests:
            break
        t0 = time.perf_counter()
        await asyncio.gather(*(c.request(burst) for c in connections))
        burst_walls.append(round((time.perf_counter() - t0) * 1000, 1))
        await asyncio.sleep(args.pause)
    burst_seconds = time.perf_counter() - started - args.pause * len(burst_walls)

    sustained = Stats()
    stop_at = time.monotonic() + args.seconds

    async def loop(connection: Connection) -> None:
        while time.monotonic() < min(stop_at, deadline) and sustained.sent < args.max_requests:
            await connection.request(sustained)

    started = time.perf_counter()
    await asyncio.gather(*(loop(c) for c in connections))
    sustained_seconds = time.perf_counter() - started

    users = Stats()
    stop_at = time.monotonic() + args.seconds

    async def user(connection: Connection) -> None:
        await asyncio.sleep(connection.rng.uniform(0, args.think))  # users do not all start at once
        while time.monotonic() < min(stop_at, deadline) and users.sent < args.max_requests:
            await connection.request(users)
            await asyncio.sleep(connection.rng.uniform(0.5, 1.5) * args.think)

    started = time.perf_counter()
    if args.think > 0:
        await asyncio.gather(*(user(c) for c in connections))
    users_seconds = time.perf_counter() - started
    for c in connections:
        c.close()
    return {
        "benchmark": "spatial_load",
        "url": f"{args.url}/api/spatial/locate",
        "connections": args.connections,
        "connect_errors": len(open_errors),
        "warmup": {"bursts": len(cold_walls), "wall_ms_per_burst": cold_walls, "errors": cold.errors},
        "burst": {
            **burst.summary(burst_seconds),
            "bursts": len(burst_walls),
            "wall_ms_per_burst": burst_walls,
        },
        "sustained": sustained.summary(sustained_seconds),
        "users_with_think_time": {**users.summary(users_seconds), "think_seconds": args.think},
        "targets": "p95 <= 500 ms, no errors (Yunfu: 400 concurrent users, plain responses <= 0.5 s)",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--connections", type=int, default=400)
    parser.add_argument("--bursts", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=1, help="bursts before measuring (not counted)")
    parser.add_argument("--pause", type=float, default=1.0, help="seconds between bursts")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of the sustained phase")
    parser.add_argument("--think", type=float, default=1.0, help="mean pause of a user between requests")
    parser.add_argument("--max-requests", type=int, default=100_000, help="per phase")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    if not 1 <= args.connections <= 2000 or not 0 < args.seconds <= 300:
        sys.exit("keep it bounded: 1-2000 connections, at most 300 seconds")
    print(json.dumps(asyncio.run(run(args)), indent=2))


if __name__ == "__main__":
    main()
