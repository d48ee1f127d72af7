"""A real worker on its own Redis (never the shared one on 6379) survives that Redis restarting,
and work committed while the broker is down still gets done."""

import os
import shutil
import signal
import socket
import subprocess
import time
from contextlib import closing
from pathlib import Path

import pytest

from newsroom.celery import app
from sources import services
from sources.models import Health, Source
from tests.conftest import need
from tests.integration.test_celery_worker import (
    FIGURES_PAGE,
    drop_pools,
    ready_worker,
    start_worker,
    stop_worker,
    wait_for,
    worker_env,
)
from tests.sources.fixture_server import Page, fixture_server

pytestmark = [pytest.mark.celery_worker,
              pytest.mark.django_db(transaction=True, serialized_rollback=True)]

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def pong(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


class OwnRedis:
    """A throwaway redis-server on a free port that a test may stop and start again."""

    def __init__(self, directory: Path):
        self.port, self.directory, self.process = free_port(), directory, None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
             # As a broker should run: every write in the append-only file.
             "--save", "", "--appendonly", "yes", "--appendfsync", "always",
             "--dir", str(self.directory)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(lambda: pong(self.port), f"redis-server on port {self.port}", timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()  # a crash, not a clean shutdown
            self.process.wait(timeout=10)
        wait_for(lambda: not pong(self.port), "redis-server to stop", timeout=10)


@pytest.fixture
def own_redis(tmp_path):
    need(shutil.which("redis-server") is not None, "redis-server is not installed")
    redis = OwnRedis(tmp_path)
    redis.start()
    saved = {key: app.conf.get(key) for key in ("broker_url", "task_always_eager")}
    app.conf.broker_url, app.conf.task_always_eager = redis.url, False
    drop_pools()
    try:
        yield redis
    finally:
        app.conf.update(saved)
        drop_pools()
        if redis.process and redis.process.poll() is None:
            redis.process.kill()
            redis.process.wait(timeout=10)


def outage_worker(redis: OwnRedis, settings) -> tuple[dict[str, str], list[str]]:
    """The environment and arguments of a worker in the production shape: a prefork pool,
    with gossip, mingle and heartbeats on."""
    env = worker_env(settings, redis.url, SOURCE_FETCH_ALLOW_PRIVATE="0",
                     SOURCE_FETCH_ALLOW_NETWORKS="127.0.0.0/8")
    return env, ["--concurrency=1", "--loglevel=INFO", "--hostname", f"outage-{os.getpid()}@%h"]


@pytest.fixture
def worker(shared_sqlite, own_redis, settings, tmp_path):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    env, arguments = outage_worker(own_redis, settings)
    log = tmp_path / "worker.log"
    with ready_worker(log, env, *arguments) as process:
        yield process, log


@pytest.fixture
def site():
    with fixture_server({"/figures": Page(FIGURES_PAGE), "/again": Page(FIGURES_PAGE),
                         "/slow": slow_page}) as (base, server):
        yield base, server


def slow_page(handler):
    time.sleep(6)  # the broker restarts while this capture runs
    return Page(FIGURES_PAGE)


def captured(key: str) -> bool:
    return Source.objects.get(key=key).health != Health.UNKNOWN


def test_worker_reconnects_after_its_redis_restarts_and_runs_the_next_task(
        roles, own_redis, worker, site, writer):
    process, log = worker
    base, _ = site
    services.source_create(user=writer, key="before", title="Before", url=f"{base}/figures")
    wait_for(lambda: captured("before"), "the capture queued before the restart")

    own_redis.stop()
    time.sleep(3)  # the worker notices and starts retrying
    own_redis.start()

    services.source_create(user=writer, key="after", title="After", url=f"{base}/again")
    wait_for(lambda: captured("after"), "a capture queued after the restart")
    text = log.read_text(errors="replace")
    assert process.poll() is None, text
    assert "Unrecoverable error" not in text
    assert Source.objects.get(key="after").health == Health.OK


def test_worker_survives_its_redis_restarting_while_a_task_runs(
        roles, own_redis, worker, site, writer):
    process, log = worker
    base, server = site
    services.source_create(user=writer, key="slow", title="Slow", url=f"{base}/slow")
    wait_for(lambda: any(path == "/slow" for path, _ in server.seen), "the capture to start")
    own_redis.stop()
    time.sleep(2)
    own_redis.start()
    wait_for(lambda: captured("slow"), "the capture that ran through the restart")

    services.source_create(user=writer, key="after", title="After", url=f"{base}/again")
    wait_for(lambda: captured("after"), "a capture queued after the restart")
    text = log.read_text(errors="replace")
    assert process.poll() is None, text
    assert "Unrecoverable error" not in text


def pool_children(process: subprocess.Popen) -> list[int]:
    path = Path(f"/proc/{process.pid}/task/{process.pid}/children")
    return [int(pid) for pid in path.read_text().split()] if path.exists() else []


def test_a_capture_whose_pool_process_is_killed_runs_again(
        roles, own_redis, worker, site, writer):
    process, log = worker
    base, server = site
    services.source_create(user=writer, key="killed", title="Killed", url=f"{base}/slow")
    wait_for(lambda: any(path == "/slow" for path, _ in server.seen), "the capture to start")
    children = pool_children(process)
    assert len(children) == 1, children
    os.kill(children[0], signal.SIGKILL)  # the OOM killer, mid-capture
    wait_for(lambda: captured("killed"), "the capture to be redelivered and run")
    assert Source.objects.get(key="killed").snapshots.count() == 1
    assert sum(path == "/slow" for path, _ in server.seen) == 2
    assert process.poll() is None, log.read_text(errors="replace")


def test_a_worker_started_while_redis_is_down_waits_for_it(
        roles, shared_sqlite, own_redis, site, writer, settings, tmp_path):
    base, _ = site
    settings.CELERY_TASK_ALWAYS_EAGER = False
    own_redis.stop()
    log = tmp_path / "worker.log"
    env, arguments = outage_worker(own_redis, settings)
    process = start_worker(log, env, *arguments)
    try:
        time.sleep(5)
        assert process.poll() is None, log.read_text(errors="replace")
        own_redis.start()
        wait_for(lambda: b" ready." in log.read_bytes(), "the worker to connect")
        services.source_create(user=writer, key="late", title="Late", url=f"{base}/figures")
        wait_for(lambda: captured("late"), "a capture once the broker is up")
    finally:
        stop_worker(process)
