"""A transition that waits for a concurrent edit's lock reads the story as that edit left it."""

import threading
import time

import pytest
from django.db import close_old_connections, connection, transaction

from stories import services
from stories.models import State, Story
from tests.factories import SourceFactory, make_story

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture(autouse=True)
def _row_locks(db):
    if connection.vendor != "postgresql":
        pytest.skip("row locks are PostgreSQL's: runs in the DATABASE_URL=postgres://… pass")


def edit_holding_the_lock(story_id, user, locked: threading.Event, errors: list):
    close_old_connections()
    try:
        with transaction.atomic():
            services.story_update(story_id=story_id, user=user,
                                  body="Cargo rose 4% [@a]. A second sentence, edited.")
            locked.set()
            time.sleep(1.0)  # the submit below waits on the story row meanwhile
    except Exception as exc:  # noqa: BLE001 - reported by the test
        errors.append(exc)
        locked.set()
    finally:
        connection.close()


def test_submit_waiting_on_a_concurrent_edit_submits_the_edited_revision(writer):
    SourceFactory(key="a")
    story = make_story(writer, body="Cargo rose 4% [@a].")
    locked, errors = threading.Event(), []
    editor = threading.Thread(target=edit_holding_the_lock,
                              args=(story.pk, writer, locked, errors))
    editor.start()
    assert locked.wait(10)
    started = time.monotonic()
    services.story_submit(story_id=story.pk, user=writer)  # 500 ('NoneType'…'errors') before
    editor.join(10)
    assert not errors
    assert time.monotonic() - started > 0.5  # it did wait for the edit
    story = Story.objects.select_related("latest_revision").get(pk=story.pk)
    assert story.state == State.IN_REVIEW
    assert story.latest_revision.number == 2
    assert "edited" in story.latest_revision.body


def test_five_submits_racing_five_edits_never_fail_with_anything_but_a_refusal(writer):
    SourceFactory(key="a")
    story = make_story(writer, body="Cargo rose 4% [@a].")
    barrier, outcomes = threading.Barrier(10), []

    def act(kind, number):
        close_old_connections()
        barrier.wait()
        try:
            if kind == "edit":
                services.story_update(story_id=story.pk, user=writer,
                                      body=f"Cargo rose 4% [@a]. Edit {number}.")
            else:
                services.story_submit(story_id=story.pk, user=writer)
            outcomes.append("ok")
        except Exception as exc:  # noqa: BLE001 - the race outcome is what we assert
            outcomes.append(f"{type(exc).__name__}: {kind} {exc}")
        finally:
            connection.close()

    threads = [threading.Thread(target=act, args=(kind, n))
               for n in range(5) for kind in ("edit", "submit")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(outcomes) == 10
    assert not [o for o in outcomes if o.startswith("AttributeError")], outcomes
    assert {o.split(":")[0] for o in outcomes} <= {
        "ok", "IllegalTransition", "StaleRevision", "InvalidInput"}, outcomes


def test_the_same_restore_sent_five_times_at_once_makes_one_revision(writer):
    SourceFactory(key="a")
    story = make_story(writer, body="Cargo rose 4% [@a].")
    services.story_update(story_id=story.pk, user=writer, body="Cargo rose 5% [@a].")
    first = story.revisions.get(number=1)
    seen = Story.objects.get(pk=story.pk).latest_revision.content_hash
    barrier, outcomes = threading.Barrier(5), []

    def restore():
        close_old_connections()
        barrier.wait()
        try:
            services.story_restore(story_id=story.pk, user=writer, revision_id=first.pk,
                                   base_revision=seen)
            outcomes.append("restored")
        except Exception as exc:  # noqa: BLE001 - the race outcome is what we assert
            outcomes.append(type(exc).__name__)
        finally:
            connection.close()

    threads = [threading.Thread(target=restore) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert sorted(outcomes) == ["AlreadyCurrent"] * 4 + ["restored"]
    assert story.revisions.count() == 3


def test_the_same_comment_sent_five_times_at_once_is_saved_once(writer, reviewer):
    import uuid

    from stories.models import CommentThread

    SourceFactory(key="a")
    story = make_story(writer, body="Cargo rose 4% [@a].")
    services.story_submit(story_id=story.pk, user=writer)
    seen = Story.objects.get(pk=story.pk).latest_revision.content_hash
    token, barrier, outcomes = str(uuid.uuid4()), threading.Barrier(5), []

    def comment():
        close_old_connections()
        barrier.wait()
        try:
            thread = services.comment_start(story_id=story.pk, user=reviewer, text="Which?",
                                             revision=seen, quote="Cargo rose 4%",
                                             submission=token)
            outcomes.append(thread.pk)
        except Exception as exc:  # noqa: BLE001 - the race outcome is what we assert
            outcomes.append(type(exc).__name__)
        finally:
            connection.close()

    threads = [threading.Thread(target=comment) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert CommentThread.objects.count() == 1
    assert outcomes == [CommentThread.objects.get().pk] * 5


def _make_story(writer, token):
    return services.story_create(author=writer, title="Harbour cranes arrive",
                                 body="Cranes arrived.", submission=token)


def _make_source(writer, token):
    from sources import services as source_services

    return source_services.source_create(user=writer, key="harbour-board", title="Minutes",
                                         url="https://harbour.example.org/m", submission=token)


def _make_report(writer, token):
    story = Story.objects.exclude(live_revision=None).get()
    return services.report_create(slug=story.slug, ordinal=1, submission=token,
                                  note="The figure in this claim is wrong.")


@pytest.mark.parametrize("make", [_make_story, _make_source, _make_report],
                         ids=["story", "source", "report"])
def test_the_same_create_sent_five_times_at_once_makes_one(make, writer, reviewer, editor):
    import uuid

    if make is _make_report:
        from tests.public.helpers import publish_story

        publish_story(writer, reviewer, editor)
    token, barrier, outcomes = str(uuid.uuid4()), threading.Barrier(5), []

    def create():
        close_old_connections()
        barrier.wait()
        try:
            outcomes.append(make(writer, token).pk)
        except Exception as exc:  # noqa: BLE001 - the race outcome is what we assert
            outcomes.append(type(exc).__name__)
        finally:
            connection.close()

    threads = [threading.Thread(target=create) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert len(set(outcomes)) == 1 and isinstance(outcomes[0], int), outcomes
