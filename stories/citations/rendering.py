"""HTML out: a block's inline tokens with claim spans and superscripts, figures, and the
sanitiser every rendered body passes through."""

from __future__ import annotations

import html
import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable

import nh3
from markdown_it.common.utils import escapeHtml
from markdown_it.token import Token

from audit.text import direction_closers

from .document import ImageInfo, Problem


def cite_html(token: Token) -> str:
    return token.meta.get("html") or html.escape(token.content)


def _relative_url(url: str) -> str | None:
    """Keep in-page fragments and site-rooted paths (uploaded images); drop other relatives."""
    site_rooted = url.startswith("/") and not url.startswith("//")  # "//host" is off-site
    return url if url.startswith("#") or site_rooted else None


CLEANER = nh3.Cleaner(
    tags={"p", "h2", "h3", "h4", "h5", "h6", "em", "strong", "a", "ul", "ol", "li",
          "blockquote", "code", "pre", "sup", "span", "mark", "figure", "figcaption", "img",
          "br", "hr", "table", "thead", "tbody", "tr", "th", "td", "del"},
    clean_content_tags={"script", "style"},
    attributes={
        "a": {"href", "title", "aria-label", "rel"},
        "span": {"id"},
        "mark": {"title"},
        "img": {"src", "alt", "srcset", "sizes", "width", "height", "loading"},
        "ol": {"start"},
        "th": {"style"},
        "td": {"style"},
    },
    allowed_classes={"sup": {"cite"}, "span": {"claim", "caption", "credit"},
                     "mark": {"cite-error"}, "figure": {"figure"}},
    link_rel=None,
    url_schemes={"http", "https", "mailto"},
    url_relative=_relative_url,
    filter_style_properties={"text-align"},
)


def span_start(children, starts, start: int) -> tuple[int, int]:
    """Child index where a claim span opens (before any opening markup) and the split offset."""
    index = bisect_right(starts, start) - 1
    if starts[index] < start:
        kind = children[index].type
        return index, (start - starts[index] if kind in ("text", "text_special") else 0)
    first = bisect_left(starts, start)
    while first < index and children[first].nesting < 0:
        first += 1
    return first, 0


def render_inline(children, inserts, figure: Callable[[Token, object], str], cmap,
                  nested: bool = True) -> str:
    """HTML for a block's inline tokens with claim spans and sups; a span that starts or ends
    inside markup closes and reopens that markup so the HTML stays nested."""
    nested = nested and bool(inserts)  # without markup, spans never need splitting
    pairs = _pairs(children) if nested else {}
    opens_at = {first: (split, cite, ordinal) for first, split, cite, ordinal in inserts}
    closes_at = {cite: first for first, _, cite, _ in inserts}
    out: list[str] = []
    for index, child in enumerate(children):
        kind = child.type
        content = child.content
        if index in opens_at:
            split, cite, ordinal = opens_at[index]
            if split:
                out.append(escapeHtml(content[:split]))
                content = content[split:]
            dangling = _unmatched_closes(children, index, cite, pairs) if nested else ()
            out.extend(f"</{TAGS.get(children[i].tag, children[i].tag)}>" for i in dangling)
            out.append(f'<span class="claim" id="claim-{ordinal}">')
            out.extend(open_tag(children[pairs[i]]) for i in reversed(dangling))
        if kind == "text" or kind == "text_special":
            out.append(escapeHtml(content))
        elif kind == "softbreak":
            out.append("\n")
        elif kind == "cite":
            if index in closes_at:
                out[-1] = out[-1].rstrip()  # the sup hugs the claim's last word
                still_open = _unmatched_opens(children, closes_at[index], index) if nested else ()
                out.extend(f"</{TAGS.get(children[i].tag, children[i].tag)}>"
                           for i in reversed(still_open))
                out.append("</span>")
                out.extend(open_tag(children[i]) for i in still_open)
            out.append(cite_html(child))
        elif kind == "code_inline":
            out.append(f"<code>{escapeHtml(content)}</code>")
        elif kind == "hardbreak":
            out.append("<br>\n")
        elif kind == "image":
            out.append(figure(child, cmap))
        elif child.nesting > 0:
            out.append(open_tag(child))
        elif child.nesting < 0:
            out.append(f"</{TAGS.get(child.tag, child.tag)}>")
    return "".join(out)


TAGS = {"s": "del"}  # strikethrough is <del> in the allow-list


def open_tag(token: Token) -> str:
    tag = TAGS.get(token.tag, token.tag)
    if not token.attrs:
        return f"<{tag}>"
    attrs = "".join(f' {name}="{attr(value)}"' for name, value in token.attrs.items())
    return f"<{tag}{attrs}>"


def _pairs(children) -> dict[int, int]:
    """Map each closing token index to its opening token index."""
    pairs, stack = {}, []
    for index, child in enumerate(children):
        if child.nesting > 0:
            stack.append(index)
        elif child.nesting < 0 and stack:
            pairs[index] = stack.pop()
    return pairs


def _unmatched_closes(children, first: int, cite: int, pairs) -> list[int]:
    """Closing tokens in [first, cite) whose opening token lies before the span (inner first)."""
    return [i for i in range(first, cite)
            if children[i].nesting < 0 and pairs.get(i, first) < first]


def _unmatched_opens(children, first: int, cite: int) -> list[int]:
    """Opening tokens in [first, cite) still open at the citation group (outer first)."""
    stack = []
    for index in range(first, cite):
        nesting = children[index].nesting
        if nesting > 0:
            stack.append(index)
        elif nesting < 0 and stack:
            stack.pop()
    return stack


def attr(value: object) -> str:
    return html.escape(str(value), quote=True)


def clip(text: str, size: int = 80) -> str:
    return text if len(text) <= size else text[: size - 1] + "\u2026"


def mark_external(link: Token) -> None:
    if not str(link.attrs.get("href", "")).startswith("#"):
        link.attrs["rel"] = "nofollow noopener noreferrer"


def alt_text(image: Token) -> str:
    kinds = ("text", "text_special", "code_inline", "cite")
    return "".join(c.content for c in image.children or () if c.type in kinds)


def error_mark(raw: str, problems: list[Problem]) -> str:
    title = " ".join(problem.message for problem in problems)
    return f'<mark class="cite-error" title="{attr(title)}">{html.escape(raw)}</mark>'


_SAFE_SRC = re.compile(r"(?:https?://|/)[^\s,\"'<>]*\Z", re.IGNORECASE)


def _srcset(value: str) -> str:
    """Keep srcset candidates whose URL is site-rooted or http(s)."""
    kept = [c.strip() for c in value.split(",") if c.strip() and _SAFE_SRC.match(c.split()[0])]
    return ", ".join(kept)


def figure_html(info: ImageInfo, alt: str, title: str) -> str:
    attrs = [f'src="{attr(info.src)}"', f'alt="{attr(alt)}"']
    srcset = _srcset(info.srcset)
    if srcset:
        attrs += [f'srcset="{attr(srcset)}"', 'sizes="(max-width: 800px) 100vw, 800px"']
    if info.width:
        attrs.append(f'width="{int(info.width)}"')
    if info.height:
        attrs.append(f'height="{int(info.height)}"')
    attrs.append('loading="lazy"')
    caption = info.caption or title
    credit = html.escape(info.credit)
    if credit and info.credit_url.lower().startswith(("http://", "https://")):
        credit = (f'<a href="{attr(info.credit_url)}" rel="nofollow noopener noreferrer">'
                  f"{credit}</a>")
    bits = []
    if caption:
        # A title left open would reverse the credit after it (a caption was cleaned on save).
        bits.append(f'<span class="caption">{html.escape(caption)}{direction_closers(caption)}'
                    "</span>")
    if credit:
        bits.append(f'<span class="credit">{credit}</span>')
    figcaption = f"<figcaption>{' '.join(bits)}</figcaption>" if bits else ""
    return f'<figure class="figure"><img {" ".join(attrs)}>{figcaption}</figure>'
