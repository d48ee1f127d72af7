"""A revision's text as readers read it: the rendered body, citation groups as their numbers
("[1, 2]"), one line per block (paragraph, heading, list item, quote, caption). What the public
review trail diffs and search quotes, so markup never reaches readers.

Pure: rendered HTML in, plain text out (no ORM, settings or I/O).
"""

from selectolax.lexbor import LexborHTMLParser

BLOCKS = "p, h1, h2, h3, h4, h5, h6, li, blockquote, figcaption, pre, td, th"


def reader_lines(html: str) -> list[str]:
    """The rendered body's blocks as lines of plain text, citations as "[numbers]"."""
    tree = LexborHTMLParser(html or "")
    for sup in tree.css("sup.cite"):
        numbers = [a.text(strip=True) for a in sup.css("a") if a.text(strip=True)]
        sup.replace_with(f"\u00a0[{', '.join(numbers)}]" if numbers else "")
    lines = []
    for node in tree.css(BLOCKS):
        if len(node.css(BLOCKS)) > 1:  # (matches itself) a quote or item holding paragraphs
            continue
        # Inline pieces carry their own spaces; the no-break space keeps "[1]" by its claim.
        text = " ".join(node.text(separator="").replace("\u00a0", "\x00").split())
        if text:
            lines.append(text.replace(" \x00", "\x00").replace("\x00", "\u00a0"))
    return lines


def reader_text(html: str) -> str:
    return "\n".join(reader_lines(html))
