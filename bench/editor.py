"""Benchmark of the admin editor (issue 14): python bench/editor.py

1. The check endpoint's server time (POST /api/v1/stories/{id}/check/ through Django's test
   client: routing, authentication, throttles, parsing and JSON, no network), median and p95 of
   BENCH_EDITOR_CALLS calls, for a 1,000-word story with 20 claims and the 50,000-word story with
   2,000 claims. Budgets: 50 ms and 400 ms. Every library source has a good snapshot of
   BENCH_EDITOR_SNAPSHOT_WORDS words (default 1,500, a long news article), so the check also
   matches each claim's figures against its sources' snapshots (the evidence warnings).
2. The editor bundle's size as committed (budget 400 KB loaded with the form: the entry and the
   chunks it imports statically).
3. Typing in the 50,000-word body in Chromium (Playwright, /usr/bin/chromium): keystroke to the
   next painted frame, median of BENCH_EDITOR_KEYS keystrokes (budget 50 ms);
   BENCH_EDITOR_BROWSER=0 skips it.

Uses its own SQLite file (and a runserver on a free port for the browser part).
"""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)
DB = Path(tempfile.gettempdir()) / "newsroom-bench-editor.sqlite3"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")
os.environ["DATABASE_URL"] = f"sqlite:///{DB}"
os.environ["NEWSROOM_CHECK_RATE"] = "100000/minute"
os.environ["NEWSROOM_THROTTLE_USER"] = "100000/minute"
CALLS = int(os.environ.get("BENCH_EDITOR_CALLS", "50"))
SNAPSHOT_WORDS = int(os.environ.get("BENCH_EDITOR_SNAPSHOT_WORDS", "1500"))
KEYS = int(os.environ.get("BENCH_EDITOR_KEYS", "60"))
CHROMIUM = "/usr/bin/chromium"


def setup():
    import django
    from django.core.management import call_command

    DB.unlink(missing_ok=True)
    django.setup()
    call_command("migrate", verbosity=0)
    from bench.fixtures import _library, _story, _user
    from stories.permissions import WRITERS

    writer = _user("bench-writer", WRITERS, "Writer")
    _library()
    _snapshots()
    small = _story(writer, "editor-small", "A 1,000-word story", words=1_000, claims=20,
                   sources=300, seed=3, listed=10)
    long = _story(writer, "editor-long", "A 2,000-claim story", words=50_000, claims=2_000,
                  sources=300, seed=1)
    return writer, small, long


def _snapshots() -> None:
    import random

    from bench.evidence import make_snapshot
    from sources.models import Snapshot, Source

    rng = random.Random(14)
    Snapshot.objects.bulk_create([
        Snapshot(source=source, requested_url=source.url, final_url=source.url,
                 status_code=200, content_type="text/html",
                 text=make_snapshot(rng, SNAPSHOT_WORDS))
        for source in Source.objects.filter(snapshots=None)
    ])


def _p95(values: list[float]) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(0.95 * (len(values) - 1))))]


def time_checks(writer, story) -> tuple[float, float, float, float, int, int, int]:
    from django.test import Client

    client = Client()
    client.force_login(writer)
    url = f"/api/v1/stories/{story.pk}/check/"
    keys = list(story.source_entries.order_by("position").values_list("source__key", flat=True))
    payload = {"body": story.body, "sources": keys}
    client.post(url, payload, content_type="application/json")  # warm
    times, cpu = [], []
    for _ in range(CALLS):
        started, started_cpu = time.perf_counter(), time.process_time()
        response = client.post(url, payload, content_type="application/json")
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
        assert response.status_code == 200, response.content[:200]
    data = response.json()
    evidence = sum(w["code"] == "figures_not_found" for w in data["warnings"])
    # CPU time of this process: what a machine busy with other work does not inflate.
    return (statistics.median(times), _p95(times), statistics.median(cpu), _p95(cpu),
            len(data["claims"]), len(story.body.split()), evidence)


def bundle() -> tuple[float, float]:
    """(KB loaded with the form, KB of every chunk): the entry and the chunks it imports
    statically, as assets/build.mjs counts them; import("./x.js") chunks load on demand."""
    import re

    outdir = ROOT / "stories" / "static" / "stories" / "editor"
    static_import = re.compile(r'(?:from|import)\s*"\./([^"]+\.js)"')
    initial, todo = set(), ["editor.js"]
    while todo:
        name = todo.pop()
        if name not in initial:
            initial.add(name)
            todo += static_import.findall((outdir / name).read_text())
    sizes = {p.name: p.stat().st_size for p in outdir.glob("*.js")}
    return sum(sizes[n] for n in initial) / 1024, sum(sizes.values()) / 1024


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


TYPE_PROBE = """async (count) => {
  const view = document.querySelector('textarea#id_body').newsroomEditor;
  view.dispatch({selection: {anchor: Math.floor(view.state.doc.length / 2)}, scrollIntoView: true});
  view.focus();
  window.__lat = [];
  document.addEventListener('keydown', (event) => {
    const start = event.timeStamp;
    requestAnimationFrame(() => setTimeout(() => window.__lat.push(performance.now() - start), 0));
  }, true);
  return view.state.doc.length;
}"""


def time_typing(writer, story) -> tuple[float, float, int]:
    from django.conf import settings
    from django.test import Client
    from playwright.sync_api import sync_playwright

    client = Client()
    client.force_login(writer)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    port = free_port()
    env = {**os.environ, "DJANGO_DEBUG": "1"}
    server = subprocess.Popen([sys.executable, "manage.py", "runserver", "--noreload",
                               "--skip-checks", f"127.0.0.1:{port}"],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                                 args=["--no-sandbox"])
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie,
                                  "url": base}])
            page = context.new_page()
            page.goto(f"{base}/admin/stories/story/{story.pk}/change/", timeout=180000)
            page.wait_for_selector(".nr-editor .cm-content", timeout=180000)  # slow when loaded
            page.wait_for_selector(".nr-live-panel .panel-claims", timeout=180000)
            length = page.evaluate(TYPE_PROBE, KEYS)
            for i in range(KEYS):
                page.keyboard.type("abcdefghij "[i % 11], delay=0)
                page.wait_for_timeout(40)
            page.wait_for_timeout(500)
            latencies = page.evaluate("window.__lat")
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=10)
    return statistics.median(latencies), max(latencies), length


def main() -> int:
    writer, small, long = setup()
    rows = []
    for story, budget in ((small, 50), (long, 400)):
        median, p95, cpu, cpu_p95, claims, words, evidence = time_checks(writer, story)
        rows.append(median <= budget)
        print(f"check endpoint, {words:,} words / {claims:,} claims ({evidence:,} evidence "
              f"warnings), {CALLS} calls: wall median {median:.1f} ms, p95 {p95:.1f} ms; "
              f"CPU median {cpu:.1f} ms, p95 {cpu_p95:.1f} ms (budget {budget} ms: wall "
              f"{'met' if median <= budget and p95 <= budget else 'MISSED'}, CPU "
              f"{'met' if cpu <= budget and cpu_p95 <= budget else 'MISSED'}; "
              f"load average {os.getloadavg()[0]:.1f})")
    first, total = bundle()
    print(f"editor bundle: {first:.1f} KB minified loaded with the form, {total:.1f} KB with the "
          f"search, merge view and add-source dialog loaded on demand (budget 400 KB: "
          f"{'met' if first <= 400 else 'MISSED'})")
    if os.environ.get("BENCH_EDITOR_BROWSER", "1") == "0":
        print("typing: skipped (BENCH_EDITOR_BROWSER=0)")
    elif Path(CHROMIUM).exists():
        median, worst, length = time_typing(writer, long)
        print(f"typing in the {len(long.body.split()):,}-word body ({length:,} characters): "
              f"keystroke to next frame median {median:.1f} ms, worst {worst:.1f} ms over {KEYS} "
              f"keys (budget 50 ms: {'met' if median <= 50 else 'MISSED'})")
    else:
        print(f"typing: skipped, no Chromium at {CHROMIUM}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
