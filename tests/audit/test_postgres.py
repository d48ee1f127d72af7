"""Database-level guarantees that only PostgreSQL gives: the append-only trigger, the restricted
app role, row locks; and each attack on the audit trail from issue 11, detected."""

import io
import threading

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, close_old_connections, connection, transaction

from audit.models import Event
from audit.services import audit_record, audit_verify
from stories import services
from stories.models import Review, State, Story
from stories.services import CheckInput
from tests.audit.helpers import append_forged, rewrite, tamper
from tests.conftest import APP_ROLE, OWNER_ROLE, database_role, need
from tests.factories import SourceFactory, UserFactory, approved_hash, latest_hash, make_story

pytestmark = pytest.mark.postgres


@pytest.fixture(autouse=True)
def _postgres_only(db):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL-only: runs in the DATABASE_URL=postgres://… pass of make test")


@pytest.mark.parametrize("sql", ["UPDATE audit_event SET action = 'x'", "DELETE FROM audit_event",
                                 "TRUNCATE audit_event CASCADE"])
def test_the_trigger_rejects_update_delete_and_truncate_even_from_a_superuser(writer, sql):
    audit_record(action="something", actor=writer)
    with database_role(None), pytest.raises(DatabaseError, match="append-only"), \
            transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the test's pending foreign-key checks
        cursor.execute(sql)
    assert Event.objects.filter(action="something").count() == 1


def test_the_old_maintenance_setting_no_longer_lets_truncate_through(writer):
    audit_record(action="something", actor=writer)
    with database_role(None), pytest.raises(DatabaseError, match="append-only"), \
            transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET LOCAL newsroom.audit_maintenance = 'on'")
        cursor.execute("TRUNCATE audit_event CASCADE")


def test_an_event_altered_with_the_trigger_disabled_is_caught(writer):
    event = audit_record(action="original", actor=writer)
    tamper("UPDATE audit_event SET action = 'forged' WHERE id = %s", [event.pk])
    report = audit_verify()
    assert report.first_bad.pk == event.pk


# --- the restricted app role ----------------------------------------------------------------


@pytest.fixture
def as_app_role():
    need(bool(APP_ROLE), "the suite runs as the restricted app role: set TEST_DB_APP_ROLE "
                         "(and TEST_DB_OWNER_ROLE), as .ci/run does")


def test_the_suite_runs_as_the_restricted_app_role(as_app_role):
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user")
        assert cursor.fetchone() == (APP_ROLE, False)


@pytest.mark.parametrize(("sql", "refusal"), [
    # The attack from issue 11: any session could set the bypass and empty the table.
    (("SET newsroom.audit_maintenance = 'on'", "TRUNCATE audit_event CASCADE"),
     "permission denied for table audit_event"),
    ("UPDATE audit_event SET action = 'x'", "permission denied for table audit_event"),
    ("DELETE FROM audit_event", "permission denied for table audit_event"),
    ("SET session_replication_role = replica", "permission denied to set parameter"),
    ("ALTER TABLE audit_event DISABLE TRIGGER ALL", "must be owner"),
    ("DROP TRIGGER audit_event_no_truncate ON audit_event", "must be owner"),
    ("CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS "
     "$$ BEGIN RETURN NULL; END; $$ LANGUAGE plpgsql", "permission denied for schema public"),
], ids=["maintenance-truncate", "update", "delete", "replica", "disable-trigger", "drop-trigger",
        "replace-function"])
def test_the_app_role_cannot_change_empty_or_unguard_the_audit_table(as_app_role, writer, sql,
                                                                     refusal):
    audit_record(action="something", actor=writer)
    with pytest.raises(DatabaseError, match=refusal), transaction.atomic(), \
            connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for statement in (sql,) if isinstance(sql, str) else sql:
            cursor.execute(statement)
    assert Event.objects.filter(action="something").count() == 1


def test_the_app_role_appends_and_reads_audit_events(as_app_role, writer):
    event = audit_record(action="something", actor=writer)
    assert Event.objects.get(pk=event.pk).mac == event.mac


def test_audit_db_roles_check_passes_for_the_suites_roles(as_app_role, capsys):
    call_command("audit_db_roles", owner=OWNER_ROLE, app=APP_ROLE, check=True)
    assert "Database roles are right" in capsys.readouterr().out


@pytest.mark.parametrize("table", ["audit_event", "audit_transparencyentry"])
def test_audit_db_roles_check_names_a_privilege_the_app_role_must_not_have(as_app_role, table):
    with database_role(None), connection.cursor() as cursor:
        cursor.execute(f'GRANT UPDATE, TRUNCATE ON {table} TO "{APP_ROLE}"')
    with pytest.raises(CommandError, match=f"may change or empty an append-only table: "
                                           f"{table} UPDATE, {table} TRUNCATE"):
        call_command("audit_db_roles", owner=OWNER_ROLE, app=APP_ROLE, check=True)


# --- each attack from issue 11, by a superuser without the MAC key ---------------------------


def _truncate():
    tamper("SET CONSTRAINTS ALL IMMEDIATE")  # the test's own pending foreign-key checks
    tamper("TRUNCATE audit_event")
    return None


def _delete_tail():
    tamper("DELETE FROM audit_event WHERE id IN "
           "(SELECT id FROM audit_event ORDER BY id DESC LIMIT 2)")
    return None


def _append_without_mac():
    return append_forged()


def _append_with_a_made_up_mac():
    head = Event.objects.order_by("-id").first()
    return append_forged(mac="f" * 64, mac_key=head.mac_key)


def _append_with_a_copied_mac():
    head = Event.objects.order_by("-id").first()
    return append_forged(mac=head.mac, mac_key=head.mac_key)


def _rewrite_middle_and_rehash_the_rest():
    middle = Event.objects.order_by("id")[2]
    return rewrite(middle, details={"n": "rewritten"})


def _rewrite_middle_rehash_and_strip_macs():
    middle = Event.objects.order_by("id")[2]
    return rewrite(middle, details={"n": "rewritten"}, mac="")


ATTACKS = [
    (_truncate, r"holds 0 events, but the checkpoint signed at .* counted 6 \(the last #\d+\): "
                r"6 events were deleted \(the table truncated"),
    (_delete_tail, r"holds 4 events, but the checkpoint signed at .* counted 6 .*: 2 events were "
                   r"deleted"),
    (_append_without_mac, r"event #{bad} \(approve, .*\): it has no MAC, though events before it "
                          r"have one"),
    (_append_with_a_made_up_mac, r"event #{bad} \(approve, .*\): its MAC does not match"),
    (_append_with_a_copied_mac, r"event #{bad} \(approve, .*\): its MAC does not match"),
    (_rewrite_middle_and_rehash_the_rest, r"event #{bad} .*: its MAC does not match: the newsroom "
                                          r"did not write this event as it stands"),
    (_rewrite_middle_rehash_and_strip_macs, r"event #{bad} .*: it has no MAC, though events "
                                            r"before it have one"),
]


@pytest.mark.parametrize(("attack", "message"), ATTACKS, ids=[a.__name__[1:] for a, _ in ATTACKS])
def test_verify_audit_names_each_tampering_after_a_checkpoint(writer, attack, message):
    for i in range(5):
        audit_record(action=f"step{i}", actor=writer, details={"n": i})
    assert Event.objects.count() == 6
    call_command("audit_checkpoint", stdout=io.StringIO())
    call_command("verify_audit", stdout=io.StringIO())
    bad = attack()
    with pytest.raises(CommandError, match=message.format(bad=bad)):
        call_command("verify_audit")


def test_a_recomputed_chain_without_macs_fails_on_the_checkpointed_head(writer):
    # Legacy events (no MACs) have only the checkpoint to vouch for them.
    for i in range(5):
        audit_record(action=f"step{i}", actor=writer, details={"n": i})
    tamper("UPDATE audit_event SET mac = '', mac_key = ''")
    call_command("audit_checkpoint", stdout=io.StringIO())
    head = Event.objects.order_by("-id").first()
    rewrite(Event.objects.order_by("id")[2], details={"n": "rewritten"})
    with pytest.raises(CommandError, match=f"event #{head.pk} .*: the checkpoint signed at .* "
                                           f"has event #{head.pk} .* as event number 6: the chain "
                                           "up to here was rewritten"):
        call_command("verify_audit")


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
                services.review_submit(story_id=story.pk, base_revision=latest_hash(story),
                                       reviewer=user, decision="approve",
                                       checks=[CheckInput(claim=1, verdict="supported")])
            elif kind == "edit":
                services.story_update(story_id=story.pk, user=user,
                                      body=f"Cargo rose 4% [@a]. Edit by {user.username}.")
            else:
                services.story_publish(story_id=story.pk, revision=approved_hash(story), user=user)
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
