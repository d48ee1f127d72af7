"""HTTP benchmarks: gunicorn with 2 sync workers on 127.0.0.1, each page with the page cache
on and off, as ratios to /robots.txt (the floor) measured in the same round; worker memory."""

from __future__ import annotations

import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench import loadgen, memory

ROOT = Path(__file__).resolve().parent.parent
WORKERS = 2
MEMORY_REQUESTS = 10_000
TOP_UP_SECONDS = 60

# (label, budget key); budgets are minimum ratios to the floor, from issue 7.
BUDGETS = {
    ("typical story", "off"): 0.5, ("typical story", "on"): 0.97,
    ("2,000-claim story", "off"): 0.2,
    ("home", "off"): 0.4, ("public story API", "off"): 0.4,
}


@dataclass(frozen=True)
class Row:
    """Median figures for one page in one cache mode; `status` is the probe's answer."""

    label: str
    path: str
    cache: str
    status: int
    rps: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    ratio: float = 0.0
    tool: str = ""


def targets(typical_slug: str, long_slug: str) -> list[tuple[str, str]]:
    return [
        ("/robots.txt (floor)", "/robots.txt"),
        ("/healthz", "/healthz"),
        ("home", "/"),
        ("typical story", f"/stories/{typical_slug}/"),
        ("2,000-claim story", f"/stories/{long_slug}/"),
        ("public story API", f"/api/v1/public/stories/{typical_slug}/"),
    ]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def gunicorn(env: dict[str, str]):
    """Run gunicorn in its own process group; kill the whole group on the way out."""
    port = free_port()
    command = [sys.executable, "-m", "gunicorn", "newsroom.wsgi:application",
               "--workers", str(WORKERS), "--worker-class", "sync",
               "--bind", f"127.0.0.1:{port}", "--timeout", "120"]
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log,
                                   start_new_session=True)
        try:
            _wait_ready(process, port, log)
            yield process, port
        finally:
            _stop(process)


def _wait_ready(process: subprocess.Popen, port: int, log) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is None and loadgen.probe(port, "/robots.txt") == 200:
            return
        if process.poll() is not None:
            break
        time.sleep(0.2)
    log.seek(0)
    raise RuntimeError(f"gunicorn did not start:\n{log.read()[-3000:].decode(errors='replace')}")


def _stop(process: subprocess.Popen) -> None:
    for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(wait)
            return
        except subprocess.TimeoutExpired:
            continue


def measure(env: dict[str, str], pages: list[tuple[str, str]], cache: str, *, runs: int,
            seconds: float, connections: int, track_memory: bool = False):
    """Rows for one cache mode (median of `runs` rounds) and, if asked, worker memory."""
    env = {**env, "NEWSROOM_PAGE_CACHE_SECONDS": "300" if cache == "on" else "0"}
    with gunicorn(env) as (process, port):
        statuses = {path: loadgen.probe(port, path) for _, path in pages}
        live = [(label, path) for label, path in pages if statuses[path] == 200]
        for _, path in live:  # warm-up: imports, templates, connections, the page cache
            loadgen.run(port, path, connections=connections, seconds=1)
        before = memory.workers_rss(process.pid)
        served = 0
        rounds: dict[str, list] = {path: [] for _, path in live}
        for _ in range(runs):
            results = {path: loadgen.run(port, path, connections=connections, seconds=seconds)
                       for _, path in live}
            floor = results[pages[0][1]].rps if pages[0][1] in results else 0
            for path, result in results.items():
                rounds[path].append((result, result.rps / floor if floor else 0.0))
                served += result.requests
        memory_report = None
        if track_memory:
            served += _top_up(port, live, MEMORY_REQUESTS - served, connections)
            memory_report = memory.report(before, memory.workers_rss(process.pid), served)
    rows = []
    for label, path in pages:
        if statuses[path] != 200:
            rows.append(Row(label, path, cache, statuses[path]))
            continue
        results = rounds[path]
        rows.append(Row(
            label, path, cache, 200,
            rps=statistics.median(r.rps for r, _ in results),
            p50_ms=statistics.median(r.p50_ms for r, _ in results),
            p99_ms=statistics.median(r.p99_ms for r, _ in results),
            ratio=statistics.median(ratio for _, ratio in results),
            tool=results[0][0].tool,
        ))
    return rows, memory_report


def _top_up(port: int, live: list[tuple[str, str]], missing: int, connections: int) -> int:
    """Serve the rest of the memory run's requests, every live page in turn, within a time
    limit (a slow page must not stretch the run); the table shows the count reached."""
    served, deadline = 0, time.monotonic() + TOP_UP_SECONDS
    while served < missing and live and time.monotonic() < deadline:
        for _, path in live:
            served += loadgen.run(port, path, connections=connections, seconds=2,
                                  max_requests=max(missing - served, 1)).requests
    return served
