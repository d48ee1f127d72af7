"""With REDIS_URL set and that Redis stopped (a real one, our own), readers, the API and writers
are served, and /healthz names each dependency's state."""

import os
import subprocess
import sys

import pytest
from django.db import connection
from django.db.utils import OperationalError
from django.urls import reverse

from stories.models import Story
from tests.api.conftest import client_for
from tests.integration.test_broker_outage import ROOT, own_redis  # noqa: F401
from tests.public.helpers import publish_story

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_broker_check():
    from newsroom import health

    health._broker_state.update(at=-health.BROKER_CHECK_SECONDS, state="")
    yield
    health._broker_state.update(at=-health.BROKER_CHECK_SECONDS, state="")


@pytest.fixture
def redis_cache(own_redis, settings):  # noqa: F811 - the fixture imported above
    settings.CACHES = {"default": {
        "BACKEND": "newsroom.cache.FailSoftRedisCache", "LOCATION": own_redis.url,
        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}}}
    return own_redis


@pytest.fixture
def story(writer, reviewer, editor):
    return publish_story(writer, reviewer, editor)


def test_settings_use_the_fail_soft_cache_when_redis_url_is_set():
    env = {**os.environ, "REDIS_URL": "redis://127.0.0.1:1/0"}
    out = subprocess.run(
        [sys.executable, "-c", "from django.conf import settings; "
         "print(settings.CACHES['default']['BACKEND'])"],
        cwd=ROOT, env={**env, "DJANGO_SETTINGS_MODULE": "newsroom.settings"},
        capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "newsroom.cache.FailSoftRedisCache"


def test_pages_are_cached_in_redis_while_it_is_up(redis_cache, story, client):
    assert client.get(story.get_absolute_url()).status_code == 200
    assert client.get(story.get_absolute_url()).status_code == 200
    assert client.get("/healthz").json()["cache"] == "ok"


def test_with_redis_stopped_readers_the_api_and_writers_are_served(
        redis_cache, story, client, writer):
    assert client.get(story.get_absolute_url()).status_code == 200  # warms the cache
    redis_cache.stop()
    assert client.get("/").status_code == 200
    page = client.get(story.get_absolute_url())
    assert page.status_code == 200 and story.title in page.content.decode()
    public = client.get(reverse("api-public-story-list"))  # anonymous: throttled by cache
    assert public.status_code == 200
    api = client_for(writer)
    assert api.get(reverse("api-story-list")).status_code == 200
    created = api.post(reverse("api-story-list"), {"title": "Written while Redis is down",
                                                   "body": "No figures here."}, format="json")
    assert created.status_code == 201, created.content[:300]
    assert Story.objects.filter(title="Written while Redis is down").exists()


def test_healthz_names_the_cache_and_broker_down_and_stays_200(redis_cache, client):
    assert client.get("/healthz").json() == {"status": "ok", "database": "ok", "cache": "ok",
                                             "broker": "ok"}
    from newsroom import health

    health._broker_state.update(at=-health.BROKER_CHECK_SECONDS)
    redis_cache.stop()  # the cache's Redis is the broker too, as in the usual deployment
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "degraded", "database": "ok", "cache": "down",
                               "broker": "down"}


def test_healthz_is_503_when_the_database_is_down(client, monkeypatch):
    def refuse(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", refuse)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "down"
    assert response.json()["status"] == "down"


def test_healthz_without_a_broker_says_tasks_run_eagerly(client, settings):
    body = client.get("/healthz").json()
    assert (body["status"], body["cache"], body["broker"]) == ("ok", "local", "eager")


def test_the_cache_misses_while_redis_is_down_and_comes_back_with_it(redis_cache):
    from django.core.cache import caches

    backend = caches["default"]
    backend.set("k", 1)
    assert backend.get("k") == 1
    redis_cache.stop()
    assert backend.get("k", "miss") == "miss"
    assert backend.get_many(["k"]) == {}
    assert backend.add("k", 2) is False
    with pytest.raises(ValueError):
        backend.incr("k")
    redis_cache.start()
    assert backend.get("k", "still skipped") == "still skipped"  # retried after a pause
    backend._down_until = 0  # the pause is over
    backend.set("k", 3)
    assert backend.get("k") == 3 and backend.is_up()
