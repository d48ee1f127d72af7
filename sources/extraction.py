"""Title, main text and page metadata of a fetched body.

HTML goes through trafilatura (main text, title, author, site name) with htmldate for the
publication date: on our saved fixture pages (bench/extraction.py) it keeps more of the article
and much less of the page's chrome than the selectolax heuristics it replaced, and it reads
bylines, dates and site names the heuristics never did. When trafilatura finds no main text (a
bare page, a fragment), the heuristics still give the page's visible text. Plain text is kept as
is; PDFs go through pypdf.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass

DROP_TAGS = ["script", "style", "noscript", "template", "nav", "header", "footer", "aside",
             "form", "svg", "iframe"]
BLOCK_SELECTOR = ("p,li,div,h1,h2,h3,h4,h5,h6,br,tr,td,th,blockquote,section,article,pre,"
                  "figcaption,dd,dt")
HTML_TYPES = {"text/html", "application/xhtml+xml"}

# trafilatura and htmldate log every page they find little in; that is not ours to report.
for _name in ("trafilatura", "htmldate", "courlan"):
    logging.getLogger(_name).setLevel(logging.ERROR)


@dataclass(frozen=True)
class Extracted:
    """Title, main text and metadata of a fetched body; kind is html, text, pdf or other."""

    kind: str
    title: str = ""
    text: str = ""
    author: str = ""
    published_on: str = ""  # ISO date, or ""
    site_name: str = ""
    canonical_url: str = ""  # the page's own <link rel="canonical"> / og:url, when it names one


def media_type(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def _charset(content_type: str) -> str:
    for part in content_type.split(";")[1:]:
        name, _, value = part.strip().partition("=")
        if name.lower() == "charset" and value:
            return value.strip("\"' ")
    return "utf-8"


def decode(body: bytes, content_type: str) -> str:
    try:
        return body.decode(_charset(content_type), errors="replace")
    except LookupError:
        return body.decode("utf-8", errors="replace")


def _tidy(text: str) -> str:
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def _one_line(value, limit: int) -> str:
    return " ".join(str(value or "").split())[:limit]


def extract_html_heuristic(html: str) -> Extracted:
    """The selectolax heuristics: <title> (or <h1>), then the text of <article>, <main> or the
    body with navigation, headers, footers, asides, forms and scripts removed."""
    from selectolax.lexbor import LexborHTMLParser

    tree = LexborHTMLParser(html)
    title_node = tree.css_first("title")
    title = " ".join(title_node.text().split()) if title_node else ""
    if not title:
        h1 = tree.css_first("h1")
        title = " ".join(h1.text().split()) if h1 else ""
    tree.strip_tags(DROP_TAGS)
    root = tree.css_first("article") or tree.css_first("main") or tree.body or tree.root
    if root is None:
        return Extracted("html", title[:1000], "")
    # Block boundaries become line breaks; inline markup (<b>6</b>%) stays joined.
    for node in root.css(BLOCK_SELECTOR):
        node.insert_before("\n")
    return Extracted("html", title[:1000], _tidy(root.text(separator="")))


def _date(html: str, url: str) -> str:
    from htmldate import find_date

    try:
        return find_date(html, url=url or None, original_date=True, extensive_search=False,
                         outputformat="%Y-%m-%d") or ""
    except (ValueError, TypeError):
        return ""


def extract_html(html: str, url: str = "") -> Extracted:
    """Main text and metadata by trafilatura (date by htmldate); the heuristics' text when
    trafilatura finds none."""
    import trafilatura

    fallback = extract_html_heuristic(html)
    try:
        document = trafilatura.bare_extraction(
            html, url=url or None, with_metadata=True, include_comments=False,
            include_tables=True, deduplicate=False, favor_precision=True, date_extraction_params={
                "original_date": True, "extensive_search": False})
    except Exception:  # noqa: BLE001 - malformed markup: the heuristics' result stands
        document = None
    if document is None:
        return Extracted("html", fallback.title, fallback.text,
                         published_on=_date(html, url))
    data = document.as_dict() if hasattr(document, "as_dict") else dict(document)
    text = _tidy(data.get("text") or "") or fallback.text
    title = _one_line(data.get("title"), 1000) or fallback.title
    return Extracted("html", title, text, author=_one_line(data.get("author"), 300),
                     published_on=(data.get("date") or "")[:10] or _date(html, url),
                     site_name=_one_line(data.get("sitename"), 200),
                     canonical_url=_one_line(data.get("url"), 2000))


def extract_pdf(body: bytes) -> Extracted:
    try:
        from pypdf import PdfReader

        reader = PdfReader(io.BytesIO(body))
        title = author = ""
        if reader.metadata:
            title = str(reader.metadata.title or "")
            author = str(reader.metadata.author or "")
        text = "\n".join(page.extract_text() or "" for page in reader.pages)
    except Exception:  # noqa: BLE001 - a damaged PDF is still stored, just without text
        return Extracted("pdf")
    return Extracted("pdf", _one_line(title, 1000), _tidy(text), author=_one_line(author, 300))


def is_html(content_type: str, body: bytes) -> bool:
    kind = media_type(content_type)
    return kind in HTML_TYPES or (
        not kind and body.lstrip()[:15].lower().startswith((b"<!doctype html", b"<html")))


def extract(content_type: str, body: bytes, url: str = "") -> Extracted:
    """Title, main text and metadata: HTML via trafilatura, plain text as is, PDF via pypdf."""
    kind = media_type(content_type)
    if is_html(content_type, body):
        return extract_html(decode(body, content_type), url)
    if kind == "text/plain":
        return Extracted("text", "", decode(body, content_type))
    if kind == "application/pdf" or body[:5] == b"%PDF-":
        return extract_pdf(body)
    return Extracted("other")
