"""Signed checkpoints through the commands and the beat task, on any database."""

import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings as django_settings
from django.core.management import call_command
from django.core.management.base import CommandError

from audit import checkpoints
from audit.services import audit_record
from audit.tasks import write_checkpoint
from tests.audit.helpers import tamper

NEW_KEY = checkpoints.private_key_text(Ed25519PrivateKey.from_private_bytes(b"\7" * 32))


@pytest.fixture
def chain(db):
    return [audit_record(action=f"step{i}", details={"n": i}) for i in range(3)]


def log(settings) -> list[dict]:
    return [json.loads(line) for line in Path(settings.AUDIT_CHECKPOINT_PATH).read_text()
            .splitlines()]


def test_audit_checkpoint_appends_one_signed_line(chain, settings, capsys):
    call_command("audit_checkpoint")
    assert f"Checkpoint signed: 3 events, head #{chain[2].pk}" in capsys.readouterr().out
    (line,) = log(settings)
    assert (line["count"], line["head_id"], line["head_hash"]) == (3, chain[2].pk, chain[2].hash)


def test_audit_checkpoint_writes_nothing_when_no_event_is_new(chain, settings, capsys):
    call_command("audit_checkpoint")
    call_command("audit_checkpoint")
    assert "nothing written" in capsys.readouterr().out
    assert len(log(settings)) == 1


def test_audit_checkpoint_appends_to_what_is_there(chain, settings):
    call_command("audit_checkpoint")
    audit_record(action="later")
    call_command("audit_checkpoint")
    assert [line["count"] for line in log(settings)] == [3, 4]


def test_verify_audit_reports_events_newer_than_the_latest_checkpoint(chain, capsys):
    call_command("audit_checkpoint")
    audit_record(action="later")
    call_command("verify_audit")
    out = capsys.readouterr().out
    assert "Audit chain intact: 4 events checked" in out
    assert "covers 3, 1 event is newer than it" in out


def test_verify_audit_warns_without_a_checkpoint_and_can_require_one(chain, capsys):
    call_command("verify_audit")
    assert "No signed checkpoint" in capsys.readouterr().err
    with pytest.raises(CommandError, match="the checkpoint log has none"):
        call_command("verify_audit", require_checkpoint=True)


def test_verify_audit_names_deleted_newest_events_from_the_checkpoint(chain):
    call_command("audit_checkpoint")
    tamper("DELETE FROM audit_event WHERE id = %s", [chain[2].pk])
    with pytest.raises(CommandError, match=r"holds 2 events, but the checkpoint signed at .* "
                                           r"counted 3 \(the last #\d+\): 1 event was deleted"):
        call_command("verify_audit")


def test_audit_checkpoint_refuses_to_sign_a_chain_that_does_not_verify(chain, settings):
    tamper("UPDATE audit_event SET details = %s WHERE id = %s", ['{"n": 99}', chain[1].pk])
    with pytest.raises(CommandError, match=f"Not signed: Audit chain broken at event "
                                           f"#{chain[1].pk}"):
        call_command("audit_checkpoint")
    assert not Path(settings.AUDIT_CHECKPOINT_PATH).exists()


def test_audit_checkpoint_checks_events_since_the_last_checkpoint(chain):
    call_command("audit_checkpoint")
    later = audit_record(action="later")
    tamper("UPDATE audit_event SET mac = %s WHERE id = %s", ["0" * 64, later.pk])
    with pytest.raises(CommandError, match=f"event #{later.pk} .*MAC does not match"):
        call_command("audit_checkpoint")


def test_an_edited_checkpoint_line_is_named(chain, settings):
    call_command("audit_checkpoint")
    path = Path(settings.AUDIT_CHECKPOINT_PATH)
    path.write_text(path.read_text().replace('"count":3', '"count":2'))
    with pytest.raises(CommandError, match="line 1: its signature does not match its content"):
        call_command("verify_audit")


def test_a_checkpoint_signed_by_an_unlisted_key_is_named(chain, settings):
    call_command("audit_checkpoint")
    settings.AUDIT_SIGNING_KEY = NEW_KEY
    with pytest.raises(CommandError, match="line 1: it is signed by key '[0-9a-f]{16}', which "
                                           "is not a configured verification key"):
        call_command("verify_audit")


def test_after_a_signing_key_rotation_old_checkpoints_verify_with_the_old_public_key(
        chain, settings, capsys):
    call_command("audit_checkpoint")
    old = checkpoints.load_signing_key(settings.AUDIT_SIGNING_KEY)
    settings.AUDIT_SIGNING_KEY = NEW_KEY
    settings.AUDIT_VERIFY_KEYS = [checkpoints.public_key_text(old)]
    audit_record(action="later")
    call_command("audit_checkpoint")
    call_command("verify_audit")
    assert "the latest of 2 signed checkpoints" in capsys.readouterr().out
    assert len({line["key"] for line in log(settings)}) == 2


def test_audit_checkpoint_without_a_signing_key_says_which_setting(chain, settings):
    settings.AUDIT_SIGNING_KEY = ""
    with pytest.raises(Exception, match="Set AUDIT_SIGNING_KEY"):
        call_command("audit_checkpoint")


def test_the_beat_schedule_runs_the_checkpoint_task(chain, settings):
    entry = django_settings.CELERY_BEAT_SCHEDULE["audit-checkpoint"]
    assert entry["task"] == write_checkpoint.name
    assert write_checkpoint.delay().get() == 3
    assert log(settings)[0]["count"] == 3


def test_audit_keygen_prints_keys_that_work_together(capsys):
    call_command("audit_keygen")
    values = dict(line.split("=", 1) for line in capsys.readouterr().out.splitlines())
    assert set(values) == {"AUDIT_HMAC_KEY", "AUDIT_SIGNING_KEY", "AUDIT_VERIFY_KEYS",
                           "TRANSPARENCY_SIGNING_KEY"}
    assert len(values["AUDIT_HMAC_KEY"]) >= 32
    signing = checkpoints.load_signing_key(values["AUDIT_SIGNING_KEY"])
    assert checkpoints.public_key_text(signing) == values["AUDIT_VERIFY_KEYS"]

