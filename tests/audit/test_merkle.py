"""RFC 9162 section 2.1, checked against independent vectors: the RFC 6962 test data that the
Go implementations (transparency-dev/merkle, Trillian, certificate-transparency-go) test with."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audit import merkle

LEAVES = [bytes.fromhex(h) for h in (
    "", "00", "10", "2021", "3031", "40414243", "5051525354555657",
    "606162636465666768696a6b6c6d6e6f")]
ROOTS = {0: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", **{
    n: h for n, h in enumerate((
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"), start=1)}}
# (leaf index, tree size, audit path)
INCLUSION = [
    (0, 1, []),
    (0, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (5, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (1, 5, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
]
# (first size, second size, consistency proof)
CONSISTENCY = [
    (1, 1, []),
    (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
    (6, 7, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
]


class Store:
    """A log grown one append at a time, the way the database keeps it: perfect subtrees only."""

    def __init__(self, entries):
        self.nodes, self.size = {}, 0
        for entry in entries:
            made = merkle.appended(self.size, entry, self.nodes)
            for level, digest in enumerate(made):
                self.nodes[(level, self.size >> level)] = digest
            self.size += 1

    def path(self, ranges):
        return [merkle.range_hash(a, b, self.nodes) for a, b in ranges]


STORE = Store(LEAVES)


def _hex(hashes):
    return [h.hex() for h in hashes]


@pytest.mark.parametrize("size", range(9))
def test_the_root_of_each_prefix_is_the_vectors_root(size):
    hashes = [merkle.leaf_hash(e) for e in LEAVES[:size]]
    assert merkle.root(hashes).hex() == ROOTS[size]
    assert merkle.tree_root(size, STORE.nodes).hex() == ROOTS[size]


@pytest.mark.parametrize(("index", "size", "path"), INCLUSION)
def test_inclusion_proofs_are_the_vectors_and_verify(index, size, path):
    assert _hex(STORE.path(merkle.inclusion_ranges(index, size))) == path
    merkle.verify_inclusion(index=index, size=size, leaf=merkle.leaf_hash(LEAVES[index]),
                            path=[bytes.fromhex(h) for h in path],
                            root_hash=bytes.fromhex(ROOTS[size]))


@pytest.mark.parametrize(("first", "second", "path"), CONSISTENCY)
def test_consistency_proofs_are_the_vectors_and_verify(first, second, path):
    assert _hex(STORE.path(merkle.consistency_ranges(first, second))) == path
    merkle.verify_consistency(first=first, second=second, first_root=bytes.fromhex(ROOTS[first]),
                              second_root=bytes.fromhex(ROOTS[second]),
                              path=[bytes.fromhex(h) for h in path])


def _flip(h):
    return bytes([h[0] ^ 8]) + h[1:]


def _inclusion_probes(index, size, path, leaf, root):
    some = bytes.fromhex("abacaba000000000000000000000000000000000000000000060061e00123456")
    probes = [(index - 1, size, path, leaf, root), (index + 1, size, path, leaf, root),
              (index ^ 2, size, path, leaf, root), (index, size * 2, path, leaf, root),
              (index, size // 2, path, leaf, root), (index, size, path, some, root),
              (index, size, path, leaf, merkle.EMPTY_ROOT), (index, size, path, leaf, some),
              (index, size, [*path, root], leaf, root), (index, size, [root, *path], leaf, root)]
    probes += [(index, size, [*path[:i], _flip(p), *path[i + 1:]], leaf, root)
               for i, p in enumerate(path)]
    if path:
        probes.append((index, size, path[:-1], leaf, root))
    if len(path) > 1:
        probes.append((index, size, [path[0], some, *path[1:]], leaf, root))
    return [p for p in probes if p[0] >= 0 and p[1] >= 0 and p != (index, size, path, leaf, root)]


@pytest.mark.parametrize(("index", "size", "path"), INCLUSION[1:])
def test_every_corruption_of_an_inclusion_proof_is_refused(index, size, path):
    path = [bytes.fromhex(h) for h in path]
    for probe in _inclusion_probes(index, size, path, merkle.leaf_hash(LEAVES[index]),
                                   bytes.fromhex(ROOTS[size])):
        i, n, p, leaf, root = probe
        with pytest.raises(merkle.ProofError):
            merkle.verify_inclusion(index=i, size=n, leaf=leaf, path=p, root_hash=root)


@pytest.mark.parametrize(("first", "second", "path"), CONSISTENCY[1:])
def test_every_corruption_of_a_consistency_proof_is_refused(first, second, path):
    path = [bytes.fromhex(h) for h in path]
    r1, r2 = bytes.fromhex(ROOTS[first]), bytes.fromhex(ROOTS[second])
    probes = [(first - 1, second, r1, r2, path), (first + 1, second, r1, r2, path),
              (first ^ 2, second, r1, r2, path), (first, second * 2, r1, r2, path),
              (first, second // 2, r1, r2, path), (first, second, r2, r2, path),
              (first, second, r1, r1, path), (first, second, r2, r1, path),
              (first, second, r1, r2, []), (first, second, r1, r2, [*path, r1]),
              (first, second, r1, r2, [*path, r2]), (first, second, r1, r2, [r1, *path]),
              (first, second, r1, r2, [r2, *path]), (first, second, r1, r2, [path[0], *path]),
              (first, second, r1, r2, path[:-1])]
    probes += [(first, second, r1, r2, [*path[:i], _flip(p), *path[i + 1:]])
               for i, p in enumerate(path)]
    for m, n, a, b, p in probes:
        with pytest.raises(merkle.ProofError):
            merkle.verify_consistency(first=m, second=n, first_root=a, second_root=b, path=p)


@pytest.mark.parametrize(("first", "second", "path", "verifies"), [
    (0, 0, [], True), (0, 5, [], True), (3, 3, [], True),
    (0, 5, [merkle.EMPTY_ROOT], False), (3, 3, [merkle.EMPTY_ROOT], False), (2, 1, [], False),
])
def test_trivial_consistency_cases(first, second, path, verifies):
    roots = {n: bytes.fromhex(ROOTS[n]) for n in (0, 1, 2, 3, 5)}
    check = lambda: merkle.verify_consistency(  # noqa: E731
        first=first, second=second, first_root=roots[first], second_root=roots[second], path=path)
    if verifies:
        check()
    else:
        with pytest.raises(merkle.ProofError):
            check()


@pytest.mark.parametrize(("index", "size"), [(0, 0), (1, 0), (2, 1), (-1, 4), (8, 8)])
def test_a_proof_for_an_index_out_of_range_is_refused(index, size):
    with pytest.raises(merkle.ProofError):
        merkle.inclusion_ranges(index, size)


@settings(deadline=None)  # up to 70 appends and proofs: slow on a loaded machine
@given(st.integers(min_value=1, max_value=70), st.data())
def test_proofs_from_stored_subtrees_verify_against_the_definition(size, data):
    entries = [f"entry {i}".encode() for i in range(size)]
    store = Store(entries)
    hashes = [merkle.leaf_hash(e) for e in entries]
    assert merkle.tree_root(size, store.nodes) == merkle.root(hashes)
    index = data.draw(st.integers(min_value=0, max_value=size - 1))
    merkle.verify_inclusion(index=index, size=size, leaf=hashes[index],
                            path=store.path(merkle.inclusion_ranges(index, size)),
                            root_hash=merkle.root(hashes))
    first = data.draw(st.integers(min_value=0, max_value=size))
    merkle.verify_consistency(first=first, second=size, first_root=merkle.root(hashes[:first]),
                              second_root=merkle.root(hashes),
                              path=store.path(merkle.consistency_ranges(first, size)))


@settings(deadline=None)
@given(st.integers(min_value=2, max_value=40), st.data())
def test_a_reordered_log_is_not_consistent_with_the_original(size, data):
    entries = [f"entry {i}".encode() for i in range(size)]
    i = data.draw(st.integers(min_value=0, max_value=size - 2))
    swapped = [*entries[:i], entries[i + 1], entries[i], *entries[i + 2:]]
    first = data.draw(st.integers(min_value=i + 1, max_value=size))
    original, rewritten = Store(entries), Store(swapped)
    with pytest.raises(merkle.ProofError):
        merkle.verify_consistency(
            first=first, second=size, first_root=merkle.tree_root(first, original.nodes),
            second_root=merkle.tree_root(size, rewritten.nodes),
            path=rewritten.path(merkle.consistency_ranges(first, size)))


def test_a_proof_needs_only_logarithmically_many_stored_nodes():
    size = 1_000_000
    ranges = merkle.inclusion_ranges(765_432, size) + merkle.consistency_ranges(333_333, size)
    assert len(merkle.nodes_for(ranges)) <= 4 * size.bit_length()
