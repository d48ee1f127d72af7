"""Text as people type it, made safe to show beside other text."""

import re

# Unicode's explicit direction controls (UAX #9): embeddings and overrides end at PDF, isolates
# at PDI (which also ends the embeddings opened inside the isolate).
_EMBEDDINGS, _PDF = "\u202a\u202b\u202d\u202e", "\u202c"
_ISOLATES, _PDI = "\u2066\u2067\u2068", "\u2069"
# C0 control characters but tab, line feed and carriage return, and DEL: nothing anyone means
# to show, and XML 1.0 (the RSS feeds) cannot carry the C0 ones at all.
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def open_direction_controls(text: str) -> list[int]:
    """Where `text` opens a direction control it never closes, outermost first."""
    open_at: list[int] = []
    for at, char in enumerate(text):
        if char in _EMBEDDINGS or char in _ISOLATES:
            open_at.append(at)
        elif char == _PDF and open_at and text[open_at[-1]] in _EMBEDDINGS:
            open_at.pop()
        elif char == _PDI and any(text[i] in _ISOLATES for i in open_at):
            while text[open_at.pop()] not in _ISOLATES:
                pass
    return open_at


# What a writer is told a control is, and what ends it.
DIRECTION_CONTROLS = {
    "\u202a": "a left-to-right embedding", "\u202b": "a right-to-left embedding",
    "\u202d": "a left-to-right override", "\u202e": "a right-to-left override",
    "\u2066": "a left-to-right isolate", "\u2067": "a right-to-left isolate",
    "\u2068": "a first-strong isolate",
}


def direction_closer(char: str) -> str:
    """The control that ends `char` (one of DIRECTION_CONTROLS): PDF or PDI."""
    return _PDI if char in _ISOLATES else _PDF


def direction_closers(text: str) -> str:
    """What closes the direction controls `text` leaves open, innermost first: a PDF for an
    embedding or override, a PDI for an isolate. Appended, the text after `text` reads as it
    would without them, and `text` itself as its writer saw it."""
    return "".join(direction_closer(text[at]) for at in reversed(open_direction_controls(text)))


def without_open_direction_controls(text: str) -> str:
    """`text` less the direction controls it never closes; the ones it closes stay.

    Left open in a title, an override reverses whatever is shown after it: the rest of an
    admin message, a breadcrumb, a list row.
    """
    drop = set(open_direction_controls(text))
    return "".join(c for i, c in enumerate(text) if i not in drop) if drop else text


def without_control_characters(text: str) -> str:
    """`text` less its control characters (tab and line breaks stay)."""
    return _CONTROLS.sub("", text)


def shown_text(text: str) -> str:
    """What readers are shown of free text typed for them (a title, a note, a name): no control
    character, and no direction control left open."""
    return without_open_direction_controls(without_control_characters(text))


def shown_fields(fields: dict, names: tuple[str, ...]) -> dict:
    """`fields` (a record's values by field name) with the text of those in `names` as
    shown_text makes it: the fields a service saves to be shown inside other text."""
    return {name: shown_text(value) if name in names and isinstance(value, str) else value
            for name, value in fields.items()}
