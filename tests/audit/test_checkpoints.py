import base64
import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from audit import checkpoints
from audit.checkpoints import Checkpoint, CheckpointError

KEY = Ed25519PrivateKey.from_private_bytes(b"\1" * 32)
OTHER = Ed25519PrivateKey.from_private_bytes(b"\2" * 32)
KEYS = {checkpoints.public_key_id(KEY): KEY.public_key()}
CHECKPOINT = Checkpoint(count=12, head_id=14, head_hash="c" * 64, at="2026-12-01T10:00:00+00:00")


def line(**changes) -> str:
    fields = json.loads(checkpoints.sign(CHECKPOINT, KEY))
    fields.update(changes)
    return json.dumps(fields)


def test_a_signed_checkpoint_reads_back_with_the_key_that_signed_it():
    read = checkpoints.read(checkpoints.sign(CHECKPOINT, KEY), KEYS)
    assert read == Checkpoint(12, 14, "c" * 64, CHECKPOINT.at, checkpoints.public_key_id(KEY))


def test_a_signed_checkpoint_is_one_json_line():
    text = checkpoints.sign(CHECKPOINT, KEY)
    assert "\n" not in text and json.loads(text)["count"] == 12


@pytest.mark.parametrize("changes", [
    {"count": 11},                     # a shortened chain passed off as signed
    {"head_id": 13},
    {"head_hash": "d" * 64},
    {"at": "2027-01-01T00:00:00+00:00"},
])
def test_changing_any_signed_field_breaks_the_signature(changes):
    with pytest.raises(CheckpointError, match="signature does not match"):
        checkpoints.read(line(**changes), KEYS)


def test_a_checkpoint_signed_by_another_key_is_refused_naming_the_key():
    text = checkpoints.sign(CHECKPOINT, OTHER)
    with pytest.raises(CheckpointError, match=f"key '{checkpoints.public_key_id(OTHER)}'"):
        checkpoints.read(text, KEYS)


def test_a_checkpoint_claiming_a_known_key_but_signed_by_another_is_refused():
    forged = json.loads(checkpoints.sign(CHECKPOINT, OTHER))
    forged["key"] = checkpoints.public_key_id(KEY)
    with pytest.raises(CheckpointError, match="signature does not match"):
        checkpoints.read(json.dumps(forged), KEYS)


def test_an_old_key_still_verifies_the_checkpoints_it_signed():
    keys = {**KEYS, checkpoints.public_key_id(OTHER): OTHER.public_key()}
    assert checkpoints.read(checkpoints.sign(CHECKPOINT, OTHER), keys).count == 12


@pytest.mark.parametrize(("text", "message"), [
    ("not json", "not JSON"),
    ("[]", "not a version 1"),
    ('{"v": 2}', "not a version 1"),
    (line(extra=1), "its fields are"),
    (line(count=-1), "count is not a whole number"),
    (line(count="12"), "count is not a whole number"),
    (line(count=True), "count is not a whole number"),
    (line(head_id=None), "head id does not fit"),
    (line(count=0), "head id does not fit"),
    (line(head_hash="C" * 64), "not a SHA-256"),
    (line(head_hash="c" * 63), "not a SHA-256"),
    (line(at=5), "time or key is not text"),
    (line(sig="***"), "signature does not match"),
    (line(sig=""), "signature does not match"),
])
def test_malformed_lines_are_refused_saying_why(text, message):
    with pytest.raises(CheckpointError, match=message):
        checkpoints.read(text, KEYS)


def test_an_empty_chain_checkpoints_with_no_head():
    empty = Checkpoint(count=0, head_id=None, head_hash="0" * 64, at=CHECKPOINT.at)
    assert checkpoints.read(checkpoints.sign(empty, KEY), KEYS).head_id is None


@pytest.mark.parametrize(("load", "text", "message"), [
    (checkpoints.load_signing_key, "not base64!", "not base64"),
    (checkpoints.load_signing_key, base64.b64encode(b"short").decode(), "32 bytes"),
    (checkpoints.load_public_key, base64.b64encode(b"x" * 31).decode(), "32 bytes"),
])
def test_unreadable_keys_are_refused_saying_why(load, text, message):
    with pytest.raises(checkpoints.BadKey, match=message):
        load(text)


def test_keys_round_trip_through_their_text_and_pem_forms():
    from cryptography.hazmat.primitives import serialization

    private = checkpoints.private_key_text(KEY)
    assert checkpoints.public_key_text(checkpoints.load_signing_key(private)) == (
        checkpoints.public_key_text(KEY))
    pem = KEY.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    assert checkpoints.public_key_id(checkpoints.load_signing_key(pem)) == (
        checkpoints.public_key_id(KEY))
    public = checkpoints.load_public_key(checkpoints.public_key_text(KEY))
    assert checkpoints.public_key_id(public) == checkpoints.public_key_id(KEY)
