"""What bench/scale.py measures inside one archive: pages, API calls and the link sweep.

Each target is requested once to count its queries and EXPLAIN each of them (a sequential scan
of a large table is flagged), then `warm` times with the caches filled and `cold` times with
Django's cache cleared before each request. Times are milliseconds, median and p95.
"""

from __future__ import annotations

import os
import statistics
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import DatabaseError, connection
from django.db.models import Count, Value
from django.db.models.functions import Concat
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from bench.scale_data import COMMON_WORD, RARE_WORD, TITLE_WORD
from sources.models import Health, Source
from stories.models import Revision, State, Story
from stories.sitemaps import STORIES_PER_FILE


def _ms(samples: list[float]) -> dict:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"median": statistics.median(ordered) * 1000, "p95": p95 * 1000, "n": len(ordered)}


# A node that reads this many rows only to throw them away by a filter is a missing or unused
# index, even when the plan has no sequential scan (a listing that stepped over every draft).
WASTED_ROWS = 1_000


def _plans(queries, large: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """Large tables some captured SELECT reads with a sequential scan, and plan nodes that
    removed WASTED_ROWS or more rows by a filter: EXPLAIN (ANALYZE) of each query."""
    scans, wasted = set(), set()
    with connection.cursor() as cursor:
        for query in queries:
            sql = query["sql"]
            if not sql.lstrip().upper().startswith("SELECT"):
                continue
            try:
                cursor.execute("EXPLAIN (ANALYZE, TIMING OFF) " + sql)
            except DatabaseError:  # the query failed in the request too (its page shows a 500)
                continue
            node = ""
            for (line,) in cursor.fetchall():
                if " on " in line and ("Scan" in line or "Join" in line):
                    node = line.split(" on ", 1)[1].split()[0]
                if "Seq Scan on " in line:
                    table = line.split("Seq Scan on ", 1)[1].split()[0]
                    if table in large:
                        scans.add(table)
                if "Rows Removed by Filter: " in line:
                    removed = int(line.rsplit(":", 1)[1])
                    if removed >= WASTED_ROWS and node in large:
                        wasted.add(f"{node} ({removed:,})")
    return sorted(scans), sorted(wasted)


def targets() -> list[tuple[str, str, object]]:
    """(name, URL, user or None) of everything measured, picked from the archive itself."""
    User = get_user_model()
    editor = User.objects.get(username="editor000")
    published = Story.objects.published().order_by("id")
    typical = published[published.count() // 2]
    corrected = (Revision.objects.values("story").annotate(n=Count("id")).order_by("-n")
                 .values_list("story", flat=True).first())
    corrected = Story.objects.get(pk=corrected)
    author = (User.objects.filter(username__startswith="author").annotate(n=Count("stories"))
              .order_by("-n").first())
    cited = (Source.objects.annotate(n=Count("story_entries")).order_by("-n").first())
    in_review = Story.objects.filter(state=State.IN_REVIEW).order_by("id").first()
    return [
        ("robots.txt (floor)", "/robots.txt", None),
        ("home", "/", None),
        ("home, page 40", "/?page=40", None),
        ("story page", typical.get_absolute_url(), None),
        ("story history, corrected 200 times", f"{corrected.get_absolute_url()}history/", None),
        (f"source page, most cited ({cited.n:,} stories)", cited.get_absolute_url(), None),
        (f"author page, most prolific ({author.n:,})", f"/authors/{author.username}/", None),
        (f"search, common term ({COMMON_WORD})", f"/search/?q={COMMON_WORD}", None),
        (f"search, rare term ({RARE_WORD})", f"/search/?q={RARE_WORD}", None),
        ("sitemap index", "/sitemap.xml", None),
        ("sitemap, newest file",
         reverse("sitemap-stories", args=[published.last().pk // STORIES_PER_FILE]), None),
        ("feed", "/feed/", None),
        ("admin dashboard", "/admin/", editor),
        ("admin inbox", reverse("admin:stories_story_inbox"), editor),
        ("admin story changelist", "/admin/stories/story/", editor),
        ("admin changelist, state filter", "/admin/stories/story/?state__exact=in_review", editor),
        (f"admin changelist, search, common title word ({TITLE_WORD})",
         f"/admin/stories/story/?q={TITLE_WORD}", editor),
        (f"admin changelist, search, rare title word ({RARE_WORD})",
         f"/admin/stories/story/?q={RARE_WORD}", editor),
        ("admin audit events", "/admin/audit/event/", editor),
        ("admin source changelist", "/admin/sources/source/", editor),
        ("review screen", f"/admin/stories/story/{in_review.pk}/review/", editor),
        ("API stories", "/api/v1/stories/", editor),
        ("API stories, state filter", "/api/v1/stories/?state=in_review", editor),
        ("API stories, page 20", "/api/v1/stories/?page=20", editor),
        ("API public stories", "/api/v1/public/stories/", None),
        ("API sources, health filter", "/api/v1/sources/?health=broken", editor),
        ("API sources, page 6", "/api/v1/sources/?page=6", editor),
    ]


def _client(user) -> Client:
    client = Client(raise_request_exception=False)  # a 500 is a figure, shown as such
    if user is not None:
        client.force_login(user)
    return client


def measure_page(url: str, user, *, warm: int, cold: int, large, explain: bool) -> dict:
    client = _client(user)
    cache.clear()
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    scans, wasted = _plans(captured.captured_queries, large) if explain else ([], [])
    result = {"status": response.status_code, "queries": len(captured),
              "seq_scans": scans, "wasted": wasted, "load": os.getloadavg()[0],
              "bytes": len(response.content) if not response.streaming else 0}
    samples = {"warm": [], "cold": []}
    for _ in range(warm):
        started = time.perf_counter()
        client.get(url)
        samples["warm"].append(time.perf_counter() - started)
    for _ in range(cold):
        cache.clear()
        started = time.perf_counter()
        client.get(url)
        samples["cold"].append(time.perf_counter() - started)
    result["samples"] = samples
    return result


class _Answer(BaseHTTPRequestHandler):
    """Every cited page: a short report, or a 404 under /gone/ (the links the archive has as
    broken), so a sweep finds each link as the archive says it is and leaves it so: the next
    run on the same archive (SCALE_REUSE) lists as many broken links as the first."""

    def do_GET(self):  # noqa: N802 - the http.server API
        body = b"<html><head><title>A report</title></head><body><p>Text.</p></body></html>"
        self.send_response(404 if self.path.startswith("/gone/") else 200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_HEAD = do_GET

    def log_message(self, *args):
        pass


def _per_second(rate: str) -> float:
    """A Celery rate limit ("2/s", "60/m", "100/h") in tasks per second."""
    count, _, unit = rate.partition("/")
    return float(count) / {"s": 1, "m": 60, "h": 3600}[(unit or "s")[0]]


def sweep(seconds: float, story_url: str) -> dict:
    """The link sweep against a local HTTP server, time-boxed, as production runs each check:
    the work of check_source_link (services.source_check_link) one after another, unpaced, with
    the notifications its events cause queued for the workers (a Celery broker in memory here,
    nobody consuming it), not sent inline. Sources per second at that rate and the story page's
    p95 meanwhile; and the paced figures: NEWSROOM_LINK_CHECK_RATE is each worker's limit on
    check_source_link, so production never goes faster than that per worker."""
    from celery.signals import after_task_publish
    from django.conf import settings

    from newsroom.celery import app
    from sources import services
    from sources.tasks import cited_link_ids

    server = ThreadingHTTPServer(("127.0.0.1", 0), _Answer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    linked = Source.objects.exclude(url="")
    linked.exclude(health=Health.BROKEN).update(url=Concat(Value(base), "key"))
    linked.filter(health=Health.BROKEN).update(url=Concat(Value(f"{base}gone/"), "key"))
    started = time.perf_counter()
    ids = list(cited_link_ids())
    listing = time.perf_counter() - started
    done, started = 0, time.perf_counter()
    stop = threading.Event()
    page_samples: list[float] = []
    queued: dict[str, int] = {}

    def count(sender=None, **kwargs):
        queued[sender] = queued.get(sender, 0) + 1

    def reader():
        client = Client()
        while not stop.is_set():
            began = time.perf_counter()
            client.get(story_url)
            page_samples.append(time.perf_counter() - began)
            time.sleep(0.02)

    eager, broker = app.conf.task_always_eager, app.conf.broker_url
    app.conf.update(task_always_eager=False, broker_url="memory://")
    after_task_publish.connect(count, weak=False)
    thread = threading.Thread(target=reader)
    thread.start()
    cpu = time.process_time()
    try:
        for source_id in ids:
            services.source_check_link(source_id=source_id)
            done += 1
            if time.perf_counter() - started > seconds:
                break
    finally:
        cpu = time.process_time() - cpu
        stop.set()
        thread.join()
        server.shutdown()
        after_task_publish.disconnect(count)
        app.conf.update(task_always_eager=eager, broker_url=broker)
        # The sweep rewrote every source's address and checked thousands: vacuumed, as
        # autovacuum would in use, the next run on this archive (SCALE_REUSE) reads the
        # library as this one did, not a table with four times its rows in dead versions.
        with connection.cursor() as cursor:
            for table in ("sources_source", "sources_linkcheck", "audit_event"):
                cursor.execute(f"VACUUM (ANALYZE) {table}")  # noqa: S608 - fixed names
    elapsed = time.perf_counter() - started
    rate = done / elapsed if elapsed else 0
    paced = _per_second(settings.NEWSROOM_LINK_CHECK_RATE)
    return {"cited": len(ids), "listing_ms": listing * 1000, "checked": done,
            "per_second": rate, "full_sweep_s": len(ids) / rate if rate else None,
            # the process's CPU: the checks' and the reader's (the reader's pages are timed)
            "cpu_per_source_ms": cpu / done * 1000 if done else None,
            "queued": queued, "rate_limit": settings.NEWSROOM_LINK_CHECK_RATE,
            "paced_per_second": paced, "paced_full_sweep_h": len(ids) / paced / 3600,
            "page_during": _ms(page_samples) if page_samples else None}


def use(name: str, keys: dict) -> None:
    """Point this process at another archive: its database, its audit keys, empty caches."""
    from django.conf import settings

    connection.close()
    connection.settings_dict["NAME"] = name
    settings.AUDIT_HMAC_KEY = keys["AUDIT_HMAC_KEY"]
    settings.AUDIT_CHECKPOINT_PATH = keys["AUDIT_CHECKPOINT_PATH"]
    cache.clear()


def run(archives: list[tuple[int, str, dict]], *, warm: int, cold: int, rounds: int,
        sweep_seconds: float, large) -> dict:
    """Every target in every archive, the archives taking turns page by page and round by
    round, so a busy machine slows each size alike."""
    chosen = {}
    for stories, name, keys in archives:
        use(name, keys)
        chosen[stories] = targets()
    results = {stories: {} for stories, _, _ in archives}
    for index in range(len(next(iter(chosen.values())))):
        for turn in range(rounds):
            for stories, name, keys in archives:
                label, url, user = chosen[stories][index]
                use(name, keys)
                found = measure_page(url, user, warm=warm, cold=cold, large=large,
                                     explain=turn == 0)
                entry = results[stories].setdefault(label, {"url": url, "samples": {}})
                if turn == 0:
                    entry.update({k: v for k, v in found.items()
                                  if k not in ("samples", "load")})
                entry.setdefault("loads", []).append(found["load"])
                for kind, samples in found["samples"].items():
                    entry["samples"].setdefault(kind, []).extend(samples)
    for pages in results.values():
        for entry in pages.values():
            samples = entry.pop("samples")
            entry["warm"], entry["cold"] = _ms(samples["warm"]), _ms(samples["cold"])
            entry["load"] = statistics.mean(entry.pop("loads"))  # 1-minute load average
    figures = {}
    for stories, name, keys in archives:
        use(name, keys)
        figures[stories] = {"pages": results[stories],
                            "sweep": sweep(sweep_seconds, chosen[stories][3][1])}
    return figures
