"""The key grammar, in one place: what a source key is, wherever one is typed or read.

Keys are typed into `[@key]` citations and URLs: an ASCII letter or digit, then letters, digits
and `_ . : -`. Pure: no ORM, settings or I/O.
"""

import re

_FIRST, _REST = "A-Za-z0-9", "A-Za-z0-9_.:-"
KEY = rf"[{_FIRST}][{_REST}]*"  # to embed in a larger pattern (citations, URL routes)
KEY_PATTERN = rf"^{KEY}$"  # a whole value (form and serializer validation)

_WHOLE_KEY = re.compile(rf"{KEY}\Z", re.ASCII)
_NOT_KEY = re.compile(rf"[^{_REST}]+")


def is_key(text: str) -> bool:
    """Whether `text`, all of it, is a well-formed key."""
    return bool(_WHOLE_KEY.match(text))


def key_from(text: str) -> str:
    """A key made of any text (a citekey, a CSL id): other characters become "-", the ends
    are trimmed to a letter or digit, and at most 80 characters are kept."""
    return _NOT_KEY.sub("-", text).strip("-_.:")[:80]
