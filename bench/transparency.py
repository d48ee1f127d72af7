"""Issue 17's speed budgets for the transparency log, printed:

- appending an entry adds under 5 ms to a publish (the reviewer names, the entry, the lock, the
  size and frontier reads, the signature and the insert, as the publish service runs them inside
  its transaction; the commit that follows is timed on its own row, since the publish commits
  with or without the entry), measured on a log of BENCH_LOG_ENTRIES entries;
- an inclusion or a consistency proof for a log of 1,000,000 entries is served in under 20 ms
  (a whole request through Django and DRF, random indexes and sizes, and the proof of a story's
  revision found by its slug and number).

    .venv/bin/python bench/transparency.py
    BENCH_LOG_ENTRIES=100000 .venv/bin/python bench/transparency.py   # a quicker run

Environment: BENCH_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432), BENCH_POSTGRES_DB
(newsroom_bench_transparency: dropped and made again), BENCH_LOG_ENTRIES (1000000),
BENCH_REQUESTS per proof kind (500), BENCH_APPENDS (200), BENCH_REUSE=1 (keep the database of
an earlier run and fill it only if it has fewer than BENCH_LOG_ENTRIES entries: a million take
one to two minutes to load, so the measurements can be repeated when the machine is quieter).

Besides wall-clock percentiles, each row shows the CPU time the operation cost this process's
thread (median and 95th percentile) and its PostgreSQL backend (median, read from /proc when the
server is local), and the load average is printed at the start and the end: on a shared machine
the wall clock also counts the time spent waiting for a CPU, the CPU columns do not.
"""

from __future__ import annotations

import base64
import os
import random
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)  # bench/http.py would shadow the standard library's http package

PG_SERVER = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")
PG_NAME = os.environ.get("BENCH_POSTGRES_DB", "newsroom_bench_transparency")
ENTRIES = int(os.environ.get("BENCH_LOG_ENTRIES", "1000000"))
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "500"))
APPENDS = int(os.environ.get("BENCH_APPENDS", "200"))
REUSE = os.environ.get("BENCH_REUSE", "") == "1"
APPEND_BUDGET_MS, PROOF_BUDGET_MS = 5.0, 20.0
# Unmeasured appends first: a process's first one loads the signing key and its connection's
# first statements fill PostgreSQL's caches, which a running web process has long done.
WARM_UP = 5


def _database() -> str:
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True, connect_timeout=3) as c:
        exists = c.execute("SELECT 1 FROM pg_database WHERE datname = %s", [PG_NAME]).fetchone()
        if not (REUSE and exists):
            c.execute(f"DROP DATABASE IF EXISTS {PG_NAME} WITH (FORCE)")
            c.execute(f"CREATE DATABASE {PG_NAME}")
    return f"{PG_SERVER}/{PG_NAME}"


def _setup() -> None:
    os.environ.update({
        "DATABASE_URL": _database(), "DJANGO_SETTINGS_MODULE": "newsroom.settings",
        "DJANGO_DEBUG": "0", "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "testserver", "DJANGO_SECURE_SSL_REDIRECT": "0",
        "AUDIT_HMAC_KEY": secrets.token_urlsafe(48),
        "AUDIT_CHECKPOINT_PATH": str(Path(tempfile.mkdtemp()) / "checkpoints.jsonl"),
        "TRANSPARENCY_SIGNING_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
        "NEWSROOM_THROTTLE_ANON": "1000000/second", "NEWSROOM_PAGE_CACHE_SECONDS": "0",
        "DATABASE_CONN_MAX_AGE": "60",  # persistent connections, as production runs
        "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    })
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _fill(count: int) -> float:
    """`count` entries shaped like real ones, with every subtree, frontier, root and signature
    computed as the log computes them; loaded with COPY (fixture loading, not the code measured: the
    per-append cost is measured separately). Returns the seconds taken."""
    from django.db import connection

    from audit import merkle, transparency, tree_heads

    started = time.perf_counter()
    key = transparency.signing_key()
    nodes: dict = {}
    columns = ('"index", data, nodes, frontier, root, timestamp, key, signature, content_hash, '
               "kind, revision_number")
    connection.ensure_connection()
    with connection.connection.cursor() as cursor, cursor.copy(
            f"COPY audit_transparencyentry ({columns}) FROM STDIN") as copy:
        for index in range(count):
            content_hash = secrets.token_hex(32)
            fields = {"v": 1, "kind": "publish", "story": f"/stories/bench-story-{index}/",
                      "revision": 1, "content_hash": content_hash, "hash_version": 2,
                      "reviewers": ["Bench Reviewer"], "at": "2026-12-01T00:00:00.000Z",
                      "sources": [{"number": n, "key": f"bench-{n}",
                                   "snapshot_sha256": secrets.token_hex(32)}
                                  for n in range(1, 6)]}
            data = transparency.encode_entry(fields)
            made = merkle.appended(index, data.encode(), nodes)
            for level, digest in enumerate(made):
                nodes[(level, index >> level)] = digest
            for level in range(len(made) - 1):  # merged into the new node: off the frontier
                del nodes[(level, index >> level)]
                del nodes[(level, (index >> level) - 1)]
            root = merkle.tree_root(index + 1, nodes).hex()
            head = tree_heads.sign(size=index + 1, root=root, timestamp=fields["at"], key=key)
            frontier = b"".join(nodes[node] for node in merkle.frontier(index + 1))
            copy.write_row((index, data, "".join(d.hex() for d in made), frontier, root,
                            head.timestamp, head.key, head.signature, content_hash, "publish",
                            1))
    connection.connection.commit()
    # A log that grew to a million entries one publish at a time has been vacuumed by autovacuum
    # long since; a table just loaded by COPY has no hint bits or visibility map yet, and its
    # first reads write pages (EXPLAIN shows "written=" on a proof's query).
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE) audit_transparencyentry")
    return time.perf_counter() - started


def _story():
    """One story published through the services, for real appends of its revision (an earlier
    run's, when the database is reused)."""
    from stories.models import Story
    from tests.factories import SourceFactory, UserFactory
    from tests.public.helpers import publish_story

    published = Story.objects.published().select_related("live_revision").order_by("pk")
    if REUSE and published.exists():
        return published.first()

    writer = UserFactory(username="bench-writer", roles=["Writers"])
    reviewer = UserFactory(username="bench-reviewer", first_name="Bench",
                           last_name="Reviewer", roles=["Reviewers"])
    editor = UserFactory(username="bench-editor", roles=["Editors"])
    story = publish_story(writer, reviewer, editor,
                          sources=[SourceFactory() for _ in range(5)])
    return Story.objects.select_related("live_revision").get(pk=story.pk)


class Cpu:
    """CPU time spent by this thread and by the database backend serving its connection."""

    def __init__(self):
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            self.path = Path(f"/proc/{cursor.fetchone()[0]}/schedstat")
        self.spent: dict[str, list[tuple[int, int]]] = {}

    def _now(self) -> tuple[int, int]:
        try:
            backend = int(self.path.read_text().split()[0])
        except (OSError, ValueError, IndexError):  # the server is not on this machine
            backend = -1
        return time.thread_time_ns(), backend

    def start(self) -> tuple[int, int]:
        return self._now()

    def add(self, label: str, since: tuple[int, int]) -> None:
        client, backend = self._now()
        self.spent.setdefault(label, []).append(
            (client - since[0], backend - since[1] if min(backend, since[1]) >= 0 else 0))

    def ms(self, label: str) -> tuple[float, float, float]:
        """Median CPU time of this process, its 95th percentile, and the backend's median."""
        samples = self.spent.get(label) or [(0, 0)]
        client = sorted(c for c, _ in samples)
        return (statistics.median(client) / 1e6, client[max(int(len(client) * 0.95) - 1, 0)] / 1e6,
                statistics.median(b for _, b in samples) / 1e6)


CPU: Cpu | None = None


def _ms(samples: list[float]) -> tuple[float, float, float]:
    ordered = sorted(samples)
    return (statistics.median(ordered) * 1000, ordered[int(len(ordered) * 0.95) - 1] * 1000,
            ordered[-1] * 1000)


def _appends(story) -> tuple[list[float], list[float]]:
    """The append as the publish service runs it, inside the publishing transaction (already
    open, as a publish's is when it appends), and that transaction's commit."""
    from django.db import connection, transaction

    from stories import selectors, transparency

    for _ in range(WARM_UP):  # a running server's first append has long been made
        with transaction.atomic():
            transparency.log_revision(
                story=story, revision=story.live_revision, kind="update",
                reviewers=selectors.approving_reviewers(story.live_revision), note="Bench.")
    appends, commits = [], []
    for _ in range(APPENDS):
        with transaction.atomic():
            with connection.cursor() as cursor:  # the publish's own work, not measured
                cursor.execute("SELECT 1")
            cpu, started = CPU.start(), time.perf_counter()
            transparency.log_revision(
                story=story, revision=story.live_revision, kind="update",
                reviewers=selectors.approving_reviewers(story.live_revision), note="Bench.")
            appends.append(time.perf_counter() - started)
            CPU.add("append", cpu)
            cpu, started = CPU.start(), time.perf_counter()
        commits.append(time.perf_counter() - started)
        CPU.add("commit", cpu)
    return appends, commits


def _requests(client, url: str, params, label: str) -> list[float]:
    samples = []
    for query in params:
        cpu, started = CPU.start(), time.perf_counter()
        response = client.get(url, query)
        samples.append(time.perf_counter() - started)
        CPU.add(label, cpu)
        if response.status_code != 200:
            raise SystemExit(f"{url} {query}: {response.status_code} {response.content[:200]}")
    return samples


def _load() -> str:
    with open("/proc/loadavg", encoding="ascii") as handle:
        return " ".join(handle.read().split()[:3])


def main() -> None:
    global CPU
    started_at, load_before = time.strftime("%H:%M:%S", time.gmtime()), _load()
    _setup()
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from audit import transparency

    fill = 0.0 if REUSE and transparency.log_size() >= ENTRIES else _fill(ENTRIES)
    story = _story()
    CPU = Cpu()
    appends, commits = _appends(story)
    size = transparency.log_size()
    rng = random.Random(17)  # noqa: S311 - benchmark inputs, not secrets
    client = Client()
    inclusion_url = reverse("api-transparency-inclusion")
    consistency_url = reverse("api-transparency-consistency")
    inclusion = _requests(client, inclusion_url,
                          [{"index": rng.randrange(size)} for _ in range(REQUESTS)], "inclusion")
    historical = []
    for _ in range(REQUESTS):
        at = rng.randrange(1, size + 1)
        historical.append({"index": rng.randrange(at), "size": at})
    inclusion_old = _requests(client, inclusion_url, historical, "inclusion_old")
    by_story = _requests(client, inclusion_url,
                         [{"story": story.slug, "revision": story.live_revision.number}
                          for _ in range(REQUESTS)], "inclusion_story")
    consistency = _requests(client, consistency_url,
                            [{"first": rng.randrange(1, size)} for _ in range(REQUESTS)],
                            "consistency")
    pairs = []
    for _ in range(REQUESTS):
        second = rng.randrange(2, size + 1)
        pairs.append({"first": rng.randrange(1, second), "second": second})
    consistency_any = _requests(client, consistency_url, pairs, "consistency_any")

    round_trips = []
    for _ in range(REQUESTS):
        cpu, started = CPU.start(), time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        round_trips.append(time.perf_counter() - started)
        CPU.add("select", cpu)
    floor = _requests(client, reverse("robots-txt"), [{} for _ in range(REQUESTS)], "robots")
    rows = [
        ("floor: one database round trip (SELECT 1)", "select", round_trips, None),
        ("floor: GET /robots.txt through Django (no database)", "robots", floor, None),
        ("append an entry in the publish's transaction (reviewers, lock, last entry, sign, "
         "insert)", "append", appends, APPEND_BUDGET_MS),
        ("the publish's commit after it (paid with or without the entry)", "commit", commits,
         None),
        ("inclusion proof, random entry, current size (HTTP through Django)", "inclusion",
         inclusion, PROOF_BUDGET_MS),
        ("inclusion proof, random entry and size", "inclusion_old", inclusion_old,
         PROOF_BUDGET_MS),
        ("inclusion proof of a story's revision (?story=&revision=), current size",
         "inclusion_story", by_story, PROOF_BUDGET_MS),
        ("consistency proof, random first size to now", "consistency", consistency,
         PROOF_BUDGET_MS),
        ("consistency proof, random pair of sizes", "consistency_any", consistency_any,
         PROOF_BUDGET_MS),
    ]
    print(f"Transparency log benchmark: {size:,} entries in PostgreSQL ({PG_NAME}); "
          + (f"filled in {fill:.0f} s" if fill else "filled by an earlier run"))
    print(f"{'operation':<96} {'p50 ms':>7} {'p95 ms':>7} {'max ms':>7} {'cpu ms':>7} "
          f"{'cpu p95':>7} {'db cpu':>7} {'budget':>7}  ok")
    for label, key, samples, budget in rows:
        p50, p95, worst = _ms(samples)
        client_cpu, client_cpu_p95, backend_cpu = CPU.ms(key)
        verdict = "" if budget is None else "yes" if p95 < budget else "NO"
        print(f"{label:<96} {p50:7.2f} {p95:7.2f} {worst:7.2f} {client_cpu:7.2f} "
              f"{client_cpu_p95:7.2f} {backend_cpu:7.2f} "
              f"{'' if budget is None else f'{budget:.1f}':>7}  {verdict}")
    ended_at = time.strftime("%H:%M:%S", time.gmtime())
    print(f"load average (1, 5, 15 min) on {os.cpu_count()} CPUs: {load_before} at the start "
          f"({started_at} UTC), {_load()} at the end ({ended_at})")
    print(f"({len(appends)} appends after {WARM_UP} unmeasured, {REQUESTS} requests per proof "
          "row; p50/p95/max = wall clock; ok = wall p95 within budget; cpu ms, cpu p95 = median "
          "and 95th percentile CPU time of this process's thread, db cpu = median CPU time of "
          "its database backend)")


if __name__ == "__main__":
    main()
