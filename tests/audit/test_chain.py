import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from audit.models import AppendOnlyError, Event
from audit.services import GENESIS, audit_record, audit_verify


@pytest.fixture
def chain(writer):
    return [audit_record(action=f"step{i}", actor=writer, details={"n": i}) for i in range(3)]


def test_the_first_event_links_to_the_genesis_hash(db):
    assert audit_record(action="first").prev_hash == GENESIS


def test_each_event_links_to_its_predecessor(chain):
    assert [e.prev_hash for e in chain[1:]] == [e.hash for e in chain[:-1]]


def test_event_keeps_the_actor_display_name_at_that_moment(chain, writer):
    writer.first_name = "Renamed"
    writer.save()
    assert Event.objects.get(pk=chain[0].pk).actor_name == "Staff Writer"


def test_verify_audit_reports_how_many_events_it_checked(chain, capsys):
    call_command("verify_audit")
    assert f"{Event.objects.count()} events checked" in capsys.readouterr().out


def test_saving_an_existing_event_is_refused(chain):
    chain[0].action = "rewritten"
    with pytest.raises(AppendOnlyError):
        chain[0].save()


@pytest.mark.parametrize("operation", ["update", "delete"])
def test_bulk_update_and_delete_are_refused(chain, operation):
    with pytest.raises(AppendOnlyError):
        if operation == "update":
            Event.objects.update(action="x")
        else:
            Event.objects.all().delete()


def test_deleting_one_event_is_refused(chain):
    with pytest.raises(AppendOnlyError):
        chain[1].delete()


def _tamper(sql, params):
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # What a superuser bent on tampering would do: switch user triggers off.
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = DEFAULT")


def test_verify_audit_names_an_event_whose_content_was_altered(chain):
    _tamper("UPDATE audit_event SET details = %s WHERE id = %s", ['{"n": 99}', chain[1].pk])
    with pytest.raises(CommandError, match=f"event #{chain[1].pk} .*does not match its hash"):
        call_command("verify_audit")


def test_verify_audit_names_the_event_after_a_deleted_one(chain):
    _tamper("DELETE FROM audit_event WHERE id = %s", [chain[1].pk])
    report = audit_verify()
    assert report.first_bad.pk == chain[2].pk
    assert "link" in report.reason
