"""Database-level guarantees that only PostgreSQL gives: the append-only trigger and row locks."""

import threading

import pytest
from django.db import DatabaseError, close_old_connections, connection, transaction

from audit.models import Event
from audit.services import audit_record, audit_verify
from stories import services
from stories.models import Review, State, Story
from stories.services import CheckInput
from tests.factories import SourceFactory, UserFactory, make_story

pytestmark = pytest.mark.postgres


@pytest.fixture(autouse=True)
def _postgres_only(db):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL-only: runs in the DATABASE_URL=postgres://… pass of make test")


@pytest.mark.parametrize("sql", ["UPDATE audit_event SET action = 'x'", "DELETE FROM audit_event"])
def test_the_trigger_rejects_raw_update_and_delete(writer, sql):
    audit_record(action="something", actor=writer)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), \
            connection.cursor() as cursor:
        cursor.execute(sql)
    assert Event.objects.filter(action="something").count() == 1


def test_the_trigger_rejects_truncate_outside_maintenance(writer):
    audit_record(action="something", actor=writer)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), \
            connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET LOCAL newsroom.audit_maintenance = 'off'")
        cursor.execute("TRUNCATE audit_event CASCADE")


def test_an_event_altered_with_the_trigger_disabled_is_caught(writer):
    event = audit_record(action="original", actor=writer)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute("UPDATE audit_event SET action = 'forged' WHERE id = %s", [event.pk])
        cursor.execute("SET LOCAL session_replication_role = DEFAULT")
    report = audit_verify()
    assert report.first_bad.pk == event.pk


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_ten_threads_racing_approve_edit_publish_end_consistent():
    writer = UserFactory(username="race-writer", roles=["Writers"])
    reviewers = [UserFactory(username=f"race-rev{i}", roles=["Reviewers"]) for i in range(4)]
    editors = [UserFactory(username=f"race-ed{i}", roles=["Editors"]) for i in range(3)]
    SourceFactory(key="a")
    story = make_story(writer, body="Cargo rose 4% [@a].")
    services.story_submit(story_id=story.pk, user=writer)
    barrier = threading.Barrier(10)
    outcomes = []

    def act(kind, user):
        close_old_connections()
        barrier.wait()
        try:
            if kind == "approve":
                services.review_submit(story_id=story.pk, reviewer=user, decision="approve",
                                       checks=[CheckInput(claim=1, verdict="supported")])
            elif kind == "edit":
                services.story_update(story_id=story.pk, user=user,
                                      body=f"Cargo rose 4% [@a]. Edit by {user.username}.")
            else:
                services.story_publish(story_id=story.pk, user=user)
            outcomes.append((kind, "ok"))
        except Exception as exc:  # noqa: BLE001 - the race outcome is what we assert
            outcomes.append((kind, type(exc).__name__))
        finally:
            connection.close()

    jobs = [("approve", r) for r in reviewers] + [("publish", e) for e in editors] + [
        ("edit", writer)
    ] * 3
    threads = [threading.Thread(target=act, args=job) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    assert len(outcomes) == 10
    assert {name for _, name in outcomes} <= {
        "ok", "IllegalTransition", "StaleRevision", "InvalidInput", "ActionDenied",
    }
    story.refresh_from_db()
    if story.state == State.PUBLISHED:
        assert story.live_revision == story.approved_revision == story.latest_revision
        assert Review.objects.filter(revision=story.live_revision, decision="approve").exists()
    elif story.state == State.APPROVED:
        assert story.approved_revision == story.latest_revision
    else:
        assert story.state in (State.DRAFT, State.IN_REVIEW)
        # Published and then edited is legitimate: the approved revision stays live.
        if story.live_revision is not None:
            assert story.live_revision != story.latest_revision
            assert Review.objects.filter(revision=story.live_revision,
                                         decision="approve").exists()
    assert audit_verify().intact
    assert Story.objects.get(pk=story.pk).revisions.count() >= 1
