"""The canonical bytes of a revision and their SHA-256: what a sign-off is pinned to.

Pure: plain values in, bytes and hex digests out (no ORM, settings or I/O), so a reader's
tool can rebuild the same bytes from what the public API shows.

Version 1 (revisions saved before source pinning) covered title, dek, body and the list of
source keys. Version 2 covers title, dek, body and, for every numbered source in number order,
the pinned copy a reviewer checked: key, kind, title, outlet, author, date, URL, description
and the snapshot (id, SHA-256 and time of the capture).
"""

import hashlib
import json
from collections.abc import Mapping, Sequence

CURRENT_VERSION = 2

# The fields of a pinned source that the hash covers, in the canonical JSON's key order.
PINNED_FIELDS = ("key", "kind", "title", "outlet", "author", "published_on", "url",
                 "description", "snapshot_id", "snapshot_sha256", "snapshot_fetched_at")


def _dumps(value) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False).encode()


def covered_sources(sources: Sequence[Mapping], version: int = CURRENT_VERSION) -> list[dict]:
    """What of each source the hash covers: its key (version 1) or PINNED_FIELDS (version 2)."""
    if version == 1:
        return [{"key": s["key"]} for s in sources]
    if version != 2:
        raise ValueError(f"Unknown canonical content version {version!r}.")
    return [{name: source.get(name) for name in PINNED_FIELDS} for source in sources]


def canonical_bytes(*, title: str, dek: str, body: str, sources: Sequence[Mapping],
                    version: int = CURRENT_VERSION) -> bytes:
    """The exact bytes hashed for a revision; `sources` are pinned copies in number order."""
    covered = covered_sources(sources, version)
    if version == 1:
        return _dumps({"title": title, "dek": dek, "body": body,
                       "sources": [s["key"] for s in covered]})
    return _dumps({"v": 2, "title": title, "dek": dek, "body": body, "sources": covered})


def content_hash(*, title: str, dek: str, body: str, sources: Sequence[Mapping],
                 version: int = CURRENT_VERSION) -> str:
    """SHA-256 (hex) of canonical_bytes()."""
    return hashlib.sha256(canonical_bytes(title=title, dek=dek, body=body, sources=sources,
                                          version=version)).hexdigest()
