"""Two transactions appending to the transparency log at once never fork its tree: the second
waits for the first and extends the tree it committed (threads on PostgreSQL: SQLite
serialises writers, so it cannot show a race)."""

import threading

import pytest
from django.db import connection, connections, transaction

from audit import merkle
from audit import transparency as log
from audit.models import TransparencyEntry
from stories import services
from tests.factories import SourceFactory, approved_hash, make_story
from tests.public.helpers import approve

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="needs concurrent transactions (PostgreSQL)"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def roles(transactional_db):
    # The role groups come from a migration; an earlier transactional test's flush drops them.
    from django.contrib.auth.models import Group

    from stories.permissions import EDITORS, REVIEWERS, WRITERS

    for name in (WRITERS, REVIEWERS, EDITORS):
        Group.objects.get_or_create(name=name)


def approved_story(writer, reviewer, title):
    story = make_story(writer, title=title, body="A claim [@s1].", sources=["s1"])
    services.story_submit(story_id=story.pk, user=writer)
    approve(story, reviewer)
    return story


def in_thread(target):
    """Run `target` on its own database connection; the list gets its exception, if any."""
    failures = []

    def run():
        try:
            target()
        except Exception as exc:  # noqa: BLE001 - reported by the test
            failures.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, failures


def test_a_publish_waits_for_an_append_in_progress_and_extends_its_tree(roles, writer,
                                                                       reviewer, editor):
    SourceFactory(key="s1")
    story = approved_story(writer, reviewer, "Racing story")
    appended, release, published = threading.Event(), threading.Event(), threading.Event()

    def append_and_hold():
        with transaction.atomic():
            log.log_append(fields={"v": 1, "kind": "publish", "story": "/elsewhere/"},
                           kind="publish")
            appended.set()
            release.wait(30)

    def publish():
        services.story_publish(story_id=story.pk, revision=approved_hash(story), user=editor)
        published.set()

    holder, held_failures = in_thread(append_and_hold)
    assert appended.wait(30)
    publisher, publish_failures = in_thread(publish)
    # The first append has not committed: the publish waits for the log, not for a fork.
    assert not published.wait(1.5)
    release.set()
    holder.join(120)
    publisher.join(120)
    assert not holder.is_alive() and not publisher.is_alive()
    assert held_failures == [] and publish_failures == []
    rows = list(TransparencyEntry.objects.order_by("index"))
    assert [(row.index, row.story_id) for row in rows] == [(0, None), (1, story.pk)]
    assert log.tree_head().root == merkle.root(
        [merkle.leaf_hash(row.data.encode()) for row in rows]).hex()
    assert log.log_verify().intact


def test_publishes_at_the_same_moment_each_get_their_own_entry_in_one_tree(roles, writer,
                                                                          reviewer, editor):
    SourceFactory(key="s1")
    stories = [approved_story(writer, reviewer, f"Story number {n}") for n in range(4)]
    start = threading.Barrier(len(stories))

    def publisher(story):
        def publish():
            start.wait(30)
            services.story_publish(story_id=story.pk, revision=approved_hash(story),
                                   user=editor)
        return publish

    threads = [in_thread(publisher(story)) for story in stories]
    for thread, _ in threads:
        thread.join(120)
    assert not any(thread.is_alive() for thread, _ in threads)
    assert [failures for _, failures in threads] == [[]] * len(stories)
    rows = list(TransparencyEntry.objects.order_by("index"))
    assert [row.index for row in rows] == [0, 1, 2, 3]
    assert sorted(row.story_id for row in rows) == sorted(story.pk for story in stories)
    assert log.log_verify().intact
