"""Issue 17's attacks, made the way someone with the database's superuser password would (the
append-only trigger switched off) and with the signing key at hand: each is caught by the
reader's verifier. PostgreSQL only (the trigger and the roles are PostgreSQL's)."""

import base64
import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.db import DatabaseError, connection, transaction

from audit import transparency as log
from audit.models import TransparencyEntry
from tests.audit import helpers
from tests.conftest import database_role
from tests.public.helpers import publish_story

pytestmark = [pytest.mark.postgres,
              pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL-only: runs in the DATABASE_URL=postgres://… pass of make test")


@pytest.fixture
def stories(writer, reviewer, editor):
    return [publish_story(writer, reviewer, editor, title=f"Story number {n}") for n in range(3)]


def tamper(sql, params=None):
    # One transaction: the helper switches the trigger off for it alone (SET LOCAL).
    with transaction.atomic():
        helpers.tamper(sql, params)


def _url(live_server, story):
    return live_server.url + story.get_absolute_url()


def _rebuild(keep):
    """Empty the log from the first entry not kept, then append the kept ones again with fresh
    roots and signatures: all an operator holding the key can do to hide an entry."""
    rows = list(TransparencyEntry.objects.order_by("index"))
    start = next(i for i, row in enumerate(rows) if i >= len(keep) or row.index != keep[i])
    tamper('DELETE FROM audit_transparencyentry WHERE "index" >= %s', [start])
    by_index = {row.index: row for row in rows}
    for index in keep[start:]:
        row = by_index[index]
        log.log_append(fields=json.loads(row.data), kind=row.kind, story=row.story,
                       revision_number=row.revision_number, content_hash=row.content_hash)


@pytest.mark.parametrize("sql", ["UPDATE audit_transparencyentry SET kind = 'x'",
                                 "DELETE FROM audit_transparencyentry",
                                 "TRUNCATE audit_transparencyentry"])
def test_the_trigger_rejects_changes_to_the_log_even_from_a_superuser(stories, sql):
    with database_role(None), pytest.raises(DatabaseError, match="append-only"), \
            transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql)
    assert TransparencyEntry.objects.count() == 3


def test_a_stealth_edit_of_a_published_revision_fails_the_verifier(live_server, stories, run):
    story = stories[1]
    assert run(_url(live_server, story), "--allow-http")[0] == 0
    tamper("UPDATE stories_revision SET body = body || ' Quietly changed.' WHERE id = %s",
           [story.live_revision_id])
    code, _, err = run(_url(live_server, story), "--allow-http")
    assert code == 1
    assert "it was changed after publication" in err


def test_a_stealth_edit_that_rewrites_the_stored_hash_too_fails_the_verifier(live_server,
                                                                             stories, run):
    story = stories[0]
    tamper("UPDATE stories_revision SET title = 'Something else', content_hash = %s "
           "WHERE id = %s", ["f" * 64, story.live_revision_id])
    code, _, err = run(_url(live_server, story), "--allow-http")
    assert code == 1
    assert "but the log recorded" in err


def test_deleting_an_entry_and_rebuilding_the_log_fails_the_consistency_check(
        live_server, stories, run, writer, reviewer, editor):
    assert run(_url(live_server, stories[0]), "--allow-http")[0] == 0
    _rebuild([0, 2])
    code, _, err = run(_url(live_server, stories[0]), "--allow-http")
    assert code == 1 and "the log shrank: 2 entries now, 3 when last seen" in err
    # Growing past the old size does not hide it either.
    publish_story(writer, reviewer, editor, title="Story number 4")
    publish_story(writer, reviewer, editor, title="Story number 5")
    code, _, err = run(_url(live_server, stories[0]), "--allow-http")
    assert code == 1
    assert "is not an extension of the log of 3 entries seen before" in err


def test_reordering_entries_fails_the_consistency_check(live_server, stories, run):
    assert run(_url(live_server, stories[0]), "--allow-http")[0] == 0
    _rebuild([0, 2, 1])
    code, _, err = run(_url(live_server, stories[0]), "--allow-http")
    assert code == 1
    assert "different root for the same size 3: it was rewritten" in err


def test_deleting_an_entry_without_rebuilding_leaves_proofs_unservable(live_server, stories,
                                                                       run):
    tamper('DELETE FROM audit_transparencyentry WHERE "index" = 1')
    code, _, err = run(_url(live_server, stories[0]), "--allow-http")
    assert code == 1
    assert "answered 503: entry 1 of the transparency log is missing" in err
    assert not log.log_verify().intact


def test_a_rewritten_frontier_forks_the_next_tree_head_and_readers_catch_it(
        live_server, stories, run, writer, reviewer, editor):
    assert run(_url(live_server, stories[0]), "--allow-http")[0] == 0
    # The last entry's frontier is all the next append reads: change it, and the new head's root
    # is no extension of the tree the entries make.
    tamper('UPDATE audit_transparencyentry SET frontier = %s WHERE "index" = 2', [bytes(64)])
    publish_story(writer, reviewer, editor, title="Story number 4")
    code, _, err = run(_url(live_server, stories[0]), "--allow-http")
    assert code == 1 and "FAILED" in err
    assert log.log_verify().problem == ("entry 2: its stored frontier does not match the "
                                        "entries up to it")


def test_a_tree_head_signed_with_another_key_is_refused(live_server, stories, run):
    other = Ed25519PrivateKey.generate()
    head = log.tree_head()
    forged = base64.b64encode(other.sign(b"anything")).decode()
    tamper('UPDATE audit_transparencyentry SET signature = %s WHERE "index" = %s',
           [forged, head.size - 1])
    code, _, err = run(_url(live_server, stories[0]), "--allow-http")
    assert code == 1
    assert "the current tree head: its signature does not verify with key" in err


def test_a_dropped_old_key_is_refused(live_server, stories, run, settings):
    from audit import checkpoints

    assert run(_url(live_server, stories[0]), "--allow-http")[0] == 0
    settings.TRANSPARENCY_SIGNING_KEY = checkpoints.private_key_text(
        Ed25519PrivateKey.generate())
    settings.TRANSPARENCY_VERIFY_KEYS = []
    code, _, err = run(_url(live_server, stories[0]), "--allow-http")
    assert code == 1
    assert "no longer publishes key(s)" in err


def test_a_publish_from_an_unlogged_revision_fails_the_verifier(live_server, stories, run,
                                                                writer):
    from stories import services

    story = stories[2]
    services.story_update(story_id=story.pk, user=writer, body=story.body + " Unreviewed.")
    story.refresh_from_db()
    tamper("UPDATE stories_story SET live_revision_id = latest_revision_id WHERE id = %s",
           [story.pk])
    code, _, err = run(_url(live_server, story), "--allow-http")
    assert code == 1
    assert "revision 2 of /stories/" in err and "has no entry in the transparency log" in err


def test_verify_transparency_names_the_first_altered_entry(stories):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    call_command("verify_transparency")
    tamper('UPDATE audit_transparencyentry SET data = replace(data, \'"publish"\', '
           '\'"update"\') WHERE "index" = 1')
    with pytest.raises(CommandError, match="entry 1: its stored hashes do not match"):
        call_command("verify_transparency")
