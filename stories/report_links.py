"""Report controls beside each claim's citation superscripts (pure: text in, text out).

The rendered body marks each claim as ``<span class="claim" id="claim-K">`` followed by its
``<sup class="cite">``; a control goes right after that superscript. The control's markup is
a template with ``{ordinal}`` in it, rendered once per page by the caller."""

import re

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
