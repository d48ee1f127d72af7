"""With the broker down (a real Redis, stopped), committed work stands: no 500, the response says
notifications are delayed, and a source added meanwhile is captured once the broker is back."""

import time

import pytest
from django.urls import reverse

from audit.queueing import DELAYED_MESSAGE, HEADER
from newsroom.celery import app
from sources import services as source_services
from sources import tasks as source_tasks
from sources.models import Health, Source
from stories.models import State, Story
from tests.api.conftest import client_for
from tests.factories import SourceFactory, make_story
from tests.integration.test_broker_outage import FIGURES_PAGE, own_redis  # noqa: F401
from tests.integration.test_celery_worker import drop_pools
from tests.sources.fixture_server import Page, fixture_server

# serialized_rollback like the other worker tests: a plain flush here made the next ones fail
# restoring content types (duplicate rows).
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

BODY = "The port handled 4.2 million containers in 2024 [@port-annual]."


@pytest.fixture
def broker_down(own_redis, settings):  # noqa: F811 - the fixture imported above
    settings.CELERY_TASK_ALWAYS_EAGER = False
    own_redis.stop()
    drop_pools()
    return own_redis


def draft(writer):
    SourceFactory(key="port-annual")
    return make_story(writer, title="Harbour cranes arrive", body=BODY, sources=["port-annual"])


def test_api_submit_with_the_broker_down_succeeds_and_says_notifications_are_delayed(
        roles, broker_down, writer, reviewer):
    story = draft(writer)
    started = time.monotonic()
    response = client_for(writer).post(reverse("api-story-submit", args=[story.pk]))
    elapsed = time.monotonic() - started
    assert response.status_code == 200, response.content[:500]
    assert response.json()["notifications"] == "delayed"
    assert response[HEADER] == "delayed"
    assert Story.objects.get(pk=story.pk).state == State.IN_REVIEW
    assert elapsed < 10, f"the request waited {elapsed:.1f} s for the broker"


def test_admin_submit_with_the_broker_down_succeeds_and_says_notifications_are_delayed(
        roles, broker_down, writer, reviewer, client):
    story = draft(writer)
    writer.is_staff = True
    writer.save()
    client.force_login(writer)
    url = reverse("admin:stories_story_workflow", args=[story.pk])
    response = client.post(url, {"op": "submit"}, follow=True)
    assert response.status_code == 200
    text = response.content.decode()
    assert "Submitted for review." in text
    assert DELAYED_MESSAGE in text
    assert Story.objects.get(pk=story.pk).state == State.IN_REVIEW


def test_source_added_while_the_broker_is_down_is_captured_by_the_sweep(
        roles, broker_down, writer, settings):
    settings.SOURCE_FETCH_ALLOW_PRIVATE = True
    with fixture_server({"/figures": Page(FIGURES_PAGE)}) as (base, _):
        source = source_services.source_create(user=writer, key="during", title="During",
                                               url=f"{base}/figures")
        assert Source.objects.get(pk=source.pk).health == Health.UNKNOWN

        broker_down.start()
        drop_pools()
        # What beat runs; eager here, so the capture runs in this process.
        settings.CELERY_TASK_ALWAYS_EAGER = True
        app.conf.task_always_eager = True
        assert source_tasks.capture_missing.apply(kwargs={"older_than": 0}).get() == 1
        assert Source.objects.get(pk=source.pk).health == Health.OK
        assert source_tasks.capture_missing.apply(kwargs={"older_than": 0}).get() == 0
