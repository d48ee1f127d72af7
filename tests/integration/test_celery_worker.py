"""A real Celery worker on Redis captures sources added the way writers add them."""

import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.db import connection

from newsroom.celery import app
from sources import selectors, services
from sources.models import Health, LinkCheck, Source
from sources.tasks import check_cited_links
from tests.conftest import need
from tests.sources.fixture_server import Page, fixture_server, redirect
from tests.sources.test_services import publish

pytestmark = [pytest.mark.celery_worker,
              pytest.mark.django_db(transaction=True, serialized_rollback=True)]

BROKER = "redis://127.0.0.1:6379/15"
ROOT = Path(__file__).resolve().parents[2]
WAIT_SECONDS = 60
FIGURES_PAGE = (
    "<html><head><title>Chipmaker shares jump</title></head><body><nav>Menu</nav><article>"
    "<p>Shares of the chipmaker rose 6 per cent on Tuesday, the highest since 2021.</p>"
    "<p>The plan exceeds the 380bn yuan commitment made in March.</p></article></body></html>"
)


def redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        name = str(db["NAME"])
        assert not name.startswith(("file:", ":memory:")), "the test database must be a file"
        return f"sqlite:///{name}?transaction_mode=IMMEDIATE&timeout=30"
    if connection.vendor == "postgresql":
        auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
        return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    pytest.skip(f"no worker set-up for {connection.vendor}")


def wait_for(condition, what: str, timeout: float = WAIT_SECONDS):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.25)
    pytest.fail(f"waited {timeout:g} s for {what}")


def drop_pools() -> None:
    # Even eager tasks acquire a producer, so earlier tests leave pools bound to the default
    # broker; without this, tasks would go there (and enqueue() would only log the failure).
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def broker():
    need(redis_up(), "Redis is not running on 127.0.0.1:6379")
    saved = {key: app.conf.get(key) for key in ("broker_url", "task_always_eager")}
    app.conf.broker_url, app.conf.task_always_eager = BROKER, False
    drop_pools()
    with app.connection_for_write() as conn:
        conn.default_channel.queue_purge("celery")
    yield app
    app.conf.update(saved)
    drop_pools()


@pytest.fixture
def shared_sqlite(transactional_db):
    """Two processes write to one SQLite file: WAL (readers never wait) and IMMEDIATE write
    transactions that wait for the lock instead of failing with "database is locked"."""
    if connection.vendor != "sqlite":
        yield
        return
    options = connection.settings_dict.setdefault("OPTIONS", {})
    saved = dict(options)
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode=WAL")  # kept in the file: the worker gets it too
    options.update(transaction_mode="IMMEDIATE", timeout=30)
    connection.close()  # reconnect with the options above
    yield
    connection.close()
    options.clear()
    options.update(saved)


def worker_env(settings, broker_url: str, **extra: str) -> dict[str, str]:
    """A worker process's environment: this test's database and media folder and the given
    broker, and nothing of this process's CELERY_, DATABASE_, PYTEST_ or REDIS_ settings."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("CELERY_", "DATABASE_", "PYTEST_", "REDIS_"))}
    env.update({
        "DJANGO_SETTINGS_MODULE": "newsroom.settings",
        "CELERY_BROKER_URL": broker_url,
        "DATABASE_URL": database_url(),
        "DATABASE_CONN_MAX_AGE": "0",
        "DJANGO_MEDIA_ROOT": str(settings.MEDIA_ROOT),
        **extra,
    })
    return env


def start_worker(log: Path, env: dict[str, str], *arguments: str) -> subprocess.Popen:
    """`celery -A newsroom worker <arguments>` in its own session, its output appended to log."""
    with open(log, "ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "newsroom", "worker", *arguments],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def stop_worker(process: subprocess.Popen) -> None:
    """SIGTERM (a warm shutdown), then SIGKILL to the whole session after 20 s."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


@contextmanager
def ready_worker(log: Path, env: dict[str, str], *arguments: str):
    """A started worker, once it says it is ready; stopped on the way out."""
    process = start_worker(log, env, *arguments)
    try:
        wait_for(lambda: (log.exists() and b" ready." in log.read_bytes())
                 or process.poll() is not None, "the worker to start")
        assert process.poll() is None, log.read_text(errors="replace")
        yield process
    finally:
        stop_worker(process)


@pytest.fixture
def worker(shared_sqlite, broker, settings, tmp_path):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    # The fixture server is on loopback: let exactly that through, and nothing else, so a
    # redirect to a private address is refused by the worker as in production.
    env = worker_env(settings, BROKER, SOURCE_FETCH_ALLOW_PRIVATE="0",
                     SOURCE_FETCH_ALLOW_NETWORKS="127.0.0.0/8")
    log = tmp_path / "worker.log"
    # The queues production's fetch and default workers take; screenshots (seconds of Chromium
    # each) are a third worker's job and would only delay the captures this test waits for.
    with ready_worker(log, env, "-Q", "celery,captures", "--pool=solo", "--loglevel=INFO",
                      "--without-gossip",
                      "--without-mingle", "--without-heartbeat",
                      "--hostname", f"integration-{os.getpid()}@%h") as process:
        yield process, log


@pytest.fixture
def pages():
    routes = {
        "/figures": Page(FIGURES_PAGE),
        "/missing": Page("<h1>Not found</h1>", status=404),
        "/to-private": redirect("http://10.0.0.1/internal"),
        "/huge": Page(b"x" * (5 * 1024 * 1024 + 1), content_type="text/plain"),
    }
    with fixture_server(routes) as (base, server):
        yield base, server


@pytest.fixture
def roles(transactional_db):
    # The roles are groups made by a migration; an earlier transactional test's flush removes
    # them. The workflow only asks for membership by name.
    from django.contrib.auth.models import Group

    from stories.permissions import EDITORS, REVIEWERS, WRITERS

    for name in (WRITERS, REVIEWERS, EDITORS):
        Group.objects.get_or_create(name=name)


def test_worker_captures_sources_checks_links_and_finds_evidence(
        roles, worker, pages, writer, reviewer, editor):
    process, log = worker
    base, server = pages
    keys = {"figures": "chip-shares", "missing": "gone-page", "to-private": "sneaky",
            "huge": "huge-file"}
    for path, key in keys.items():
        services.source_create(user=writer, key=key, title=f"Fixture {path}",
                               url=f"{base}/{path}")

    def health(key):
        return Source.objects.get(key=key).health

    settled = lambda: all(health(k) != Health.UNKNOWN for k in keys.values())  # noqa: E731
    wait_for(settled, "every source to be captured by the worker")
    figures = Source.objects.get(key="chip-shares")
    snapshot = figures.snapshots.get()
    assert (snapshot.status_code, snapshot.title, figures.health) == (
        200, "Chipmaker shares jump", Health.OK)
    assert snapshot.body.read() == FIGURES_PAGE.encode()
    assert "Menu" not in snapshot.text
    assert health("gone-page") == Health.BROKEN
    sneaky = Source.objects.get(key="sneaky").snapshots.get()
    assert sneaky.error.startswith("refused:") and "10.0.0.1" in sneaky.error
    assert health("sneaky") == Health.UNREACHABLE
    huge = Source.objects.get(key="huge-file").snapshots.get()
    assert huge.error.startswith("too_large:") and not huge.body
    assert all(path != "/internal" for path, _ in server.seen)

    story = publish(figures, writer, reviewer, editor, body=(
        "Shares rose over 6%, the highest since 2021 [@chip-shares]. "
        "The plan exceeds the 380 billion yuan commitment [@chip-shares]. "
        "Output rose 9% [@gone-page]."))
    revision = story.latest_revision
    evidence = selectors.claim_evidence(revision)
    assert [e["status"] for e in evidence[1]] == ["found"]
    assert "6 per cent" in evidence[1][0]["excerpt"]
    assert [e["status"] for e in evidence[2]] == ["found"]
    assert [e["status"] for e in evidence[3]] == ["no_snapshot"]
    assert selectors.evidence_warnings(revision) == []

    before = LinkCheck.objects.count()
    server.routes["/figures"] = Page(
        "<html><body><article><p>This page was removed by the publisher. Read our latest "
        "coverage of markets and technology.</p></article></body></html>")
    check_cited_links.delay()
    wait_for(lambda: LinkCheck.objects.count() >= before + 2, "the periodic link check")
    wait_for(lambda: health("chip-shares") == Health.CHANGED, "drift to be noticed")
    assert health("gone-page") == Health.BROKEN
    ran = log.read_text(errors="replace")
    assert "sources.tasks.capture_source" in ran and "sources.tasks.check_source_link" in ran
    assert process.poll() is None, ran
