"""The public transparency log: appending entries in the publishing transaction, and serving its
signed tree heads, entries and proofs (docs/transparency.md).

Each entry row keeps the hashes of the perfect Merkle subtrees its append completed (audit.merkle),
so a proof for any size reads O(log n) rows in one query; and the tree's frontier after it (its
compact range, O(log n) hashes), so an append reads one row. What an entry says is its
caller's: stories.transparency builds it.
"""

import json
import os
from dataclasses import dataclass
from datetime import UTC
from functools import lru_cache
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.utils import timezone

from . import checkpoints, merkle, tree_heads
from .models import TransparencyEntry
from .tree_heads import TreeHead

# Any constant works; it only has to be the same for every writer of the log.
_LOG_LOCK_ID = 7_004_217
# Sizes and indexes above this are refused before any arithmetic (2**53: exact in JSON numbers).
MAX_SIZE = 2**53


class LogDamaged(Exception):
    """A row the tree needs is missing or unreadable: the log was altered in the database."""


def encode_entry(fields: dict) -> str:
    """An entry's canonical JSON text: sorted keys, no spaces, UTF-8 as is (the leaf is its
    UTF-8 bytes)."""
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def timestamp_now() -> str:
    """Now in UTC, to the millisecond, as entries and tree heads carry it."""
    return timezone.now().astimezone(UTC).isoformat(timespec="milliseconds").replace(
        "+00:00", "Z")


# --- keys -----------------------------------------------------------------------------------


@lru_cache(maxsize=4)
def _load(text: str) -> Ed25519PrivateKey:
    return checkpoints.load_signing_key(text)


def _key_text() -> str:
    if settings.TRANSPARENCY_SIGNING_KEY:
        return settings.TRANSPARENCY_SIGNING_KEY
    if not settings.TRANSPARENCY_SIGNING_KEY_FILE:
        raise ImproperlyConfigured("Set TRANSPARENCY_SIGNING_KEY or TRANSPARENCY_SIGNING_KEY_FILE"
                                   ": publishing signs the transparency log.")
    path = Path(settings.TRANSPARENCY_SIGNING_KEY_FILE)
    if not path.exists() and settings.TRANSPARENCY_GENERATE_KEY:
        path.parent.mkdir(parents=True, exist_ok=True)
        text = checkpoints.private_key_text(Ed25519PrivateKey.generate())
        try:
            # O_EXCL: two processes starting at once keep the first key written.
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(text + "\n")
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ImproperlyConfigured(f"TRANSPARENCY_SIGNING_KEY_FILE {path}: {exc}") from exc


def signing_key() -> Ed25519PrivateKey:
    """The key the log signs tree heads with (ImproperlyConfigured when there is none)."""
    try:
        return _load(_key_text())
    except checkpoints.BadKey as exc:
        raise ImproperlyConfigured(f"The transparency signing key: {exc}") from exc


def public_keys() -> dict:
    """Every key tree heads may be signed with, by id: the current one and the former ones."""
    try:
        keys = [checkpoints.load_public_key(text) for text in settings.TRANSPARENCY_VERIFY_KEYS]
    except checkpoints.BadKey as exc:
        raise ImproperlyConfigured(f"TRANSPARENCY_VERIFY_KEYS: {exc}") from exc
    keys.append(signing_key().public_key())
    return {checkpoints.public_key_id(key): key for key in keys}


def published_keys() -> list[dict]:
    """The public keys as the well-known document lists them, current first."""
    current = checkpoints.public_key_id(signing_key())
    keys = public_keys()
    order = [current, *(k for k in keys if k != current)]
    return [{"id": key_id, "algorithm": "Ed25519",
             "public_key": checkpoints.public_key_text(keys[key_id]),
             "current": key_id == current} for key_id in order]


# --- appending ------------------------------------------------------------------------------

# What every read of the log takes from a row: the subtree hashes proofs are served from and the
# signed tree head it made. Never the entry's text, which only the entries page serves.
_ROW = ("index", "nodes", "root", "timestamp", "key", "signature")


@dataclass(frozen=True)
class _Row:
    index: int
    nodes: str
    root: str
    timestamp: str
    key: str
    signature: str

    @property
    def head(self) -> TreeHead:
        return TreeHead(size=self.index + 1, root=self.root, timestamp=self.timestamp,
                        key=self.key, signature=self.signature)


def _rows(positions) -> dict[int, _Row]:
    """The log's rows at these indexes, in one indexed query (absent ones are left out)."""
    found = TransparencyEntry.objects.filter(index__in=sorted(set(positions))).order_by()
    return {values[0]: _Row(*values) for values in found.values_list(*_ROW)}


def _last() -> _Row | None:
    values = TransparencyEntry.objects.order_by("-index").values_list(*_ROW).first()
    return None if values is None else _Row(*values)


def _nodes(needed: set[merkle.Node], rows: dict[int, _Row] | None = None
           ) -> dict[merkle.Node, bytes]:
    """The stored subtree hashes, from `rows` or else read in one query; LogDamaged names a
    missing one."""
    if rows is None:
        rows = _rows(merkle.holder(node) for node in needed)
    found = {}
    for node in needed:
        row = rows.get(merkle.holder(node))
        level = node[0]
        if row is None or len(row.nodes) < 64 * (level + 1):
            raise LogDamaged(f"entry {merkle.holder(node)} of the transparency log is missing "
                             "or damaged")
        found[node] = bytes.fromhex(row.nodes[64 * level:64 * (level + 1)])
    return found


def _frontier(last) -> tuple[int, dict[merkle.Node, bytes]]:
    """The log's size and its frontier's hashes, from the last entry's (index, frontier); an
    entry logged before frontiers were kept has none, and its frontier is read from the
    subtrees the rows store instead (once: the entry appended next keeps one)."""
    if last is None:
        return 0, {}
    size, stored = last[0] + 1, bytes(last[1])
    parts = merkle.frontier(size)
    if not stored:
        return size, _nodes(set(parts))
    if len(stored) != merkle.HASH_SIZE * len(parts):
        raise LogDamaged(f"entry {last[0]} of the transparency log is damaged (its frontier)")
    return size, {node: stored[merkle.HASH_SIZE * i:merkle.HASH_SIZE * (i + 1)]
                  for i, node in enumerate(parts)}


@transaction.atomic(savepoint=False)
def log_append(*, fields: dict, kind: str, story=None, revision_number: int | None = None,
               content_hash: str = "") -> TransparencyEntry:
    """Append one entry and sign the new tree head; appends are serialised, so the tree never
    forks. Call it inside the transaction of the change it records.

    Its cost does not grow with the log: the lock, one row (the last entry, which keeps the
    tree's frontier), one signature and the insert."""
    # What does not depend on the tree is done before the lock, which the publishing
    # transaction holds to its end: the key and the entry's bytes.
    key = signing_key()
    data = encode_entry(fields)
    leaf = data.encode()
    timestamp = fields.get("at") or timestamp_now()
    if connection.vendor == "postgresql":
        # Held to the end of the publishing transaction: a second append waits here, then reads
        # the first one's row, so two publishes never compute the same leaf index.
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOG_LOCK_ID])
    size, nodes = _frontier(TransparencyEntry.objects.order_by("-index").values_list(
        "index", "frontier").first())
    made = merkle.appended(size, leaf, nodes)
    for level, digest in enumerate(made):
        nodes[(level, size >> level)] = digest
    root = merkle.tree_root(size + 1, nodes).hex()
    head = tree_heads.sign(size=size + 1, root=root, timestamp=timestamp, key=key)
    entry = TransparencyEntry(
        index=size, data=data, nodes="".join(d.hex() for d in made),
        frontier=b"".join(nodes[node] for node in merkle.frontier(size + 1)), root=root,
        timestamp=head.timestamp, key=head.key, signature=head.signature, story=story,
        revision_number=revision_number, content_hash=content_hash, kind=kind)
    entry.save(force_insert=True)
    return entry


# --- reading --------------------------------------------------------------------------------


def log_size() -> int:
    last = TransparencyEntry.objects.order_by("-index").values_list("index", flat=True).first()
    return 0 if last is None else last + 1


def tree_head(size: int | None = None) -> TreeHead | None:
    """The signed head of the log at `size` entries (default: now); None for an empty log or a
    size it never had."""
    if size is None:
        row = _last()
    else:
        row = _rows([size - 1]).get(size - 1) if 0 < size <= MAX_SIZE else None
    return None if row is None else row.head


def _out_of_range(name: str, size: int) -> Exception:
    """Why the row of the head at `size` is absent: a size the log never had, or a damaged log
    (rows after it exist)."""
    have = log_size()
    if size > have:
        return merkle.ProofError(f"{name} {size} is out of range: the log has {have} entries")
    return LogDamaged(f"entry {size - 1} of the transparency log is missing")


@dataclass(frozen=True)
class InclusionProof:
    """Entry `index` is in the tree of `head.size` entries: the audit path, deepest first."""

    index: int
    leaf_hash: str
    path: list[str]
    head: TreeHead


def inclusion_proof(*, index: int, size: int | None = None) -> InclusionProof:
    """The audit path of entry `index` in the tree of `size` entries (default: now): one query
    for a given size, two for the current one, whatever the log's size."""
    if size is None:
        last = _last()
        if last is None:
            raise merkle.ProofError("the log is empty")
        size = last.index + 1
    elif not 0 < size <= MAX_SIZE:
        raise merkle.ProofError(f"size {size} is out of range: the log has {log_size()} "
                                "entries")
    if not 0 <= index < size:
        if tree_head(size) is None:
            raise _out_of_range("size", size)
        raise merkle.ProofError(f"index {index} is out of range: the tree of {size} entries "
                                f"holds entries 0 to {size - 1}")
    ranges = merkle.inclusion_ranges(index, size)
    needed = merkle.nodes_for([*ranges, (index, index + 1)])
    rows = _rows([size - 1, *(merkle.holder(node) for node in needed)])
    if size - 1 not in rows:
        raise _out_of_range("size", size)
    nodes = _nodes(needed, rows)
    return InclusionProof(
        index=index, leaf_hash=merkle.range_hash(index, index + 1, nodes).hex(),
        path=[merkle.range_hash(a, b, nodes).hex() for a, b in ranges], head=rows[size - 1].head)


@dataclass(frozen=True)
class ConsistencyProof:
    """The tree at `second.size` extends the tree at `first.size` (None: empty)."""

    path: list[str]
    first: TreeHead | None
    second: TreeHead


def consistency_proof(*, first: int, second: int | None = None) -> ConsistencyProof:
    """The consistency proof between the log's tree heads at two sizes (default: now): one
    query for two given sizes, two for the current one, whatever the log's size."""
    if second is None:
        last = _last()
        if last is None:
            raise merkle.ProofError("the log is empty: there is no tree head to prove against")
        second = last.index + 1
    elif second == 0:
        raise merkle.ProofError("second 0 is out of range: an empty log has no tree head")
    if first > second:
        raise merkle.ProofError(f"first {first} is out of range: it is larger than second "
                                f"{second}")
    ranges = merkle.consistency_ranges(first, second)
    needed = merkle.nodes_for(ranges)
    heads = [second - 1, first - 1] if first else [second - 1]
    rows = _rows([*heads, *(merkle.holder(node) for node in needed)])
    if second - 1 not in rows:
        raise _out_of_range("second", second)
    if first and first - 1 not in rows:
        raise LogDamaged(f"entry {first - 1} of the transparency log is missing")
    nodes = _nodes(needed, rows)
    return ConsistencyProof(path=[merkle.range_hash(a, b, nodes).hex() for a, b in ranges],
                            first=rows[first - 1].head if first else None,
                            second=rows[second - 1].head)


def entries(*, start: int, limit: int) -> list[TransparencyEntry]:
    """Entries from `start`, oldest first, at most `limit`."""
    return list(TransparencyEntry.objects.filter(index__gte=start).order_by("index")[:limit])


# --- checking -------------------------------------------------------------------------------


@dataclass(frozen=True)
class LogReport:
    """What re-deriving the whole log from its entries found."""

    checked: int
    problem: str = ""

    @property
    def intact(self) -> bool:
        return not self.problem


def log_verify() -> LogReport:
    """Recompute every subtree, root and signature from the entries' bytes, oldest first;
    report the first entry that does not match (a changed, missing or reordered row)."""
    keys = public_keys()
    nodes: dict[merkle.Node, bytes] = {}
    expected, kept = 0, False
    for row in TransparencyEntry.objects.order_by("index").iterator(chunk_size=2000):
        if row.index != expected:
            return LogReport(expected, f"entry {expected} is missing (the next is {row.index})")
        made = merkle.appended(expected, row.data.encode(), nodes)
        if row.nodes != "".join(d.hex() for d in made):
            return LogReport(expected, f"entry {expected}: its stored hashes do not match its "
                                       "content (the entry or one before it was changed)")
        for level, digest in enumerate(made):
            nodes[(level, expected >> level)] = digest
        # Only the frontier is needed to go on.
        frontier = merkle.frontier(expected + 1)
        nodes = {node: nodes[node] for node in frontier}
        stored = bytes(row.frontier)
        if stored and stored != b"".join(nodes[node] for node in frontier):
            return LogReport(expected, f"entry {expected}: its stored frontier does not match "
                                       "the entries up to it")
        if kept and not stored:  # only entries logged before frontiers were kept lack one
            return LogReport(expected, f"entry {expected}: its stored frontier was removed")
        kept = kept or bool(stored)
        if row.root != merkle.tree_root(expected + 1, nodes).hex():
            return LogReport(expected, f"entry {expected}: its tree root does not match")
        try:
            tree_heads.read(TreeHead(size=row.index + 1, root=row.root, timestamp=row.timestamp,
                                     key=row.key, signature=row.signature).as_dict(), keys)
        except tree_heads.TreeHeadError as exc:
            return LogReport(expected, f"entry {expected}: its tree head: {exc}")
        expected += 1
    return LogReport(expected)
