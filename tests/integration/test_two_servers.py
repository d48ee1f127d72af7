"""More than one machine (docs/operations.md, "Several app servers"): two gunicorn app servers
(separate processes, separate ports) over one PostgreSQL database and one Redis (cache and
broker), with two Celery workers and one beat. A publish through one server is on the other at
the next request, scheduled publishing fires once, a link sweep never runs twice at once, and
the audit trail stays one chain under concurrent writes through both servers."""

import io
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import suppress
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from rest_framework.authtoken.models import Token

from audit.models import Event, TransparencyEntry
from newsroom.celery import app
from sources.models import LinkCheck
from sources.sweeps import running_sweep
from sources.tasks import check_cited_links
from stories import services
from stories.models import Story
from stories.tasks import publish_due
from tests import conftest as harness
from tests.conftest import need
from tests.factories import SourceFactory, UserFactory, approved_hash, latest_hash
from tests.integration.test_broker_outage import OwnRedis, free_port
from tests.integration.test_celery_worker import (
    ROOT,
    database_url,
    drop_pools,
    roles,
    wait_for,
)
from tests.public.helpers import approve, publish_story
from tests.sources.fixture_server import Page, fixture_server

pytestmark = [pytest.mark.celery_worker,
              pytest.mark.django_db(transaction=True, serialized_rollback=True)]

__all__ = ["roles"]

GUNICORN = Path(sys.executable).with_name("gunicorn")
# Generous: five Django processes start at once; on this two-core machine at a load average of
# 20 they took 72 s.
START_SECONDS = 180
WORKERS = ("w1", "w2")


class Cluster:
    """The running deployment: two servers' base URLs, the environment every process has, and
    where each process logs."""

    def __init__(self, base: Path, redis: OwnRedis, env: dict[str, str]):
        self.base, self.redis, self.env = base, redis, env
        self.servers: dict[str, str] = {}
        self.processes: dict[str, subprocess.Popen] = {}

    def log(self, name: str) -> str:
        path = self.base / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def spawn(self, name: str, *command: str) -> None:
        with open(self.base / f"{name}.log", "ab") as out:
            self.processes[name] = subprocess.Popen(
                command, cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True)

    def alive(self, name: str) -> bool:
        return self.processes[name].poll() is None

    def logs(self) -> str:
        """Every log's tail, for a failure message."""
        return "\n".join(f"--- {name}\n{self.log(name)[-3000:]}" for name in self.processes)


def app_role_url() -> str:
    """This test database, as the restricted app role when the suite runs as it (CI): the
    servers and workers get the privileges production gives them."""
    url = database_url()
    if harness._as_app_role_in:
        url += "?" + urllib.parse.urlencode({"options": f"-c role={harness.APP_ROLE}"})
    return url


def answer(url: str, method: str = "GET", *, token: str = "", data: dict | None = None,
           headers: dict | None = None, timeout: float = 30) -> tuple[int, dict, str]:
    """(status, headers, body) of one request; 4xx and 5xx are answers too."""
    sent = {"Accept": "application/json, text/html", **(headers or {})}
    body = None
    if token:
        sent["Authorization"] = f"Token {token}"
    if data is not None:
        body = json.dumps(data).encode()
        sent["Content-Type"] = "application/json"
    request = urllib.request.Request(url, data=body, method=method, headers=sent)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode(errors="replace")


def healthy(url: str) -> bool:
    try:
        status, _, body = answer(url + "/healthz", timeout=5)
    except OSError:
        return False
    return status == 200 and json.loads(body) == {"status": "ok", "database": "ok",
                                                  "cache": "ok", "broker": "ok"}


def stop_all(processes) -> None:
    """SIGKILL to each process's whole session (its gunicorn workers, its pool child): nothing
    of theirs outlives the test, and under load not one of them finished a warm shutdown in 5 s."""
    for process in processes:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
    for process in processes:
        process.wait(timeout=10)


def other_sessions() -> set[int]:
    """Backend pids of the sessions other than this one in the test database."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = "
                       "current_database() AND pid <> pg_backend_pid()")
        return {pid for (pid,) in cursor.fetchall()}


@pytest.fixture(scope="module")
def cluster(django_db_setup, django_db_blocker, tmp_path_factory):
    if connection.vendor != "postgresql":
        pytest.skip("two app servers share one database server: PostgreSQL only (SQLite is "
                    "a file on one machine)")
    need(shutil.which("redis-server") is not None, "redis-server is not installed")
    need(GUNICORN.exists(), "gunicorn is not installed in this virtualenv")
    base = tmp_path_factory.mktemp("two-servers")
    redis = OwnRedis(base)
    redis.start()
    saved = {key: app.conf.get(key) for key in ("broker_url", "task_always_eager")}
    app.conf.broker_url, app.conf.task_always_eager = redis.url, False
    drop_pools()
    env = {key: value for key, value in os.environ.items() if not key.startswith(
        ("AUDIT_", "CELERY_", "DATABASE_", "DJANGO_", "NEWSROOM_", "PYTEST_", "REDIS_",
         "TRANSPARENCY_", "GUNICORN_", "WEB_CONCURRENCY"))}
    with django_db_blocker.unblock():
        database = app_role_url()
        # Sessions an earlier test left open are not this module's to wait for.
        before = other_sessions()
    env.update({
        "DJANGO_SETTINGS_MODULE": "newsroom.settings",
        "DATABASE_URL": database,
        # One Redis, two databases in it: the broker and the cache, as docs/operations.md says.
        "CELERY_BROKER_URL": f"redis://127.0.0.1:{redis.port}/0",
        "REDIS_URL": f"redis://127.0.0.1:{redis.port}/1",
        "DJANGO_MEDIA_ROOT": str(base / "media"),
        "AUDIT_CHECKPOINT_PATH": str(base / "audit-checkpoints.jsonl"),
        "TRANSPARENCY_SIGNING_KEY_FILE": str(base / "transparency-signing-key"),
        "NEWSROOM_PUBLISH_DUE_SECONDS": "1",
        "SOURCE_FETCH_ALLOW_PRIVATE": "0",
        "SOURCE_FETCH_ALLOW_NETWORKS": "127.0.0.0/8",
        "NEWSROOM_SCREENSHOTS": "0",
        "NEWSROOM_THROTTLE_USER": "100000/minute",
        "NEWSROOM_THROTTLE_ANON": "100000/minute",
        "WEB_CONCURRENCY": "1",  # one process per server: two servers are two processes
    })
    cluster = Cluster(base, redis, env)
    try:
        for name in ("a", "b"):
            port = free_port()
            cluster.servers[name] = f"http://127.0.0.1:{port}"
            cluster.env["GUNICORN_BIND"] = f"127.0.0.1:{port}"
            cluster.spawn(f"server-{name}", str(GUNICORN), "-c", "deploy/gunicorn.conf.py",
                          "newsroom.wsgi")
        cluster.env.pop("GUNICORN_BIND")
        for name in WORKERS:
            # Each worker takes production's queues and one of its own, so a test can hand a
            # task to one worker in particular.
            cluster.spawn(f"worker-{name}", sys.executable, "-m", "celery", "-A", "newsroom",
                          "worker", "-Q", f"celery,captures,{name}", "--concurrency=1",
                          "--loglevel=INFO", "--hostname", f"{name}-{os.getpid()}@%h")
        cluster.spawn("beat", sys.executable, "-m", "celery", "-A", "newsroom", "beat",
                      "--loglevel=INFO", "-s", str(base / "beat-schedule"))

        def started():
            dead = [name for name in cluster.processes if not cluster.alive(name)]
            assert not dead, f"{dead} exited:\n{cluster.logs()}"
            return (all(healthy(url) for url in cluster.servers.values())
                    and all(" ready." in cluster.log(f"worker-{n}") for n in WORKERS)
                    and "beat: Starting" in cluster.log("beat"))

        deadline = time.monotonic() + START_SECONDS
        while not started():
            assert time.monotonic() < deadline, (
                f"the servers, workers and beat did not all start within {START_SECONDS} s:\n"
                + cluster.logs())
            time.sleep(0.5)
        yield cluster
    finally:
        try:
            stop_all(list(cluster.processes.values()))
            with django_db_blocker.unblock():  # the harness drops the database after this
                wait_for(lambda: not other_sessions() - before,
                         "the servers' and workers' database sessions to close", timeout=60)
        finally:
            # Whatever happened above, the rest of the suite gets its eager tasks back: a left
            # over broker address made every later purge wait for this module's dead Redis.
            app.conf.update(saved)
            drop_pools()
            if redis.process and redis.process.poll() is None:
                redis.process.kill()
                redis.process.wait(timeout=10)


@pytest.fixture(autouse=True)
def _on_the_cluster(cluster, settings, roles):
    """This test process is a third app process of the deployment (the admin, say): the same
    cache, broker, keys and media; and the cache starts empty."""
    from django.core.cache import cache

    settings.CACHES = {"default": {
        "BACKEND": "newsroom.cache.FailSoftRedisCache", "LOCATION": cluster.env["REDIS_URL"],
        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}}}
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.MEDIA_ROOT = cluster.env["DJANGO_MEDIA_ROOT"]
    settings.TRANSPARENCY_SIGNING_KEY_FILE = cluster.env["TRANSPARENCY_SIGNING_KEY_FILE"]
    cache.clear()  # the last test's rows are gone (the harness emptied the tables)
    yield
    for name in cluster.processes:
        assert cluster.alive(name), f"{name} died during the test:\n{cluster.logs()}"


def staff():
    """A writer, a reviewer and an editor, each with an API token."""
    people = [UserFactory(username=name, first_name=name.title(), last_name="Staff",
                          roles=[role])
              for name, role in (("writer", "Writers"), ("reviewer", "Reviewers"),
                                 ("editor", "Editors"))]
    return [(user, Token.objects.create(user=user).key) for user in people]


def page(base: str, path: str, headers: dict | None = None) -> tuple[int, dict, str]:
    return answer(base + path, headers={"Accept": "text/html", **(headers or {})})


def test_a_publish_through_one_server_is_on_the_other_at_the_next_request(cluster):
    (writer, writer_token), (reviewer, _), (editor, editor_token) = staff()
    a, b = cluster.servers["a"], cluster.servers["b"]
    story = publish_story(writer, reviewer, editor, title="Harbour cranes arrive",
                          body="Three cranes arrived on Monday.", sources=[SourceFactory()])
    path = story.get_absolute_url()
    for _ in range(2):  # B has rendered (and cached) the page and the home page
        status, headers, text = page(b, path)
        assert status == 200 and "Harbour cranes arrive" in text
        assert page(b, "/")[0] == 200
    old_etag = headers["ETag"]
    assert "Today's top stories" in page(b, "/")[2]

    # The correction, all through server A: edit, submit, (review), publish with a note.
    api = f"{a}/api/v1/stories/{story.pk}"
    status, headers, _ = answer(api + "/", token=writer_token)
    status, _, text = answer(api + "/", "PATCH", token=writer_token,
                             headers={"If-Match": headers["ETag"]},
                             data={"title": "Four harbour cranes arrive",
                                   "body": "Four cranes arrived on Monday."})
    assert status == 200, text
    status, _, text = answer(api + "/submit/", "POST", token=writer_token, data={})
    assert status == 200, text
    approve(Story.objects.get(pk=story.pk), reviewer)
    status, _, text = answer(api + "/publish/", "POST", token=editor_token, data={
        "revision": approved_hash(story), "note": "We miscounted the cranes."})
    assert status == 200, text

    # The very next requests to server B: the new text everywhere, nothing of the old.
    status, _, text = page(b, path)
    assert status == 200
    assert "Four harbour cranes arrive" in text and "Four cranes arrived on Monday." in text
    assert "We miscounted the cranes." in text
    assert "Harbour cranes arrive" not in text, "server B still shows the old headline"
    assert page(b, path, headers={"If-None-Match": old_etag})[0] == 200
    home = page(b, "/")[2]
    assert "Four harbour cranes arrive" in home
    assert "Harbour cranes arrive" not in home, "B's home page (top stories?) is stale"
    status, _, text = answer(f"{b}/api/v1/public/stories/{story.slug}/")
    assert status == 200 and json.loads(text)["title"] == "Four harbour cranes arrive"
    status, _, text = answer(f"{b}/api/v1/public/transparency/tree-head/")
    assert status == 200 and json.loads(text)["size"] == TransparencyEntry.objects.count() == 2
    assert "We miscounted the cranes." in page(b, "/corrections/")[2]

    # And back: a retraction through B is on A at once, and A's top stories drop the story.
    status, _, text = answer(f"{b}/api/v1/stories/{story.pk}/retract/", "POST",
                             token=editor_token, data={"reason": "The cranes were not ours."})
    assert status == 200, text
    text = page(a, path)[2]
    assert "This story was retracted" in text and "The cranes were not ours." in text
    assert "Today's top stories" not in page(a, "/")[2], "A still lists the retracted story"


def top_stories_of(html: str) -> str:
    """The "Today's top stories" section of a page ("" when it has none)."""
    if 'id="top-stories-title"' not in html:
        return ""
    top = html[html.index('id="top-stories-title"'):]
    return top[:top.index("</section>")]


def test_a_first_publication_through_one_server_is_listed_on_the_other_at_once(cluster):
    (writer, _), (reviewer, _), (editor, editor_token) = staff()
    a, b = cluster.servers["a"], cluster.servers["b"]
    publish_story(writer, reviewer, editor, title="Harbour cranes arrive")
    assert "Harbour cranes arrive" in top_stories_of(page(b, "/")[2])  # built and kept
    story = services.story_create(author=writer, title="Ferry fares rise",
                                  body="The ferry costs more from Monday.")
    services.story_submit(story_id=story.pk, user=writer)
    approve(story, reviewer)
    assert page(b, story.get_absolute_url())[0] == 404
    status, _, text = answer(f"{a}/api/v1/stories/{story.pk}/publish/", "POST",
                             token=editor_token, data={"revision": approved_hash(story)})
    assert status == 200, text

    status, _, text = page(b, story.get_absolute_url())
    assert status == 200 and "The ferry costs more from Monday." in text
    home = page(b, "/")[2]
    assert "Ferry fares rise" in top_stories_of(home), "B's top stories miss the new story"
    assert "Ferry fares rise" in home.replace(top_stories_of(home), "")  # and the listing
    assert "Ferry fares rise" in page(b, "/feed/")[2]


def test_scheduled_publishing_fires_exactly_once_with_two_workers(cluster):
    (writer, _), (reviewer, _), (editor, editor_token) = staff()
    a, b = cluster.servers["a"], cluster.servers["b"]
    stories = []
    for number in range(3):
        story = services.story_create(author=writer, title=f"Scheduled story {number}",
                                      body=f"Story number {number} went out on time.")
        services.story_submit(story_id=story.pk, user=writer)
        approve(story, reviewer)
        stories.append(story)
    due = timezone.now() + timedelta(seconds=3)
    for story in stories:
        status, _, text = answer(f"{a}/api/v1/stories/{story.pk}/publish/", "POST",
                                 token=editor_token,
                                 data={"revision": approved_hash(story),
                                       "publish_at": due.isoformat()})
        assert status == 200 and json.loads(text)["state"] == "scheduled", text
    # Beat asks every second; on top of that, both workers are told at the same moment, twice.
    while timezone.now() < due:
        time.sleep(0.1)
    for _ in range(2):
        for name in WORKERS:
            publish_due.apply_async(queue=name)

    def all_live():
        return Story.objects.filter(pk__in=[s.pk for s in stories], state="published").count()

    wait_for(lambda: all_live() == 3, "beat and the two workers to publish the 3 due stories")
    time.sleep(3)  # three more of beat's runs, and the four extra tasks, have had their chance
    for story in stories:
        publishes = Event.objects.filter(story=story, action="publish")
        assert publishes.count() == 1, list(publishes.values("id", "at", "details"))
        entries = TransparencyEntry.objects.filter(story=story, kind="publish")
        assert entries.count() == 1, list(entries.values("index", "timestamp"))
        assert page(b, story.get_absolute_url())[0] == 200
    for name in WORKERS:  # both workers did run it, around the moment the stories fell due
        assert "stories.tasks.publish_due" in cluster.log(f"worker-{name}"), cluster.logs()


def slow_page(handler):
    time.sleep(0.6)  # a slow host: the sweep takes a few seconds
    return Page("<html><body><article><p>The port handled 4.2 million containers.</p>"
                "</article></body></html>")


def test_a_link_sweep_never_runs_twice_at_once(cluster):
    (writer, _), (reviewer, _), (editor, _) = staff()
    with fixture_server({f"/page-{n}": slow_page for n in range(6)}) as (base, server):
        sources = [SourceFactory(key=f"port-{n}", url=f"{base}/page-{n}") for n in range(6)]
        publish_story(writer, reviewer, editor, sources=sources)
        before = {s.pk: LinkCheck.objects.filter(source=s).count() for s in sources}

        for name in WORKERS:  # the same moment, on both workers
            check_cited_links.apply_async(queue=name)

        def checked():
            return sum(LinkCheck.objects.filter(source=s).count() - before[s.pk]
                       for s in sources)

        wait_for(lambda: checked() >= 6, "the sweep's six link checks")
        wait_for(lambda: running_sweep() is None, "the sweep to finish and let go of its lock")
        time.sleep(1.5)  # a second sweep, had one started, would have checked by now
        assert checked() == 6, f"{checked()} link checks for 6 sources: two sweeps ran"
        logs = {name: cluster.log(f"worker-{name}") for name in WORKERS}
        ran = [name for name, text in logs.items() if "link sweep started" in text]
        skipped = [name for name, text in logs.items() if "link sweep skipped" in text]
        assert len(ran) == 1 and len(skipped) == 1 and ran != skipped, logs

        # Once it is done, the next sweep runs (the lock went with the sweep).
        check_cited_links.apply_async(queue=skipped[0])
        wait_for(lambda: checked() >= 12, "a second sweep once the first was done")


def test_the_audit_chain_stays_one_chain_under_concurrent_writes_from_both_servers(cluster):
    (writer, writer_token), _, _ = staff()
    story = services.story_create(author=writer, title="A draft", body="Nothing yet.")
    before = Event.objects.count()
    revision = latest_hash(story)  # read here: a thread would open a connection of its own
    answers: list[tuple[str, int, str]] = []

    def act(server: str, thread: int):
        base = cluster.servers[server]
        for n in range(2):
            made = answer(f"{base}/api/v1/stories/", "POST", token=writer_token,
                          data={"title": f"Story {server}{thread}-{n}", "body": "No figures."})
            refused = answer(f"{base}/api/v1/stories/{story.pk}/publish/", "POST",
                             token=writer_token, data={"revision": revision})
            answers.extend([("create", made[0], made[2][:200]),
                            ("publish as a writer", refused[0], refused[2][:200])])

    threads = [threading.Thread(target=act, args=(server, n))
               for server in ("a", "b") for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "requests still hanging after 120 s"
    wrong = [a for a in answers if a[1] != {"create": 201}.get(a[0], 403)]
    assert not wrong and len(answers) == 32, wrong[:5]

    events = list(Event.objects.order_by("id").values_list("id", "prev_hash", "hash"))
    new = events[len(events) - (Event.objects.count() - before):]
    # 16 stories made (each is at least its creation), 16 refusals recorded.
    assert len(new) >= 32
    assert Event.objects.filter(action="publish.denied", story=story).count() == 16
    links = [prev for _, prev, _ in events]
    assert len(set(links)) == len(links), "two events link to the same predecessor: a fork"
    assert all(later[1] == earlier[2] for earlier, later in zip(events, events[1:], strict=False))
    # The chain signed into a checkpoint, then verified against it (as the app role, in CI).
    call_command("audit_checkpoint", stdout=io.StringIO())
    out = io.StringIO()
    call_command("verify_audit", "--require-checkpoint", stdout=out)  # CommandError if broken
    assert f"Audit chain intact: {len(events)} events checked" in out.getvalue()
