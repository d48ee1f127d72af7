"""Signed tree heads of the transparency log: {size, root, timestamp, key}, Ed25519-signed.

Pure: keys and values in, bytes and frozen dataclasses out. The signed bytes are fixed in
docs/transparency.md so that a reader's own tool can check them; the key handling is the audit
checkpoints' (audit.checkpoints), one place for Ed25519 keys.
"""

import base64
import binascii
import json
import re
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from .checkpoints import public_key_id

VERSION = 1
CONTEXT = b"newsroom-transparency-tree-head-v1\n"
_HEX64 = re.compile(r"[0-9a-f]{64}")


class TreeHeadError(ValueError):
    """A tree head that is malformed, signed by an unknown key, or not what was signed."""


@dataclass(frozen=True)
class TreeHead:
    """The log had `size` entries with Merkle root `root` (hex) at `timestamp`, signed by key
    `key` (its id) with `signature` (base64)."""

    size: int
    root: str
    timestamp: str
    key: str
    signature: str

    def as_dict(self) -> dict:
        return {"v": VERSION, "size": self.size, "root": self.root,
                "timestamp": self.timestamp, "key": self.key, "signature": self.signature}


def message(*, size: int, root: str, timestamp: str, key: str) -> bytes:
    """The exact bytes signed: the context line, then compact JSON with sorted keys."""
    body = {"key": key, "root": root, "size": size, "timestamp": timestamp, "v": VERSION}
    return CONTEXT + json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def sign(*, size: int, root: str, timestamp: str, key: Ed25519PrivateKey) -> TreeHead:
    """The tree head of a log of `size` entries with root `root`, signed now with `key`."""
    key_id = public_key_id(key)
    signature = key.sign(message(size=size, root=root, timestamp=timestamp, key=key_id))
    return TreeHead(size=size, root=root, timestamp=timestamp, key=key_id,
                    signature=base64.b64encode(signature).decode())


def read(data, public_keys: dict[str, Ed25519PublicKey]) -> TreeHead:
    """Check a tree head's fields and signature; raise TreeHeadError saying what is wrong."""
    if not isinstance(data, dict) or data.get("v") != VERSION:
        raise TreeHeadError(f"it is not a version {VERSION} tree head")
    size, root, timestamp = data.get("size"), data.get("root"), data.get("timestamp")
    key, signature = data.get("key"), data.get("signature")
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise TreeHeadError("its size is not a whole number")
    if not isinstance(root, str) or not _HEX64.fullmatch(root):
        raise TreeHeadError("its root is not a SHA-256 hex digest")
    if not all(isinstance(v, str) for v in (timestamp, key, signature)):
        raise TreeHeadError("its timestamp, key or signature is not text")
    public = public_keys.get(key)
    if public is None:
        raise TreeHeadError(f"it is signed by key {key!r}, which is not one of the log's "
                            "published keys")
    try:
        raw = base64.b64decode(signature, validate=True)
        public.verify(raw, message(size=size, root=root, timestamp=timestamp, key=key))
    except (binascii.Error, ValueError, InvalidSignature) as exc:
        raise TreeHeadError(f"its signature does not match its content (key {key})") from exc
    return TreeHead(size=size, root=root, timestamp=timestamp, key=key, signature=signature)
