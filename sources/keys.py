"""The key grammar, in one place: what a source key is, wherever one is typed or read.

Keys are typed into `[@key]` citations and URLs: an ASCII letter or digit, then letters, digits
and `_ . : -`, at most KEY_MAX_LENGTH characters. Pure: no ORM, settings or I/O.

The admin editor's picker and add-source dialog take these patterns from the body field's
data-key-* attributes (stories.forms), so they are written to mean the same in Python's `re`,
in a JavaScript RegExp and in an HTML `pattern` attribute: browsers compile that with the `v`
flag, where a bare `-` inside a class is a syntax error (the attribute is then ignored), so the
hyphen is escaped.
"""

import re

_FIRST = "A-Za-z0-9"
KEY_CHARS = r"A-Za-z0-9_.:\-"  # every character a key may hold, to put inside [...]
KEY = rf"[{_FIRST}][{KEY_CHARS}]*"  # to embed in a larger pattern (citations, URL routes)
KEY_PATTERN = rf"^{KEY}$"  # a whole value (form and serializer validation)
KEY_MAX_LENGTH = 80  # the library's column; longer text is no key it can keep

_WHOLE_KEY = re.compile(rf"{KEY}\Z", re.ASCII)
_NOT_KEY = re.compile(rf"[^{KEY_CHARS}]+")


def is_key(text: str) -> bool:
    """Whether `text`, all of it, is a well-formed key (of any length: the library's limit is
    KEY_MAX_LENGTH)."""
    return bool(_WHOLE_KEY.match(text))


def key_from(text: str) -> str:
    """A key made of any text (a citekey, a CSL id): other characters become "-", the ends
    are trimmed to a letter or digit, and at most KEY_MAX_LENGTH characters are kept."""
    return _NOT_KEY.sub("-", text).strip("-_.:")[:KEY_MAX_LENGTH].rstrip("-_.:")
