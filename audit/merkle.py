"""The Merkle tree of RFC 9162 (Certificate Transparency 2.0), section 2.1: hashes, proofs and
their verification.

Pure: bytes and integers in, bytes out; no ORM, settings or I/O. Where the hashes come from is
the caller's business: the algorithms name the *subtrees* a proof needs (`inclusion_ranges`,
`consistency_ranges`), every such subtree is made of a few perfect, aligned subtrees
(`perfect_parts`), and a store that keeps those (level, index) nodes serves any proof of a
tree of n leaves from O(log n) of them (`range_hash`).

Why not pymerkle: its proofs are its own format (the leaf inside the path, a "rule" bit list,
1-based indexes), not RFC 9162's audit paths; its subtree roots are recomputed from every leaf
underneath (half a million reads for a proof in a log of a million entries, cached per
process); and a reader's verifier would have to install it. These are the RFC's algorithms,
checked against the RFC 6962 test vectors of the Go implementations (tests/audit/test_merkle.py).
"""

import hashlib
from collections.abc import Iterable, Mapping

HASH_SIZE = 32
LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
EMPTY_ROOT = hashlib.sha256(b"").digest()

Node = tuple[int, int]  # (level, index): the perfect subtree of leaves [index*2**level, +2**level)
Range = tuple[int, int]  # leaves [start, end)


class ProofError(ValueError):
    """A proof that does not prove what it claims, or a request no proof can answer."""


def leaf_hash(entry: bytes) -> bytes:
    """SHA-256(0x00 || entry)."""
    return hashlib.sha256(LEAF_PREFIX + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right)."""
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def root(leaf_hashes: list[bytes]) -> bytes:
    """MTH(D[n]) straight from the definition: for small trees and tests."""
    n = len(leaf_hashes)
    if n == 0:
        return EMPTY_ROOT
    if n == 1:
        return leaf_hashes[0]
    k = _split(n)
    return node_hash(root(leaf_hashes[:k]), root(leaf_hashes[k:]))


# --- which subtrees a proof is made of ----------------------------------------------------------


def _check_size(value: int, what: str) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ProofError(f"{what} must be a whole number, 0 or more")


def inclusion_ranges(index: int, size: int) -> list[Range]:
    """PATH(index, D[size]) of RFC 9162 2.1.3.1 as leaf ranges, deepest first."""
    _check_size(index, "the leaf index")
    _check_size(size, "the tree size")
    if index >= size:
        raise ProofError(f"leaf {index} is not in a tree of {size} entries")
    path: list[Range] = []
    start, end = 0, size
    while end - start > 1:
        k = _split(end - start)
        if index < start + k:
            path.append((start + k, end))
            end = start + k
        else:
            path.append((start, start + k))
            start += k
    return path[::-1]


def consistency_ranges(first: int, second: int) -> list[Range]:
    """PROOF(first, D[second]) of RFC 9162 2.1.4.1 as leaf ranges, deepest first; empty when
    first is 0 or equal to second."""
    _check_size(first, "the first tree size")
    _check_size(second, "the second tree size")
    if first > second:
        raise ProofError(f"a tree of {first} entries cannot precede one of {second}")
    if first == 0 or first == second:
        return []
    path: list[Range] = []
    start, m, n, whole = 0, first, second, True
    while m != n:
        k = _split(n)
        if m <= k:
            path.append((start + k, start + n))
            n = k
        else:
            path.append((start, start + k))
            start, m, n, whole = start + k, m - k, n - k, False
    if not whole:
        path.append((start, start + m))
    return path[::-1]


def perfect_parts(start: int, end: int) -> list[Node]:
    """The perfect, aligned subtrees MTH(D[start:end]) is built from, left to right."""
    n = end - start
    if n <= 0:
        raise ProofError("an empty range has no subtrees")
    if n & (n - 1) == 0 and start % n == 0:
        level = n.bit_length() - 1
        return [(level, start >> level)]
    k = _split(n)
    return perfect_parts(start, start + k) + perfect_parts(start + k, end)


def nodes_for(ranges: Iterable[Range]) -> set[Node]:
    """Every stored node the ranges' hashes need."""
    return {node for start, end in ranges for node in perfect_parts(start, end)}


def range_hash(start: int, end: int, nodes: Mapping[Node, bytes]) -> bytes:
    """MTH(D[start:end]) from stored perfect subtrees (KeyError naming a missing one)."""
    n = end - start
    if n & (n - 1) == 0 and start % n == 0:
        level = n.bit_length() - 1
        return nodes[(level, start >> level)]
    k = _split(n)
    return node_hash(range_hash(start, start + k, nodes), range_hash(start + k, end, nodes))


def frontier(size: int) -> list[Node]:
    """The perfect subtrees a tree of `size` leaves is made of, left to right (its compact
    form: enough to compute its root and to append to it)."""
    return perfect_parts(0, size) if size else []


def tree_root(size: int, nodes: Mapping[Node, bytes]) -> bytes:
    """MTH(D[size]) from its frontier nodes."""
    return range_hash(0, size, nodes) if size else EMPTY_ROOT


def appended(size: int, leaf: bytes, nodes: Mapping[Node, bytes]) -> list[bytes]:
    """The new perfect subtrees ending at leaf number `size` (0-based), level 0 (the leaf
    hash) first, given the frontier nodes of the tree of `size` leaves."""
    current = leaf_hash(leaf)
    made = [current]
    level = 0
    while (size >> level) & 1:
        current = node_hash(nodes[(level, (size >> level) - 1)], current)
        made.append(current)
        level += 1
    return made


def holder(node: Node) -> int:
    """The leaf whose append made this node (the last leaf under it)."""
    level, index = node
    return ((index + 1) << level) - 1


# --- verifying (RFC 9162 2.1.3.2 and 2.1.4.2) ---------------------------------------------------


def _check_hashes(hashes: list[bytes], what: str) -> None:
    if not all(isinstance(h, bytes) and len(h) == HASH_SIZE for h in hashes):
        raise ProofError(f"{what} holds something that is not a SHA-256 hash")


def verify_inclusion(*, index: int, size: int, leaf: bytes, path: list[bytes],
                     root_hash: bytes) -> None:
    """Raise ProofError unless `path` proves leaf hash `leaf` is entry `index` of the tree of
    `size` entries whose root is `root_hash`."""
    _check_size(index, "the leaf index")
    _check_size(size, "the tree size")
    _check_hashes([leaf, root_hash, *path], "the inclusion proof")
    if index >= size:
        raise ProofError(f"leaf {index} is not in a tree of {size} entries")
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            raise ProofError("the inclusion proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("the inclusion proof is shorter than the tree is deep")
    if r != root_hash:
        raise ProofError("the inclusion proof does not lead to the tree head's root")


def verify_consistency(*, first: int, second: int, first_root: bytes, second_root: bytes,
                       path: list[bytes]) -> None:
    """Raise ProofError unless `path` proves the tree of `second` entries (root `second_root`)
    extends the tree of `first` entries (root `first_root`) by appending only."""
    _check_size(first, "the first tree size")
    _check_size(second, "the second tree size")
    _check_hashes([first_root, second_root, *path], "the consistency proof")
    if first > second:
        raise ProofError(f"the log shrank: {second} entries now, {first} before")
    if first == second:
        if path:
            raise ProofError("a consistency proof between equal sizes must be empty")
        if first_root != second_root:
            raise ProofError(f"two different roots for the same size {first}: the log was "
                             "rewritten")
        return
    if first == 0:
        if path:
            raise ProofError("a consistency proof from the empty tree must be empty")
        return
    if not path:
        raise ProofError("the consistency proof is empty")
    if first & (first - 1) == 0:
        path = [first_root, *path]
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("the consistency proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("the consistency proof is shorter than the tree is deep")
    if fr != first_root:
        raise ProofError(f"the consistency proof does not lead to the earlier root (size "
                         f"{first}): entries before it were changed, removed or reordered")
    if sr != second_root:
        raise ProofError(f"the consistency proof does not lead to the later root (size "
                         f"{second})")
