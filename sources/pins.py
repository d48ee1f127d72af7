"""A pinned copy of a library source: what a revision cites, frozen when it was saved.

Revisions keep these copies (inside their content hash), so a later edit of the shared library
never changes what readers of a reviewed story see. Pure: no ORM, settings or I/O.
"""

from dataclasses import asdict, dataclass, fields
from datetime import date, datetime

# What a library edit can change; a difference in any of these makes a pinned copy outdated.
DESCRIPTIVE = ("kind", "title", "outlet", "author", "published_on", "url", "description")

FIELD_LABELS = {"kind": "kind", "title": "title", "outlet": "outlet", "author": "author",
                "published_on": "date", "url": "link", "description": "description",
                "snapshot": "snapshot"}


@dataclass(frozen=True)
class PinnedSource:
    """A source as a revision cites it: its metadata and the snapshot it was checked against."""

    key: str
    kind: str = "other"
    title: str = ""
    outlet: str = ""
    author: str = ""
    published_on: str = ""  # ISO date, or "" when unknown
    url: str = ""
    description: str = ""
    snapshot_id: int | None = None
    snapshot_sha256: str = ""
    snapshot_fetched_at: str = ""  # ISO 8601, or "" without a snapshot
    missing: bool = False  # the key was not in the library when the revision was saved

    @classmethod
    def from_dict(cls, data: dict) -> "PinnedSource":
        return cls(**{name: value for name, value in data.items() if name in _FIELD_NAMES})

    def as_dict(self) -> dict:
        return asdict(self)

    # Read like a library Source by templates and exporters (title, outlet, published_on, ...).

    @property
    def published_date(self) -> date | None:
        return date.fromisoformat(self.published_on) if self.published_on else None

    @property
    def snapshot_at(self) -> datetime | None:
        return datetime.fromisoformat(self.snapshot_fetched_at) if self.snapshot_fetched_at \
            else None

    def differences(self, current: "PinnedSource | None") -> list[str]:
        """What the library's copy now says differently (labels), [] when still the same."""
        if current is None:
            return [] if self.missing else ["removed from the library"]
        changed = [FIELD_LABELS[name] for name in DESCRIPTIVE
                   if getattr(self, name) != getattr(current, name)]
        if current.snapshot_id is not None and current.snapshot_id != self.snapshot_id:
            changed.append(FIELD_LABELS["snapshot"])
        return changed


# What a stored pin may carry (a stored list may hold keys an older version wrote).
_FIELD_NAMES = frozenset(f.name for f in fields(PinnedSource))


def pinned(rows: list[dict] | None) -> list[PinnedSource]:
    """Pinned copies from a revision's stored list."""
    return [PinnedSource.from_dict(row) for row in rows or []]
