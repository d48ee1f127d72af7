"""Each story task run twice (a redelivered message) leaves what one run leaves."""

import pytest
from django.core import mail

from stories import services, tasks
from stories.models import State, Story
from tests.api.conftest import story_in


@pytest.fixture
def submitted(writer, reviewer, editor):
    reviewer.email = "reviewer@example.org"
    reviewer.save()
    return story_in("in_review", author=writer, reviewer=reviewer, editor=editor)


def submit_event(story):
    from audit.models import Event

    return Event.objects.filter(story=story, action="submit").latest("id").pk


def test_notify_event_redelivered_sends_one_email(submitted):
    mail.outbox.clear()
    tasks.notify_event.apply(args=[submit_event(submitted)], task_id="redelivered-1")
    tasks.notify_event.apply(args=[submit_event(submitted)], task_id="redelivered-1")
    assert [m.to for m in mail.outbox] == [["reviewer@example.org"]]


def test_notify_event_twice_as_two_messages_sends_two(submitted):
    mail.outbox.clear()
    tasks.notify_event.apply(args=[submit_event(submitted)], task_id="one")
    tasks.notify_event.apply(args=[submit_event(submitted)], task_id="two")
    assert len(mail.outbox) == 2


def test_page_published_twice_leaves_the_same_page(writer, reviewer, editor, client):
    story = story_in("published", author=writer, reviewer=reviewer, editor=editor)
    tasks.page_published.run(story.pk)
    first = client.get(story.get_absolute_url()).content
    tasks.page_published.run(story.pk)
    assert client.get(story.get_absolute_url()).content.count(b"Harbour cranes arrive") == (
        first.count(b"Harbour cranes arrive"))


def test_publish_due_twice_publishes_once(writer, reviewer, editor):
    from datetime import timedelta

    from django.utils import timezone

    from tests.factories import approved_hash

    story = story_in("approved", author=writer, reviewer=reviewer, editor=editor)
    services.story_publish(story_id=story.pk, revision=approved_hash(story), user=editor,
                           publish_at=timezone.now() + timedelta(hours=1))
    later = timezone.now() + timedelta(hours=2)
    assert services.publish_due(now=later) == [story.pk]
    assert services.publish_due(now=later) == []
    assert tasks.publish_due.run() == []
    assert Story.objects.get(pk=story.pk).state == State.PUBLISHED


@pytest.mark.parametrize("name", [
    "sources.tasks.capture_source", "sources.tasks.check_source_link",
    "sources.tasks.check_cited_links", "sources.tasks.capture_missing",
    "stories.tasks.notify_event",
    "stories.tasks.page_published", "stories.tasks.publish_due",
])
def test_every_task_retries_when_the_database_goes_away(name):
    from django.db import InterfaceError, OperationalError

    from newsroom.celery import app

    task = app.tasks[name]
    assert {OperationalError, InterfaceError} <= set(task.autoretry_for)
    assert task.retry_backoff and task.max_retries


def test_a_capture_that_meets_a_restarting_database_is_retried(db, monkeypatch):
    from django.db import OperationalError

    from sources import services as source_services
    from sources import tasks as source_tasks
    from tests.factories import SourceFactory

    source = SourceFactory(url="http://127.0.0.1:9/x")
    calls = []

    def restarting(**kwargs):
        calls.append(kwargs)
        if len(calls) < 3:
            raise OperationalError("the database system is shutting down")
        return None

    monkeypatch.setattr(source_services, "source_capture", restarting)
    assert source_tasks.capture_source.apply(args=[source.pk]).successful()
    assert len(calls) == 3
