"""Reads about sources: evidence hints for a revision's claims, and snapshots by time."""

import bisect
import hashlib
import sys
import threading
from dataclasses import dataclass
from datetime import datetime

from cachetools import LRUCache
from django.core.cache import cache
from django.db.models import OuterRef, Subquery

from audit.paging import distinct_values

from . import evidence
from .models import Health, Snapshot, Source
from .pins import PinnedSource

EVIDENCE_CACHE_SECONDS = 3600
# The outlets the admin's filter lists: a bound, not a limit (its search box finds any outlet).
MAX_OUTLETS = 200
OUTLETS_CACHE_KEY, OUTLETS_CACHED = "sources:outlets", 300


def outlets() -> list[str]:
    """The library's outlet names in order (at most MAX_OUTLETS), each found by one lookup in
    the outlet index and kept in the cache; a save that names a new outlet forgets them."""
    return cache.get_or_set(OUTLETS_CACHE_KEY, lambda: distinct_values(
        Source.objects.filter(outlet__gt=""), "outlet", limit=MAX_OUTLETS), OUTLETS_CACHED)


def forget_outlets() -> None:
    """Read the outlet names afresh next time (a source was saved with a changed outlet)."""
    cache.delete(OUTLETS_CACHE_KEY)


def _pin(source: Source) -> PinnedSource:
    fetched_at = getattr(source, "pin_snapshot_at", None)
    return PinnedSource(
        key=source.key, kind=source.kind, title=source.title, outlet=source.outlet,
        author=source.author,
        published_on=source.published_on.isoformat() if source.published_on else "",
        url=source.url, description=source.description,
        snapshot_id=getattr(source, "pin_snapshot_id", None),
        snapshot_sha256=getattr(source, "pin_snapshot_sha256", None) or "",
        snapshot_fetched_at=fetched_at.isoformat() if fetched_at else "",
    )


def _library_rows(keys: list[str], *, as_of: datetime | None = None):
    """Library sources by key, each annotated with its newest good snapshot (at or before as_of)."""
    newest = Snapshot.objects.good(as_of).filter(source=OuterRef("pk")).order_by(
        "-fetched_at", "-id")
    return Source.objects.filter(key__in=keys).annotate(
        pin_snapshot_id=Subquery(newest.values("pk")[:1]),
        pin_snapshot_sha256=Subquery(newest.values("sha256")[:1]),
        pin_snapshot_at=Subquery(newest.values("fetched_at")[:1]),
    )


def library_copies(keys: list[str], *, as_of: datetime | None = None) -> dict[str, PinnedSource]:
    """{key: the library's copy now}, each with its newest good snapshot (at or before as_of):
    what a revision saved now would pin. One query, whatever the number of keys."""
    if not keys:
        return {}
    return {source.key: _pin(source) for source in _library_rows(keys, as_of=as_of)}


@dataclass(frozen=True)
class NumberedSource:
    """One entry of a revision's numbered source list: its number, the copy the revision pins
    (what reviewers checked and readers see), and the library's entry now: its id, link health,
    last change and what its copy says differently from the pinned one."""

    number: int
    pin: PinnedSource
    library_id: int | None = None  # None when the key is not (or no longer) in the library
    health: str = Health.UNKNOWN
    library_updated_at: datetime | None = None
    outdated: tuple[str, ...] = ()
    # The ordinals of the claims citing it, where the caller reads them (the public page's
    # way back from the list to the text: stories.selectors.StoryPage.listed_sources).
    claims: tuple[int, ...] = ()

    @property
    def key(self) -> str:
        return self.pin.key

    @property
    def health_label(self) -> str:
        return Health(self.health).label

    @property
    def link_broken(self) -> bool:
        return not self.pin.missing and self.health in (Health.BROKEN, Health.UNREACHABLE)

    @property
    def source(self) -> PinnedSource | None:
        """The pinned copy, or None when the key was not in the library when it was pinned."""
        return None if self.pin.missing else self.pin

    @property
    def snapshot_id(self) -> int | None:
        return self.pin.snapshot_id

    @property
    def snapshot_fetched_at(self) -> datetime | None:
        return self.pin.snapshot_at

    @property
    def archived_first(self) -> bool:
        """A reader is sent to the archived copy first: the original link is reported broken."""
        return self.link_broken and self.pin.snapshot_id is not None


def numbered_sources(pins: list[PinnedSource], *, library: bool = True,
                     health: bool = False) -> list[NumberedSource]:
    """The numbered source list, in number order, from a revision's pinned copies (its
    `pins`): the one place every screen, export, API answer and public page numbers sources.
    With `library`, each entry also carries the library's entry now (one query); with only
    `health`, each source's link health alone (one lighter query: the public page, which
    shows the pinned copies and whether their links still work); with neither, nothing."""
    if not library:
        healths = dict(Source.objects.filter(key__in=[p.key for p in pins])
                       .values_list("key", "health")) if health and pins else {}
        return [NumberedSource(number=number, pin=pin,
                               health=healths.get(pin.key, Health.UNKNOWN))
                for number, pin in enumerate(pins, start=1)]
    rows = {s.key: s for s in _library_rows([p.key for p in pins])} if pins else {}
    entries = []
    for number, pin in enumerate(pins, start=1):
        row = rows.get(pin.key)
        if row is None:
            entries.append(NumberedSource(
                number=number, pin=pin,
                outdated=tuple(pin.differences(None))))
            continue
        entries.append(NumberedSource(
            number=number, pin=pin, library_id=row.pk, health=row.health,
            library_updated_at=row.updated_at, outdated=tuple(pin.differences(_pin(row))),
        ))
    return entries


def outdated_copies(pins: list[PinnedSource]) -> dict[str, list[str]]:
    """{key: what changed} for each pinned copy the library has since changed (metadata, or a
    newer good snapshot). One query."""
    return {entry.key: list(entry.outdated) for entry in numbered_sources(pins) if entry.outdated}


@dataclass(frozen=True)
class SnapshotRef:
    """Which snapshot, without its text: what identifies an immutable snapshot's contents."""

    id: int
    sha256: str
    fetched_at: datetime

    @property
    def cache_key(self) -> tuple:
        # The id alone would do (snapshots are never changed); the hash and the time also
        # tell apart two databases that reuse an id (a restored backup, test databases).
        return (self.id, self.sha256, self.fetched_at)


def latest_snapshots(keys: list[str], *, as_of: datetime | None = None) -> dict[str, SnapshotRef]:
    """{key: its newest good snapshot (at or before as_of)}, in one query, without texts."""
    if not keys:
        return {}
    newest = Snapshot.objects.good(as_of).filter(source=OuterRef("pk")).order_by(
        "-fetched_at", "-id").values("pk")[:1]
    ids = Source.objects.filter(key__in=keys).annotate(snap=Subquery(newest)).values("snap")
    return _refs(Snapshot.objects.filter(pk__in=ids))


def pinned_snapshots(pins: list[PinnedSource]) -> dict[str, SnapshotRef]:
    """{key: the snapshot each pinned copy names}, in one query, without texts."""
    ids = [pin.snapshot_id for pin in pins if pin.snapshot_id]
    return _refs(Snapshot.objects.filter(pk__in=ids)) if ids else {}


def _refs(snapshots) -> dict[str, SnapshotRef]:
    rows = snapshots.values_list("source__key", "pk", "sha256", "fetched_at")
    return {key: SnapshotRef(pk, sha, at) for key, pk, sha, at in rows}


class IndexCache:
    """Snapshots' text indexes (evidence.index_text), least recently used first out once their
    estimated size passes max_bytes (cachetools' LRUCache, sized by _index_bytes; a lock, as
    gunicorn may run threads). A snapshot never changes, so an index never goes stale."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self._items = LRUCache(maxsize=max_bytes, getsizeof=_index_bytes)
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    @property
    def size(self) -> int:
        return self._items.currsize

    def get(self, key: tuple) -> evidence.TextIndex | None:
        with self._lock:
            return self._items.get(key)

    def put(self, key: tuple, index: evidence.TextIndex) -> None:
        if _index_bytes(index) > self.max_bytes:
            return  # larger than the whole cache: not kept
        with self._lock:
            self._items[key] = index

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


def _index_bytes(index: evidence.TextIndex) -> int:
    # The two strings, and about 200 bytes per indexed figure (its key tuple, the key's string,
    # the position and the dict slot).
    return sys.getsizeof(index.text) + sys.getsizeof(index.folded) + 200 * len(index.figures)


# In this process's memory, not in the shared cache: a 2,000-claim check reads some 300
# indexes (about 10 MB of folded text and figures), which a trip through the shared cache
# would pickle and copy at a cost near that of building them (bench/editor.py). Each web
# worker fills its own from the snapshots its writers cite; 64 MB holds about 2,000 snapshots
# of a long news article.
INDEX_CACHE_BYTES = 64 * 1024 * 1024
snapshot_index_cache = IndexCache(INDEX_CACHE_BYTES)


def snapshot_indexes(refs: list[SnapshotRef]) -> dict[int, evidence.TextIndex]:
    """{snapshot id: its text index} from the process's index cache; the texts of the ones
    not in it are read in one query and indexed."""
    found: dict[int, evidence.TextIndex] = {}
    missing: dict[int, SnapshotRef] = {}
    for ref in refs:
        index = snapshot_index_cache.get(ref.cache_key)
        if index is None:
            missing[ref.id] = ref
        else:
            found[ref.id] = index
    if missing:
        for pk, text in Snapshot.objects.filter(pk__in=list(missing)).values_list("pk", "text"):
            found[pk] = index = evidence.index_text(text)
            snapshot_index_cache.put(missing[pk].cache_key, index)
    return found


def _numbered_indexes(keys: list[str], snapshots: dict[str, SnapshotRef],
                      numbers) -> dict[int, evidence.TextIndex]:
    """{source number: its snapshot's index} for the numbers asked for that have a snapshot."""
    refs = {n: snapshots[keys[n - 1]] for n in numbers
            if 0 < n <= len(keys) and keys[n - 1] in snapshots}
    indexes = snapshot_indexes(list(refs.values()))
    return {n: indexes[ref.id] for n, ref in refs.items() if ref.id in indexes}


def _claim_inputs(revision) -> list[evidence.ClaimInput]:
    numbers = {key: i for i, key in enumerate(revision.source_keys or [], start=1)}
    return [
        evidence.ClaimInput(ordinal=ordinal, text=text,
                            sources=tuple(numbers[k] for k in keys or [] if k in numbers))
        for ordinal, text, keys in ((c.ordinal, c.text, c.keys) for c in revision.ordered_claims)
    ]


def _evidence(revision, as_of: datetime | None):
    """(claims, {ordinal: [(number, Evidence)]}), cached on the revision and snapshot ids.
    Against the pinned snapshots it is also kept on the revision object, which a saved
    revision's claims and pins never change: a screen showing both the hints and the warnings
    reads the claims and the snapshots' text once."""
    if as_of is None:
        kept = revision.__dict__.get("_pinned_evidence")
        if kept is None:
            kept = revision.__dict__["_pinned_evidence"] = _evidence_of(revision, None)
        return kept
    return _evidence_of(revision, as_of)


def _evidence_of(revision, as_of: datetime | None):
    keys = list(revision.source_keys or [])
    claims = _claim_inputs(revision)
    if not claims:
        return claims, {}
    pins = revision.pins
    if pins and as_of is None:
        snapshots = pinned_snapshots(pins)
    else:
        snapshots = latest_snapshots(keys, as_of=as_of)
    ids = ",".join(f"{snapshots[k].id}@{snapshots[k].fetched_at.isoformat()}"
                   if k in snapshots else "-" for k in keys)
    digest = hashlib.sha256(f"{revision.content_hash}|{ids}".encode()).hexdigest()[:32]
    cache_key = f"evidence:{revision.pk}:{digest}"
    result = cache.get(cache_key)
    if result is None:
        cited = {n for claim in claims for n in claim.sources}
        result = evidence.match_indexed(claims, _numbered_indexes(keys, snapshots, cited))
        cache.set(cache_key, result, EVIDENCE_CACHE_SECONDS)
    return claims, result


def claim_evidence(revision, *, as_of: datetime | None = None) -> dict[int, list[dict]]:
    """{claim ordinal: [{source: number, status, excerpt}]} against the snapshot the revision
    pins for each cited source (or, with as_of, the newest good one at or before it). A hint
    for the reviewer, never a verdict."""
    _, result = _evidence(revision, as_of)
    return {
        ordinal: [
            {"source": number, "status": hint.status, "excerpt": hint.excerpt,
             "found": list(hint.found), "missing": list(hint.missing), "basis": hint.basis}
            for number, hint in rows
        ]
        for ordinal, rows in result.items()
    }


def _figures_not_found(claims, result, positions) -> list[tuple[int, dict]]:
    """(claim ordinal, figures_not_found warning) of matched claims: the one place these
    warnings are worded; positions maps a claim's ordinal to its (line, column)."""
    by_ordinal = {c.ordinal: c for c in claims}
    warnings = []
    for ordinal, rows in result.items():
        checked = [hint for _, hint in rows if hint.status != evidence.NO_SNAPSHOT]
        if not checked or checked[0].basis != "figures":
            continue
        seen = {item for hint in checked for item in hint.found}
        missing = list(dict.fromkeys(item for hint in checked for item in hint.missing
                                     if item not in seen))
        if not missing:
            continue
        line, column = positions.get(ordinal, (0, 0))
        text = by_ordinal[ordinal].text
        warnings.append((ordinal, {
            "code": "figures_not_found",
            "message": f"Claim {ordinal}: not found in any cited source's snapshot: "
                       + ", ".join(missing[:6]) + ("…" if len(missing) > 6 else ""),
            "line": line, "column": column, "text": text[:200],
        }))
    return warnings


def evidence_warnings(revision) -> list[dict]:
    """A figures_not_found warning for each claim with a figure or quotation that no cited
    snapshot contains (claims whose sources have no snapshot yet are not judged)."""
    claims, result = _evidence(revision, None)
    positions = {c.ordinal: (c.line, c.column) for c in revision.ordered_claims}
    return [warning for _, warning in _figures_not_found(claims, result, positions)]


def unsaved_evidence_warnings(claims: list[evidence.ClaimInput], keys: list[str],
                              positions: dict[int, tuple[int, int]]
                              ) -> list[tuple[int, dict]]:
    """(claim ordinal, warning): the same warnings for text not saved yet: each claim with
    figures or a quotation
    against the newest good snapshot of each source it cites (what a save now would pin).
    `keys` is the numbered source list; claims cite numbers in it. One query, and one more
    for the texts of snapshots not in the index cache."""
    facts = {c.ordinal: evidence.extract(c.text) for c in claims}
    checkable = [c for c in claims if facts[c.ordinal].checkable]
    numbers = sorted({n for c in checkable for n in c.sources if 0 < n <= len(keys)})
    if not numbers:
        return []
    snapshots = latest_snapshots([keys[n - 1] for n in numbers])
    indexes = _numbered_indexes(keys, snapshots, numbers)
    result = evidence.match_indexed(checkable, indexes, facts=facts)
    return _figures_not_found(checkable, result, positions)


def snapshot_at(source: Source, at: datetime | None) -> Snapshot | None:
    """The newest good snapshot fetched at or before `at` (the newest of all when at is None):
    what a reviewer approving at `at` checked against."""
    return source.snapshots.good(at).order_by("-fetched_at", "-id").first()


def snapshots_at(source: Source, times: list[datetime]) -> list[Snapshot]:
    """snapshot_at(source, at) for each of `times` (sorted), without repeats, in the order the
    times first reach them: two queries however many times (a source cited by 10,000 stories
    has as many approvals), the text read only for the snapshots returned."""
    if not times:
        return []
    known = list(source.snapshots.good(times[-1]).order_by("fetched_at", "id")
                 .values_list("pk", "fetched_at"))
    moments = [fetched_at for _, fetched_at in known]
    chosen = []
    for at in times:
        index = bisect.bisect_right(moments, at)  # the snapshots fetched at or before `at`
        if index and known[index - 1][0] not in chosen:
            chosen.append(known[index - 1][0])
    found = Snapshot.objects.in_bulk(chosen)
    return [found[pk] for pk in chosen]
