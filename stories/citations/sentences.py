"""Where sentences end, what counts as figures, and how claims are folded for comparison."""

from __future__ import annotations

import re
import unicodedata

# A sentence ends at . ! ? (plus closing quotes/brackets) followed by whitespace and a
# non-lowercase character: "U.S. officials" and "approx. five" do not split.
SENTENCE_END = re.compile(r"[.!?][\"'\u2019\u201d\u00bb)\]]*(?=\s+[^\sa-z])")
# Initials ("U.S.", "J. Smith") and titles/months before a full stop do not end a sentence.
ABBREVIATION = re.compile(r"[^A-Za-z](?:[A-Za-z]|Mr|Mrs|Ms|Dr|Prof|St|Sen|Rep|Gov|Gen|Lt|Col|"
                           r"Sgt|Capt|Jr|Sr|No|vs|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|"
                           r"Nov|Dec)\Z")
LEADING = re.compile(r"[\s,;:]*")
FIGURES = re.compile(r"[0-9%\"\u201c\u201d\u00ab\u00bb$\u00a2-\u00a5\u20a0-\u20bf]")
CITE_MARK = "\ue000"  # stands for a citation group in a block's plain text
_QUOTES = str.maketrans({c: "'" for c in "\u2018\u2019\u201a\u201b\u2032\u0060\u00b4"}
                        | {c: '"' for c in "\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb"}
                        | {c: "-" for c in "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58"})
_TRAILING_PUNCT = ".,;:!?\u2026 "


def normalise_claim_text(text: str) -> str:
    """Fold a claim for comparison across revisions: NFKC, casefold, plain quotes/dashes,
    single spaces, no trailing punctuation."""
    folded = unicodedata.normalize("NFKC", text).casefold().translate(_QUOTES)
    return " ".join(folded.split()).rstrip(_TRAILING_PUNCT)


def location(line: int, column: int) -> str:
    return f"Line {line}, column {column}: " if line else ""
