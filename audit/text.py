"""Text as people type it, made safe to show beside other text."""

# Unicode's explicit direction controls (UAX #9): embeddings and overrides end at PDF, isolates
# at PDI (which also ends the embeddings opened inside the isolate).
_EMBEDDINGS, _PDF = "\u202a\u202b\u202d\u202e", "\u202c"
_ISOLATES, _PDI = "\u2066\u2067\u2068", "\u2069"


def without_open_direction_controls(text: str) -> str:
    """`text` less the direction controls it never closes; the ones it closes stay.

    Left open in a title, an override reverses whatever is shown after it: the rest of an
    admin message, a breadcrumb, a list row.
    """
    open_at: list[int] = []
    for at, char in enumerate(text):
        if char in _EMBEDDINGS or char in _ISOLATES:
            open_at.append(at)
        elif char == _PDF and open_at and text[open_at[-1]] in _EMBEDDINGS:
            open_at.pop()
        elif char == _PDI and any(text[i] in _ISOLATES for i in open_at):
            while text[open_at.pop()] not in _ISOLATES:
                pass
    drop = set(open_at)
    return "".join(c for i, c in enumerate(text) if i not in drop) if drop else text
