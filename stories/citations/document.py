"""The engine's public types: what goes in (library sources, figures) and what comes out (a
parsed document: claims with their numbered sources, problems and sanitised HTML)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

BROKEN_HEALTH = frozenset({"broken", "unreachable"})


@dataclass(frozen=True)
class SourceInfo:
    """A library source as the engine sees it; broken/unreachable health warns when cited."""

    key: str
    title: str = ""
    outlet: str = ""
    url: str = ""
    health: str = "unknown"


@dataclass(frozen=True)
class ImageInfo:
    """An uploaded figure, placed in a body with ``![alt](image:ID)``."""

    id: str
    src: str
    srcset: str = ""
    width: int | None = None
    height: int | None = None
    caption: str = ""
    credit: str = ""
    credit_url: str = ""


@dataclass(frozen=True)
class CitedSource:
    """One source of a claim: its key, its number in the story and an optional locator."""

    key: str
    number: int
    locator: str = ""


@dataclass(frozen=True)
class Claim:
    """The text from the previous boundary up to a valid citation group, with its sources."""

    ordinal: int
    text: str
    start: int
    end: int
    line: int
    column: int
    sources: tuple[CitedSource, ...]

    @property
    def numbers(self) -> tuple[int, ...]:
        """Source numbers in the order the group cites them."""
        return tuple(source.number for source in self.sources)

    @property
    def keys(self) -> tuple[str, ...]:
        """Source keys in the order the group cites them."""
        return tuple(source.key for source in self.sources)


@dataclass(frozen=True)
class Problem:
    """An error (blocks submission) or a warning (never blocks), located in the raw body."""

    code: str
    message: str
    line: int
    column: int
    text: str


@dataclass(frozen=True)
class Document:
    """A parsed body: claims in order, numbered source keys, problems and sanitised HTML."""

    claims: tuple[Claim, ...]
    numbered: tuple[str, ...]
    errors: tuple[Problem, ...]
    warnings: tuple[Problem, ...]
    html: str
    _numbers: Mapping[str, int] = field(default_factory=dict, repr=False, compare=False)

    def number_of(self, key: str) -> int | None:
        """The 1-based number of a source key, or None when the story does not number it."""
        if self._numbers:
            return self._numbers.get(key)
        return self.numbered.index(key) + 1 if key in self.numbered else None

    @property
    def cited_keys(self) -> frozenset[str]:
        """Keys cited by at least one claim."""
        return frozenset(source.key for claim in self.claims for source in claim.sources)

    @property
    def is_valid(self) -> bool:
        """True when the body has no errors (warnings never block)."""
        return not self.errors


def first_citation_order(doc: Document) -> tuple[str, ...]:
    """The numbered keys in the order readers first meet them; listed keys no claim cites keep
    their relative order at the end."""
    numbered = set(doc.numbered)
    cited = dict.fromkeys(s.key for c in doc.claims for s in c.sources if s.key in numbered)
    return (*cited, *(key for key in doc.numbered if key not in cited))


def reading_order(doc: Document) -> tuple[int, ...]:
    """Source numbers in the order a reader first meets them (1, 2, 3, … when in order)."""
    return tuple(dict.fromkeys(s.number for c in doc.claims for s in c.sources if s.number))
