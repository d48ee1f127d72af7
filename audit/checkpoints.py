"""Signed checkpoints of the audit chain: {count, head id, head hash, time}, Ed25519-signed.

Pure: keys and text in, frozen dataclasses and text out; reading and appending the checkpoint
log is the services' job. One checkpoint is one JSON line, so the log is append-only text that
anyone holding a public key can check.
"""

import base64
import binascii
import hashlib
import json
import re
from dataclasses import asdict, dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

VERSION = 1
_CONTEXT = b"newsroom-audit-checkpoint-v1\n"
_HEX64 = re.compile(r"[0-9a-f]{64}")


class CheckpointError(ValueError):
    """A checkpoint line that is malformed, signed by an unknown key, or not what was signed."""


class BadKey(ValueError):
    """A signing or verification key that cannot be read."""


@dataclass(frozen=True)
class Checkpoint:
    """The chain had `count` events, the last one `head_id` with hash `head_hash`, at `at`."""

    count: int
    head_id: int | None
    head_hash: str
    at: str
    key: str = ""


def _b64decode(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise BadKey(f"{what} is not base64") from exc


def load_signing_key(text: str) -> Ed25519PrivateKey:
    """An Ed25519 private key from base64 of its 32 raw bytes, or from PEM (PKCS#8)."""
    if text.lstrip().startswith("-----BEGIN"):
        key = serialization.load_pem_private_key(text.encode(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise BadKey("the signing key is not an Ed25519 key")
        return key
    raw = _b64decode(text, "the signing key")
    if len(raw) != 32:
        raise BadKey("the signing key must be 32 bytes (base64 of the raw Ed25519 seed)")
    return Ed25519PrivateKey.from_private_bytes(raw)


def load_public_key(text: str) -> Ed25519PublicKey:
    """An Ed25519 public key from base64 of its 32 raw bytes."""
    raw = _b64decode(text, "a verification key")
    if len(raw) != 32:
        raise BadKey("a verification key must be 32 bytes (base64 of the raw public key)")
    return Ed25519PublicKey.from_public_bytes(raw)


def public_key_text(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    """Base64 of the raw public key: what AUDIT_VERIFY_KEYS lists."""
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def private_key_text(key: Ed25519PrivateKey) -> str:
    """Base64 of the raw 32-byte private key: what AUDIT_SIGNING_KEY holds."""
    raw = key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                            serialization.NoEncryption())
    return base64.b64encode(raw).decode()


def public_key_id(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    """A short name for a public key, written in each checkpoint it signs."""
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def _message(fields: dict) -> bytes:
    body = {k: v for k, v in fields.items() if k != "sig"}
    return _CONTEXT + json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def sign(checkpoint: Checkpoint, key: Ed25519PrivateKey) -> str:
    """The checkpoint as one signed JSON line (no newline)."""
    fields = {**asdict(checkpoint), "key": public_key_id(key), "v": VERSION}
    fields["sig"] = base64.b64encode(key.sign(_message(fields))).decode()
    return json.dumps(fields, sort_keys=True, separators=(",", ":"))


def read(line: str, public_keys: dict[str, Ed25519PublicKey]) -> Checkpoint:
    """Parse and check one line; raise CheckpointError saying what is wrong with it."""
    try:
        fields = json.loads(line)
    except ValueError as exc:
        raise CheckpointError("it is not JSON") from exc
    if not isinstance(fields, dict) or fields.get("v") != VERSION:
        raise CheckpointError(f"it is not a version {VERSION} checkpoint")
    expected = {"at", "count", "head_hash", "head_id", "key", "sig", "v"}
    if set(fields) != expected:
        raise CheckpointError(f"its fields are {sorted(fields)}, not {sorted(expected)}")
    count, head_id, head_hash = fields["count"], fields["head_id"], fields["head_hash"]
    if not isinstance(count, int) or isinstance(count, bool) or count < 0:
        raise CheckpointError("its count is not a whole number")
    if not (head_id is None if count == 0 else isinstance(head_id, int) and head_id > 0):
        raise CheckpointError("its head id does not fit its count")
    if not isinstance(head_hash, str) or not _HEX64.fullmatch(head_hash):
        raise CheckpointError("its head hash is not a SHA-256 hex digest")
    if not isinstance(fields["at"], str) or not isinstance(fields["key"], str):
        raise CheckpointError("its time or key is not text")
    public = public_keys.get(fields["key"])
    if public is None:
        raise CheckpointError(f"it is signed by key {fields['key']!r}, which is not a "
                              "configured verification key (AUDIT_VERIFY_KEYS)")
    try:
        signature = base64.b64decode(str(fields["sig"]), validate=True)
        public.verify(signature, _message(fields))
    except (binascii.Error, ValueError, InvalidSignature) as exc:
        raise CheckpointError("its signature does not match its content") from exc
    return Checkpoint(count=count, head_id=head_id, head_hash=head_hash, at=fields["at"],
                      key=fields["key"])
