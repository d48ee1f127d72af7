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


def test_notify_submitted_redelivered_sends_one_email(submitted):
    mail.outbox.clear()
    tasks.notify_submitted.apply(args=[submitted.pk], task_id="redelivered-1")
    tasks.notify_submitted.apply(args=[submitted.pk], task_id="redelivered-1")
    assert [m.to for m in mail.outbox] == [["reviewer@example.org"]]


def test_notify_submitted_twice_as_two_messages_sends_two(submitted):
    mail.outbox.clear()
    tasks.notify_submitted.apply(args=[submitted.pk], task_id="one")
    tasks.notify_submitted.apply(args=[submitted.pk], task_id="two")
    assert len(mail.outbox) == 2


def test_notify_authors_redelivered_sends_one_email(submitted, writer):
    writer.email = "writer@example.org"
    writer.save()
    mail.outbox.clear()
    for _ in range(2):
        tasks.notify_authors.apply(args=[submitted.pk, "approved"], task_id="same")
    assert [m.to for m in mail.outbox] == [["writer@example.org"]]


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
