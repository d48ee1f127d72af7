"""A small HTTP load generator for 127.0.0.1: `wrk` when it is installed, else our own client.

Our client runs N threads, each with one http.client connection that it reuses while the
server keeps it open (gunicorn's sync workers close after every response, so it reconnects,
as wrk does). It stops at the deadline or after `max_requests`, whichever comes first.
"""

from __future__ import annotations

import http.client
import re
import shutil
import statistics
import subprocess
import threading
import time
from dataclasses import dataclass

HOST = "127.0.0.1"
MAX_SECONDS = 60
MAX_REQUESTS = 500_000


@dataclass(frozen=True)
class Result:
    """Throughput and latency of one load run; `errors` counts non-200 answers and failures."""

    requests: int
    errors: int
    rps: float
    p50_ms: float
    p99_ms: float
    tool: str


def probe(port: int, path: str) -> int:
    """One request; its status code (0 when the connection fails)."""
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        return response.status
    except OSError:
        return 0
    finally:
        conn.close()


def run(port: int, path: str, *, connections: int = 8, seconds: float = 5.0,
        max_requests: int | None = None) -> Result:
    """Load `path` on 127.0.0.1:`port` with `connections` concurrent connections.

    A count limit needs our own client: wrk only stops on time.
    """
    seconds = min(seconds, MAX_SECONDS)
    if max_requests is None and shutil.which("wrk"):
        return _wrk(port, path, connections, seconds)
    return _threads(port, path, connections, seconds, min(max_requests or MAX_REQUESTS,
                                                          MAX_REQUESTS))


def _threads(port: int, path: str, connections: int, seconds: float,
             max_requests: int) -> Result:
    latencies: list[float] = []  # list.append is atomic under the GIL
    errors = [0]
    budget = threading.Semaphore(max_requests)
    started = time.perf_counter()
    deadline = started + seconds

    def worker() -> None:
        conn = http.client.HTTPConnection(HOST, port, timeout=30)
        while time.perf_counter() < deadline and budget.acquire(blocking=False):
            began = time.perf_counter()
            try:
                conn.request("GET", path)
                response = conn.getresponse()
                response.read()
                ok = response.status == 200
            except (OSError, http.client.HTTPException):
                conn.close()
                ok = False
            latencies.append(time.perf_counter() - began)
            if not ok:
                errors[0] += 1
        conn.close()

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 35)
    elapsed = time.perf_counter() - started
    ordered = sorted(latencies)
    if not ordered:
        return Result(0, errors[0], 0.0, 0.0, 0.0, "python")
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return Result(len(ordered), errors[0], len(ordered) / elapsed,
                  statistics.median(ordered) * 1000, p99 * 1000, "python")


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _wrk(port: int, path: str, connections: int, seconds: float,
         script: str | None = None) -> Result:
    threads = min(2, connections)
    out = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency",
         *(["-s", script] if script else []), f"http://{HOST}:{port}{path}"],
        capture_output=True, text=True, timeout=seconds + 30, check=True,
    ).stdout

    def latency(label: str) -> float:
        value, unit = re.search(rf"^\s*{label}\s+([\d.]+)(us|ms|s)\s*$", out, re.M).groups()
        return float(value) * _UNITS[unit]

    total = int(re.search(r"(\d+) requests in", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    return Result(total, (int(bad.group(1)) if bad else 0) + socket_errors,
                  float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
                  latency("50%"), latency("99%"), "wrk")
