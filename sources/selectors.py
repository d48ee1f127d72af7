"""Reads about sources: evidence hints for a revision's claims, and snapshots by time."""

import hashlib
from dataclasses import dataclass
from datetime import datetime

from django.core.cache import cache
from django.db.models import OuterRef, Subquery

from . import evidence
from .models import Health, Snapshot, Source
from .pins import PinnedSource

EVIDENCE_CACHE_SECONDS = 3600


def good_snapshots():
    """Snapshots that got a page: no error and a status below 400."""
    return Snapshot.objects.good()


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

    @property
    def key(self) -> str:
        return self.pin.key

    @property
    def health_label(self) -> str:
        return Health(self.health).label

    @property
    def link_broken(self) -> bool:
        return not self.pin.missing and self.health in (Health.BROKEN, Health.UNREACHABLE)


def numbered_sources(pins: list[PinnedSource], *, library: bool = True) -> list[NumberedSource]:
    """The numbered source list, in number order, from a revision's pinned copies (its
    `pins`): the one place every screen, export and API answer numbers sources. With
    `library`, each entry also carries the library's entry now (one query); without, none."""
    rows = {s.key: s for s in _library_rows([p.key for p in pins])} if library and pins else {}
    entries = []
    for number, pin in enumerate(pins, start=1):
        row = rows.get(pin.key)
        if row is None:
            entries.append(NumberedSource(
                number=number, pin=pin,
                outdated=tuple(pin.differences(None)) if library else ()))
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


def latest_snapshot_texts(keys: list[str], *, as_of: datetime | None = None) -> dict[str, tuple]:
    """{key: (snapshot id, text, fetched_at)} of each source's newest good snapshot (at or
    before as_of), in one query."""
    if not keys:
        return {}
    newest = good_snapshots().filter(source=OuterRef("pk"))
    if as_of is not None:
        newest = newest.filter(fetched_at__lte=as_of)
    newest = newest.order_by("-fetched_at", "-id").values("pk")[:1]
    ids = Source.objects.filter(key__in=keys).annotate(snap=Subquery(newest)).values("snap")
    rows = Snapshot.objects.filter(pk__in=ids).values_list("source__key", "pk", "text",
                                                           "fetched_at")
    return {key: (pk, text, at) for key, pk, text, at in rows}


def pinned_snapshot_texts(pins: list[PinnedSource]) -> dict[str, tuple]:
    """{key: (snapshot id, text, fetched_at)} of the snapshot each pinned copy names."""
    ids = [pin.snapshot_id for pin in pins if pin.snapshot_id]
    if not ids:
        return {}
    rows = Snapshot.objects.filter(pk__in=ids).values_list("source__key", "pk", "text",
                                                           "fetched_at")
    return {key: (pk, text, at) for key, pk, text, at in rows}


def _claim_inputs(revision) -> list[evidence.ClaimInput]:
    numbers = {key: i for i, key in enumerate(revision.source_keys or [], start=1)}
    return [
        evidence.ClaimInput(ordinal=ordinal, text=text,
                            sources=tuple(numbers[k] for k in keys or [] if k in numbers))
        for ordinal, text, keys in revision.claims.order_by("ordinal")
        .values_list("ordinal", "text", "keys")
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
        snapshots = pinned_snapshot_texts(pins)
    else:
        snapshots = latest_snapshot_texts(keys, as_of=as_of)
    ids = ",".join(f"{snapshots[k][0]}@{snapshots[k][2].isoformat()}" if k in snapshots else "-"
                   for k in keys)
    digest = hashlib.sha256(f"{revision.content_hash}|{ids}".encode()).hexdigest()[:32]
    cache_key = f"evidence:{revision.pk}:{digest}"
    result = cache.get(cache_key)
    if result is None:
        texts = {i: snapshots[k][1] if k in snapshots else None
                 for i, k in enumerate(keys, start=1)}
        result = evidence.match_claims(claims, texts)
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
    positions = dict(
        (o, (line, column)) for o, line, column in
        revision.claims.values_list("ordinal", "line", "column")
    )
    return [warning for _, warning in _figures_not_found(claims, result, positions)]


def unsaved_evidence_warnings(claims: list[evidence.ClaimInput], keys: list[str],
                              positions: dict[int, tuple[int, int]]
                              ) -> list[tuple[int, dict]]:
    """(claim ordinal, warning): the same warnings for text not saved yet: each claim with
    figures or a quotation
    against the newest good snapshot of each source it cites (what a save now would pin).
    `keys` is the numbered source list; claims cite numbers in it. One query."""
    facts = {c.ordinal: evidence.extract(c.text) for c in claims}
    checkable = [c for c in claims if facts[c.ordinal].checkable]
    numbers = sorted({n for c in checkable for n in c.sources if 0 < n <= len(keys)})
    if not numbers:
        return []
    snapshots = latest_snapshot_texts([keys[n - 1] for n in numbers])
    texts = {n: snapshots[keys[n - 1]][1] if keys[n - 1] in snapshots else None
             for n in numbers}
    result = evidence.match_claims(checkable, texts, facts=facts)
    return _figures_not_found(checkable, result, positions)


def snapshot_at(source: Source, at: datetime | None) -> Snapshot | None:
    """The newest good snapshot fetched at or before `at` (the newest of all when at is None):
    what a reviewer approving at `at` checked against."""
    return source.snapshots.good(at).order_by("-fetched_at", "-id").first()
