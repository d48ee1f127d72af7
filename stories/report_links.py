"""Reading a rendered body's claim marks (pure: text in, text out): report controls beside each
claim's citation superscripts, and which claims cite each numbered source.

The rendered body marks each claim as ``<span class="claim" id="claim-K">`` followed by its
``<sup class="cite">`` of ``<a href="#source-N">`` links; a control goes right after that
superscript. The control's markup is a template with ``{ordinal}`` in it, rendered once per
page by the caller."""

import re

_SOURCE_LINK = re.compile(r'href="#source-(\d+)"')
_MARKS = re.compile(r'<span class="claim" id="claim-(\d+)">|<sup class="cite">.*?</sup>', re.S)


def with_report_links(html: str, control: str) -> str:
    """The body with `control` (``{ordinal}`` filled in) after each claim's superscript."""
    out, last, pending = [], 0, None
    for mark in _MARKS.finditer(html):
        if mark.group(1) is not None:
            pending = mark.group(1)
            continue
        if pending is None:
            continue
        out.append(html[last:mark.end()])
        out.append(control.replace("{ordinal}", pending))
        last, pending = mark.end(), None
    out.append(html[last:])
    return "".join(out)


def claims_citing(html: str) -> dict[int, tuple[int, ...]]:
    """{source number: the ordinals of the claims whose superscript cites it, in text order}:
    the numbered source list's way back to the claims (read from the body, so every revision
    ever rendered has it, and it costs no query)."""
    citing: dict[int, list[int]] = {}
    pending = None
    for mark in _MARKS.finditer(html):
        if mark.group(1) is not None:
            pending = int(mark.group(1))
            continue
        if pending is None:
            continue
        for number in dict.fromkeys(int(n) for n in _SOURCE_LINK.findall(mark.group())):
            citing.setdefault(number, []).append(pending)
        pending = None
    return {number: tuple(claims) for number, claims in citing.items()}
