"""Readers never see a page mixed from two revisions while editors publish, correct and retract
(threads on PostgreSQL: SQLite serialises writers and readers, so it cannot show a race)."""

import re
import threading

import pytest
from django.db import connection, connections
from django.test import Client

from stories import services
from tests.factories import SourceFactory, approved_hash
from tests.public.helpers import approve, publish_story

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="needs concurrent readers and writers (PostgreSQL)"),
    # Restore the serialised database afterwards, like every other transactional test here: a
    # plain flush made later serialized_rollback tests fail on duplicate content types.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

ROUNDS = 8


def body(k: int) -> str:
    return f"Round {k} says rev-{k} [@s{k}]."


def check(page: str) -> int:
    """The revision this page shows; fails if any part came from another revision."""
    found = set(re.findall(r"rev-(\d+)", page.split('<div class="story-body">')[1]
                           .split("</div>")[0]))
    assert len(found) == 1, found
    k = int(found.pop())
    sources = page.split('<ol class="sources">')[1].split("</ol>")[0]
    assert re.findall(r"Source s(\d+)", sources) == [str(k)]
    expected = "Second Reviewer" if k % 2 else "First Reviewer"
    assert f"Reviewed by {expected}" in page
    notes = {int(n) for n in re.findall(r"Correction note (\d+)", page)}
    assert notes == set(range(1, k + 1)), (k, notes)
    return k


@pytest.fixture
def roles(transactional_db):
    # The role groups come from a migration; an earlier transactional test's flush drops them.
    from django.contrib.auth.models import Group

    from stories.permissions import EDITORS, REVIEWERS, WRITERS

    for name in (WRITERS, REVIEWERS, EDITORS):
        Group.objects.get_or_create(name=name)


def test_readers_never_see_a_page_mixed_from_two_revisions(roles, writer, reviewer,
                                                           second_reviewer, editor):
    for k in range(ROUNDS + 1):
        SourceFactory(key=f"s{k}", title=f"Source s{k}")
    story = publish_story(writer, reviewer, editor, title="Racing story", body=body(0),
                          sources=["s0"])
    url = story.get_absolute_url()
    stop, seen, failures = threading.Event(), set(), []

    def read():
        client = Client()
        try:
            while not stop.is_set():
                response = client.get(url)
                assert response.status_code == 200
                seen.add(check(response.content.decode()))
        except Exception as exc:  # noqa: BLE001 - reported by the main thread
            failures.append(exc)
        finally:
            connections.close_all()

    readers = [threading.Thread(target=read) for _ in range(3)]
    for thread in readers:
        thread.start()
    try:
        for k in range(1, ROUNDS + 1):
            services.story_update(story_id=story.pk, user=writer, body=body(k),
                                  source_keys=[f"s{k}"])
            services.story_submit(story_id=story.pk, user=writer)
            approve(story, second_reviewer if k % 2 else reviewer)
            services.story_publish(story_id=story.pk, revision=approved_hash(story),
                                   user=editor, note=f"Correction note {k}",
                                   note_kind="correction")
        services.story_retract(story_id=story.pk, user=editor, reason="Retracted at the end.")
    finally:
        stop.set()
        for thread in readers:
            thread.join(timeout=30)
    assert failures == []
    assert len(seen) > 1  # the readers saw more than one revision go by
