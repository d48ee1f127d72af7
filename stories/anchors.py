"""Where a comment's passage is in a revision: it follows its words while they are unchanged.

Pure: text in, a location out (no ORM, settings or I/O). A passage is the exact words a
reviewer selected, matched with any run of whitespace between them; it is looked for in the
body's source (which gives a line for the writer's editor) and, failing that, in the text as
readers read it (a selection across a citation reads "[1]", which the source spells "[@key]").
Where the words appear more than once, the one nearest the passage's old place wins.
"""

import re
from dataclasses import dataclass

MAX_QUOTE = 1000


@dataclass(frozen=True)
class Location:
    """Where the passage is: its offsets and line in the body source, or only in the text."""

    start: int | None = None
    end: int | None = None
    line: int | None = None


def normalise(text: str) -> str:
    """Whitespace runs (no-break spaces included) as one space, the ends trimmed."""
    return " ".join(text.replace("\u00a0", " ").split())


def _pattern(quote: str) -> re.Pattern | None:
    words = normalise(quote).split(" ")
    if not words or words == [""]:
        return None
    return re.compile(r"[\s\u00a0]+".join(re.escape(w) for w in words))


def _nearest(pattern: re.Pattern, text: str, hint: int) -> re.Match | None:
    best = None
    for match in pattern.finditer(text):
        if best is None or abs(match.start() - hint) < abs(best.start() - hint):
            best = match
    return best


def locate(quote: str, *, body: str, reader: str, hint: int = 0) -> Location | None:
    """The passage's place in a revision (body source, then reader text); None: it changed."""
    pattern = _pattern(quote)
    if pattern is None:
        return None
    match = _nearest(pattern, body, hint)
    if match is not None:
        return Location(start=match.start(), end=match.end(),
                        line=body.count("\n", 0, match.start()) + 1)
    if pattern.search(reader) is not None:
        return Location()
    return None
