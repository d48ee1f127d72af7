import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from audit import macs
from audit.models import AppendOnlyError, Event
from audit.services import GENESIS, audit_record, audit_verify
from tests.audit.helpers import rewrite, tamper


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


def test_verify_audit_names_an_event_whose_content_was_altered(chain):
    tamper("UPDATE audit_event SET details = %s WHERE id = %s", ['{"n": 99}', chain[1].pk])
    with pytest.raises(CommandError, match=f"event #{chain[1].pk} .*does not match its hash"):
        call_command("verify_audit")


def test_verify_audit_names_the_event_after_a_deleted_one(chain):
    tamper("DELETE FROM audit_event WHERE id = %s", [chain[1].pk])
    report = audit_verify()
    assert report.first_bad.pk == chain[2].pk
    assert "link" in report.reason


# --- MACs -----------------------------------------------------------------------------------


def test_each_event_carries_a_mac_of_its_hash_made_with_the_current_key(chain, settings):
    key = settings.AUDIT_HMAC_KEY.encode()
    for event in Event.objects.all():
        assert event.mac_key == macs.key_id(key)
        assert macs.mac_matches(key, event.hash, event.mac)


def test_verify_audit_names_an_event_rewritten_and_rehashed_without_the_key(chain):
    bad = rewrite(chain[1], details={"n": 99})
    with pytest.raises(CommandError, match=f"event #{bad} .*its MAC does not match"):
        call_command("verify_audit")


def test_verify_audit_refuses_macs_of_a_key_it_does_not_know(chain, settings):
    old = macs.key_id(settings.AUDIT_HMAC_KEY.encode())
    settings.AUDIT_HMAC_KEY = "a-new-key-without-the-old-one-retired-0123456789"
    first = Event.objects.first().pk
    with pytest.raises(CommandError, match=f"event #{first} .*key '{old}', which is "
                                           "neither AUDIT_HMAC_KEY nor in AUDIT_HMAC_RETIRED"):
        call_command("verify_audit")


def test_a_retired_key_keeps_its_macs_verifying_while_new_events_use_the_new_key(
        chain, settings, capsys):
    settings.AUDIT_HMAC_RETIRED_KEYS = [settings.AUDIT_HMAC_KEY]
    settings.AUDIT_HMAC_KEY = "the-next-audit-hmac-key-0123456789abcdef"
    newer = audit_record(action="after rotation")
    assert newer.mac_key == macs.key_id(settings.AUDIT_HMAC_KEY.encode()) != chain[0].mac_key
    call_command("verify_audit")
    assert f"{Event.objects.count()} events checked" in capsys.readouterr().out


def test_events_from_before_macs_are_reported_as_unauthenticated_legacy(chain, capsys):
    tamper("UPDATE audit_event SET mac = '', mac_key = '' WHERE id <= %s", [chain[1].pk])
    first = Event.objects.first().pk
    call_command("verify_audit")
    output = capsys.readouterr()
    assert f"{Event.objects.count()} events checked" in output.out
    assert (f"{chain[1].pk - first + 1} events (#{first} to #{chain[1].pk}) predate event MACs "
            "and are unauthenticated") in output.err


def test_an_event_without_a_mac_after_sealed_ones_is_named(chain):
    tamper("UPDATE audit_event SET mac = '', mac_key = '' WHERE id = %s", [chain[2].pk])
    with pytest.raises(CommandError, match=f"event #{chain[2].pk} .*has no MAC, though events "
                                           "before it have one"):
        call_command("verify_audit")


@pytest.mark.parametrize("altered", [1, 9])
def test_a_chain_read_in_many_chunks_is_checked_to_its_end_and_stops_at_an_alteration(
        writer, monkeypatch, altered):
    # Chunks of 2 rows: on PostgreSQL a second thread reads them ahead of the check. Stopping
    # at an altered event mid-stream leaves the connection usable (the report reads the event).
    monkeypatch.setattr("audit.services._CHUNK", 2)
    events = [audit_record(action=f"step{i}", actor=writer, details={"n": i}) for i in range(11)]
    total = Event.objects.count()  # the fixtures' own events too
    assert audit_verify().checked == total
    tamper("UPDATE audit_event SET details = %s WHERE id = %s", ['{"n": 99}', events[altered].pk])
    report = audit_verify()
    assert not report.intact and report.first_bad.pk == events[altered].pk
    assert report.checked == Event.objects.filter(pk__lt=events[altered].pk).count()
