"""Citation engine: a story body in, numbered claims, problems and safe HTML out (pure Python).

    document.py   the public types (SourceInfo, ImageInfo, Claim, Problem, Document) and orders
    markdown.py   markdown-it set up for story bodies, with positions and a citation token
    groups.py     reading a ``[@key; @key, locator]`` group
    sentences.py  sentence boundaries, figures, and folding claims for comparison
    rendering.py  inline HTML with claim spans and superscripts, figures, the sanitiser
    parse.py      one parse() call walking the tokens
"""

from .document import (
    BROKEN_HEALTH,
    CitedSource,
    Claim,
    Document,
    ImageInfo,
    Problem,
    SourceInfo,
    first_citation_order,
    reading_order,
)
from .groups import MAX_GROUP
from .parse import parse
from .sentences import normalise_claim_text

__all__ = [
    "BROKEN_HEALTH",
    "MAX_GROUP",
    "CitedSource",
    "Claim",
    "Document",
    "ImageInfo",
    "Problem",
    "SourceInfo",
    "first_citation_order",
    "normalise_claim_text",
    "parse",
    "reading_order",
]
