"""`make bench`: every benchmark of issues 7 and 13 in one table, printed and written to
results.md: the origin with the article fragment cold and warm, the edge cache (Varnish), the
Wagtail 8 peer in the same run, a mixed read/write load and the public-page code size.

    .venv/bin/python bench/run.py
    BENCH_SECONDS=2 BENCH_RUNS=1 .venv/bin/python bench/run.py   # a quick smoke run

Environment: BENCH_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432; the database
newsroom_bench is dropped and made again), BENCH_SECONDS per load run (5), BENCH_RUNS (3),
BENCH_CONNECTIONS (8), BENCH_MIXED_SECONDS (10), BENCH_PEER=0 skips Wagtail. Without
PostgreSQL it falls back to a SQLite file and says so.
"""

from __future__ import annotations

import os
import platform
import secrets
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

# Run as a script, Python puts bench/ first on the path, where bench/http.py would shadow
# the standard library's http package.
ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)

PG_SERVER = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")
PG_NAME = "newsroom_bench"
SECONDS = float(os.environ.get("BENCH_SECONDS", "5"))
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "8"))
MIXED_SECONDS = float(os.environ.get("BENCH_MIXED_SECONDS", "10"))
RESULTS = ROOT / "bench" / "results.md"
STARTED = time.monotonic()


def database() -> tuple[str, str]:
    """A fresh benchmark database: (DATABASE_URL, description for the table)."""
    try:
        import psycopg

        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True, connect_timeout=3) as c:
            c.execute(f"DROP DATABASE IF EXISTS {PG_NAME} WITH (FORCE)")
            c.execute(f"CREATE DATABASE {PG_NAME}")
            version = c.execute("SHOW server_version").fetchone()[0]
        return f"{PG_SERVER}/{PG_NAME}", f"PostgreSQL {version} ({PG_NAME})"
    except Exception as exc:  # noqa: BLE001 - any failure means: fall back and say why
        path = Path(tempfile.gettempdir()) / "newsroom-bench.sqlite3"
        path.unlink(missing_ok=True)
        reason = str(exc).strip().splitlines()[0][:80]
        return f"sqlite:///{path}", f"SQLite file (NOT PostgreSQL, budgets assume it: {reason})"


def audit_keys() -> dict[str, str]:
    """Fresh audit keys from `manage.py audit_keygen` and a throwaway checkpoint file: with
    DEBUG off the app refuses to start without them."""
    out = subprocess.run([sys.executable, "manage.py", "audit_keygen"], cwd=ROOT, check=True,
                         capture_output=True, text=True,
                         env={**os.environ, "DJANGO_DEBUG": "1"}).stdout
    keys = dict(line.split("=", 1) for line in out.split() if "=" in line)
    checkpoint = Path(tempfile.mkdtemp(prefix="newsroom-bench-")) / "audit-checkpoints"
    return {**keys, "AUDIT_CHECKPOINT_PATH": str(checkpoint)}


def environment(database_url: str) -> dict[str, str]:
    """Production-like settings: DEBUG off, a random secret, persistent connections."""
    return {
        **audit_keys(),
        **os.environ,
        "DATABASE_URL": database_url,
        "DATABASE_CONN_MAX_AGE": os.environ.get("DATABASE_CONN_MAX_AGE", "60"),
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        # One client address makes every request: the anonymous API throttle would answer 429.
        # A one-second window also keeps its per-address history as short as production's.
        "NEWSROOM_THROTTLE_ANON": "1000000/second",
        "DJANGO_LOG_LEVEL": "ERROR",
    }


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL)


def step(message: str) -> None:
    print(f"[{time.monotonic() - STARTED:5.0f} s] {message}", flush=True)


def main() -> int:
    database_url, database_note = database()
    env = environment(database_url)
    step(f"database: {database_note}; migrating and collecting static files")
    manage(env, "migrate", "--noinput")
    manage(env, "collectstatic", "--noinput")  # DEBUG=0 serves hashed names from a manifest

    # In-process work (fixtures, admin screens) uses the same settings; the test client's
    # host name joins the allowed hosts only here.
    os.environ.update(env, DJANGO_ALLOWED_HOSTS="127.0.0.1,testserver",
                      DJANGO_SETTINGS_MODULE="newsroom.settings")
    import django

    django.setup()
    from django.db import connections

    from bench import citations, fixtures, http, mixed, peer, screens, size

    step("building data through the workflow")
    data = fixtures.build()
    step("citation engine")
    engine = citations.run()
    step("admin screens")
    screen_rows = screens.run(data, runs=RUNS)
    connections.close_all()

    pages = http.targets(data.typical_slug, data.long_slug)
    rows, memory_rows = [], []
    for mode in http.MODES:
        if mode == "Varnish" and not http.varnish_binary():
            step("Varnish: varnishd is not installed (apt-get install varnish); skipped")
            continue
        step(f"HTTP, {mode} ({len(pages)} pages × {RUNS} × {SECONDS:g} s)")
        mode_rows, mem = http.measure(env, pages, mode, runs=RUNS, seconds=SECONDS,
                                      connections=CONNECTIONS,
                                      track_memory=mode == "fragment cold")
        rows += mode_rows
        memory_rows = mem or memory_rows

    step("Wagtail 8 peer: setup.sh, then bench.sh uncached (two 10 s rounds per page)")
    wagtail = peer.run()
    step(f"mixed load: readers on {mixed.STORIES} stories, writers and an editor, "
         f"{MIXED_SECONDS:g} s")
    mixes = [mixed.run(env, seconds=MIXED_SECONDS, connections=CONNECTIONS, via=via)
             for via in ("origin", "Varnish")]
    connections.close_all()

    table = render(database_note, engine, screen_rows, rows, memory_rows, wagtail, mixes,
                   size.rows())
    print()
    print(table)
    RESULTS.write_text(table)
    step(f"written to {RESULTS.relative_to(ROOT)}")
    return 0


def _mark(ok: bool) -> str:
    return "✓" if ok else "✗"


def render(database_note, engine, screen_rows, rows, memory_rows, wagtail, mixes,
           size_rows) -> str:
    import django

    from bench.http import BUDGETS, WORKERS
    from bench.memory import GROWTH_BUDGET
    from bench.peer import FACTOR

    tool = next((r.tool for r in rows if r.tool), "none")
    lines = [
        "# Newsroom benchmarks (`make bench`)",
        "",
        f"- date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"- machine: {os.cpu_count()} CPUs, {platform.system()} {platform.machine()}",
        f"- Python {platform.python_version()}, Django {django.get_version()}",
        f"- database: {database_note}; persistent connections "
        f"(CONN_MAX_AGE={os.environ.get('DATABASE_CONN_MAX_AGE')}); cache: "
        f"{'Redis' if os.environ.get('REDIS_URL') else 'local memory (per worker)'}",
        f"- HTTP: gunicorn, {WORKERS} sync workers, 127.0.0.1, DEBUG=0; load: {tool}, "
        f"{CONNECTIONS} connections, {SECONDS:g} s per run; every figure is the median of "
        f"{RUNS} runs; ratio = req/s ÷ /robots.txt req/s at the origin in the same round",
        "- modes: fragment cold = NEWSROOM_PAGE_CACHE_SECONDS=0 (the article fragment is "
        "rendered every request); fragment warm = 300 s, the origin with no page cache; "
        "Varnish = varnishd (deploy/varnish/default.vcl, malloc 128 MB) in front of the "
        "fragment-warm origin",
        "",
        "| benchmark | figure | ratio | budget |",
        "|---|---|---|---|",
        f"| citation engine: parse + render, 50,000 words / 2,000 claims / 300 sources "
        f"| {engine['ms']:.0f} ms, peak {engine['peak_mb']:.1f} MB "
        f"| | < 300 ms {_mark(engine['ms'] < 300)} |",
    ]
    for row in screen_rows:
        budget = row["budget_ms"]
        if row["ms"] is None:
            figure, verdict = f"— ({row['note']})", ""
        else:
            figure = f"{row['ms']:.0f} ms" + (f" ({row['note']})" if row["note"] else "")
            verdict = f"< {budget / 1000:g} s {_mark(row['ms'] < budget)}" if budget else ""
        lines.append(f"| {row['label']}, 2,000-claim story (server time) | {figure} "
                     f"| | {verdict} |")
    for row in memory_rows:
        if row["growth_pct"] is None:
            lines.append(f"| worker {row['pid']} RSS | replaced during the run | | ≤ 10% ✗ |")
            continue
        lines.append(
            f"| worker {row['pid']} RSS after warm-up → after {row['requests']:,} requests "
            f"| {row['before_mb']:.1f} → {row['after_mb']:.1f} MB "
            f"({row['growth_pct']:+.1f}%) | | ≤ {GROWTH_BUDGET:g}% "
            f"{_mark(row['growth_pct'] <= GROWTH_BUDGET)} |")
    for row in rows:
        budget = BUDGETS.get((row.label, row.cache))
        what = (f"{row.label}, through Varnish" if row.via == "Varnish"
                else f"{row.label}, origin, {row.cache}")
        if row.status != 200:
            answer = "not found (404)" if row.status == 404 else f"answered {row.status}"
            lines.append(f"| {what} (`{row.path}`) | {answer} | "
                         f"| {_floor_budget(budget) if budget else ''} |")
            continue
        verdict = f"{_floor_budget(budget)} {_mark(row.ratio >= budget)}" if budget else ""
        lines.append(f"| {what} | {row.rps:,.0f} req/s (p50 {row.p50_ms:.1f} ms, "
                     f"p99 {row.p99_ms:.1f} ms) | {row.ratio:.2f} of the floor | {verdict} |")

    ours = {r.cache: r for r in rows if r.label == "typical story" and r.via == "origin"
            and r.status == 200}
    if wagtail.story_rps:
        lines.append(f"| Wagtail 8 peer /hello/ (a plain Django view: its floor) "
                     f"| {wagtail.hello_rps:,.0f} req/s | | |")
        lines.append(f"| Wagtail 8 peer story page, no page cache "
                     f"| {wagtail.story_rps:,.0f} req/s | | |")
        for mode in ("fragment cold", "fragment warm"):
            if mode in ours:
                x = ours[mode].rps / wagtail.story_rps
                lines.append(f"| typical story, origin, {mode}, against Wagtail's story page "
                             f"| {ours[mode].rps:,.0f} req/s | {x:.2f}x Wagtail "
                             f"| ≥ {FACTOR:g}x Wagtail {_mark(x >= FACTOR)} |")
        lines.append(f"| Wagtail 8 peer versions | {wagtail.versions} | | |")
    else:
        lines.append(f"| Wagtail 8 peer | {wagtail.note} | | ≥ {FACTOR:g}x ✗ (not measured) |")

    for mix in mixes:
        lines += _mixed_rows(mix)

    lines += [f"| public-page serving code, lines before issue 13 (3493d9e) → now: {what} "
              f"| {before:,} → {now:,} | | |" for what, before, now in size_rows]
    return "\n".join(lines) + "\n"


def _floor_budget(budget: float) -> str:
    return "≥ the floor" if budget == 1 else f"≥ {budget:g} of the floor"


def _mixed_rows(mix) -> list[str]:
    from bench.mixed import P99_BUDGET_MS

    what = ("mixed load at the origin, fragment warm" if mix.via == "origin"
            else "mixed load through Varnish (purged on publish)")
    if mix.reader is None:
        return [f"| {what}: readers | {mix.note} | | |"]
    r = mix.reader
    return [
        f"| {what}: readers on 20 stories, {CONNECTIONS} connections (wrk), "
        f"{mix.seconds:g} s | {r.requests:,} requests, {r.rps:,.0f} req/s | | |",
        f"| {what}: reader errors (non-2xx, socket) | {r.errors} | "
        f"| 0 {_mark(r.errors == 0)} |",
        f"| {what}: reader latency p50 / p99 | {r.p50_ms:.1f} / {r.p99_ms:.1f} ms "
        f"| | p99 < {P99_BUDGET_MS:g} ms {_mark(r.p99_ms < P99_BUDGET_MS)} |",
        f"| {what}: 2 writers saving every 0.5 s, an editor publishing every 1 s "
        f"| {mix.saves} saves, {mix.publishes} publications, {len(mix.failures)} failures"
        f"{': ' + mix.failures[0] if mix.failures else ''} | | |",
    ]


if __name__ == "__main__":
    sys.exit(main())
