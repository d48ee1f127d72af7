"""A source proposed from a pasted link: the page fetched through the SSRF-safe fetcher, its
own metadata read by the extractors (trafilatura and htmldate for HTML: OpenGraph, JSON-LD,
citation_* and Dublin Core meta tags, <time>; pypdf for PDFs), and a unique key proposed.
Nothing is saved: the writer edits the fields, then source_create adds the source (and queues
its snapshot) in one step."""

import datetime
from dataclasses import asdict, dataclass
from urllib.parse import urlsplit

from django.utils.text import slugify

from audit.errors import ActionDenied, InvalidInput
from audit.roles import is_writer

from . import extraction, fetch
from .keys import key_from
from .models import Kind, Source

_STOP = {"a", "an", "the", "of", "and", "in", "on", "for", "to", "at", "by", "with", "is", "are"}


@dataclass(frozen=True)
class Proposal:
    """What the page says about itself, as the fields of a new source."""

    key: str
    url: str
    title: str
    outlet: str
    author: str
    published_on: str
    kind: str
    fetched_url: str
    note: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


class LookupFailed(InvalidInput):
    """The link could not be read (refused, timed out, an error status, not a document)."""


def _outlet_slug(outlet: str, host: str) -> str:
    host = host.lower()
    named_after_host = outlet.lower().split(":")[0] in (host, "")
    name = "" if named_after_host else slugify(outlet)
    if name.startswith("the-"):
        name = name[4:]
    if not name:
        parts = [p for p in host.split(".") if p not in ("www", "m", "amp")]
        if not parts or all(p.isdigit() for p in parts) or ":" in host:
            return "site"  # an address, not a name
        name = slugify(parts[-2] if len(parts) >= 2 else parts[0])
    return "-".join(name.split("-")[:3])


def _title_slug(title: str) -> str:
    words = [w for w in slugify(title).split("-") if w and w not in _STOP]
    return "-".join(words[:3])


def propose_key(*, outlet: str, host: str, published_on: str, title: str) -> str:
    """outlet-yyyy-slug (year and slug when known), made unique in the library with -2, -3…"""
    try:
        year = str(datetime.date.fromisoformat(published_on).year) if published_on else ""
    except ValueError:
        year = ""
    base = key_from("-".join(p for p in (_outlet_slug(outlet, host), year, _title_slug(title))
                             if p))[:72] or "source"
    taken = set(Source.objects.filter(key__startswith=base).values_list("key", flat=True))
    key, n = base, 2
    while key in taken:
        key, n = f"{base}-{n}", n + 1
    return key


def _failure(result: fetch.FetchResult) -> str:
    kind, _, reason = result.error.partition(":")
    reasons = {
        "refused": "the address is not allowed (private or local network)",
        "timeout": "the site took too long to answer",
        "network": "the site could not be reached",
        "scheme": "only http and https links can be fetched",
        "too_many_redirects": "the link redirects too many times",
        "too_large": "the page is too large to read",
    }
    return reasons.get(kind, kind) + (f" ({reason.strip()})" if reason.strip() else "")


def source_propose(*, user, url: str) -> Proposal:
    """Fetch `url` and propose a source from the page's own metadata; raises LookupFailed with
    the reason when the page cannot be read, so the writer can still add it by hand."""
    if not is_writer(user):
        raise ActionDenied("source_lookup", "Only newsroom staff can look up sources.", actor=user)
    url = (url or "").strip()
    try:
        parts = urlsplit(url)
    except ValueError:  # an unclosed "[" of an IPv6 host
        parts = urlsplit("")
    if parts.scheme not in ("http", "https") or not parts.netloc or len(url) > 2000:
        raise InvalidInput({"url": ["Paste a full http:// or https:// link (at most 2,000 "
                                    "characters)."]})
    result = fetch.fetch(url)
    if result.error:
        raise LookupFailed({"url": [f"The page could not be fetched: {_failure(result)}."]})
    if result.status_code is None or not 200 <= result.status_code < 300:
        raise LookupFailed({"url": [f"The page answered {result.status_code} instead of the "
                                    "document."]})
    page = extraction.extract(result.content_type, result.body, result.final_url)
    if page.kind not in ("html", "pdf"):
        kind = extraction.media_type(result.content_type) or "unknown"
        raise LookupFailed({"url": [f"The link is not a web page or a PDF (it is {kind}), so it "
                                    "has no details to read."]})
    host = urlsplit(result.final_url).hostname or ""
    outlet = page.site_name or ""
    canonical = page.canonical_url if urlsplit(page.canonical_url).scheme in (
        "http", "https") else ""
    final = canonical or result.final_url
    title = page.title or ""
    note = "" if title else "The page names no title; add one."
    return Proposal(
        key=propose_key(outlet=outlet, host=host, published_on=page.published_on, title=title),
        url=final[:2000], title=title[:500], outlet=outlet[:200], author=page.author[:300],
        published_on=page.published_on, kind=Kind.REPORT if page.kind == "pdf" else Kind.ARTICLE,
        fetched_url=result.final_url, note=note,
    )
