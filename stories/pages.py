"""What the public story page, the home page and the public API detail are built from, and the
validators (ETags) that let browsers and the edge cache revalidate them.

Templates render the pages on every request. The expensive part, the article's body and its
numbered sources, is a ``{% cache %}`` fragment keyed by the live revision, the cited sources'
link-health stamp and the template version (a digest of the templates' own source), so a
designer's template change or a broken link found later never serves an old fragment, and
nothing needs a version number bumped by hand.

These pages send an ETag and no Last-Modified: part of what they show has no modification
date (a person's name, today's top stories, which teasers a page of the listing holds), so no
date could move whenever the page does, and a client revalidating with If-Modified-Since alone
would be told its old copy is current (RFC 9110 8.8.2: send none rather than one that is not
to be trusted).
"""

from __future__ import annotations

import hashlib
import html as html_lib
import json
import logging
import uuid
from functools import lru_cache, partial
from urllib.parse import quote, urlencode

from django.conf import settings
from django.core.cache import cache
from django.core.serializers.json import DjangoJSONEncoder
from django.template.loader import get_template, render_to_string
from django.template.loader_tags import ExtendsNode, IncludeNode
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import mark_safe

from audit.services import display_name

from . import selectors
from .report_links import with_report_links

log = logging.getLogger(__name__)

# The templates the public pages answering 304 are rendered from (story, home, corrections,
# transparency) and the parts this module renders itself: with everything they extend or
# include (page_templates), their source is the template version, part of the fragment-cache
# key and of every ETag, so a release with new templates is never answered "not modified".
REPORT_CONTROL = "stories/_report_control.html"
TOP_TEASER = "stories/_top_teaser.html"
ROOT_TEMPLATES = ("stories/story_detail.html", "stories/home.html", "stories/corrections.html",
                  "stories/transparency.html", REPORT_CONTROL, TOP_TEASER)
# A day: a fragment's key names everything it depends on, so it is never stale, only unused.
FRAGMENT_SECONDS = 24 * 3600
# Nothing in JSON-LD data may end the <script> element (the escapes of json_script).
_SCRIPT_SAFE = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


@lru_cache(maxsize=8)
def _digest(sources: tuple[str, ...]) -> str:
    return hashlib.sha256("\x00".join(sources).encode()).hexdigest()[:12]


# The project's own packages: what they render goes into the public pages.
_CODE = ("audit", "sources", "stories", "newsroom")


@lru_cache(maxsize=1)
def code_version() -> str:
    """A digest of the project's Python source, read once per process: a release whose code
    renders something differently (JSON-LD, share links, report controls, names) is a new
    version, as a changed template is."""
    digest = hashlib.sha256()
    for package in _CODE:
        for path in sorted((settings.BASE_DIR / package).rglob("*.py")):
            digest.update(str(path.relative_to(settings.BASE_DIR)).encode() + b"\x00")
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def _named_templates(template) -> list[str]:
    """The templates `template` extends or includes by name (a name held in a variable is
    not known until it renders: public page templates name theirs)."""
    found = []
    for node in template.nodelist.get_nodes_by_type((ExtendsNode, IncludeNode)):
        name = node.parent_name if isinstance(node, ExtendsNode) else node.template
        if isinstance(name.var, str) and not name.filters:
            found.append(name.var)
        else:
            log.warning("%s names a template in a variable (%s): a change to it does not "
                        "renew the public pages' ETags and fragments", template.origin, name)
    return found


def _walk(roots) -> tuple[tuple, tuple[str, ...]]:
    """(compiled templates, their names): the roots and all they extend or include."""
    names = dict.fromkeys(roots)
    found = {}
    pending = list(names)
    while pending:
        name = pending.pop(0)
        found[name] = get_template(name).template
        for child in _named_templates(found[name]):
            if child not in names:
                names[child] = None
                pending.append(child)
    return tuple(found[name] for name in names), tuple(names)


# The last walk: the loaders keep compiled templates (one object per template until they
# reload it, in development, or settings change), so a walk stays right while each of its
# templates is the same object.
_walked: tuple[tuple, tuple[str, ...]] = ((), ())


def page_templates() -> tuple:
    """The compiled templates the public pages answering 304 are made of (ROOT_TEMPLATES and
    all they extend or include): a designer's new include is part of them with no list to
    update."""
    global _walked
    known, names = _walked
    if not names or any(get_template(name).template is not template
                        for name, template in zip(names, known, strict=True)):
        _walked = known, names = _walk(ROOT_TEMPLATES)
    return known


def template_version() -> str:
    """A digest of the public templates' source and of the code (code_version): a changed
    template or a new release is a new version, in every fragment key and ETag."""
    # Strings already in memory (page_templates); equal strings hash once (lru_cache).
    return _digest((code_version(), *(template.source for template in page_templates())))


def fragment_seconds() -> int:
    """How long the article fragment is kept; 0 when NEWSROOM_PAGE_CACHE_SECONDS turns caching
    off."""
    return FRAGMENT_SECONDS if settings.NEWSROOM_PAGE_CACHE_SECONDS > 0 else 0


def _hexdigest(*parts) -> str:
    raw = "|".join(str(p) for p in (template_version(), settings.NEWSROOM_SITE_NAME, *parts))
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


def page_etag(*parts) -> str:
    """A strong ETag over `parts` and what every public page shows besides them (the
    templates' source, the site's name)."""
    return '"' + _hexdigest(*parts) + '"'


def _bylines(authors) -> list[tuple[str, str]]:
    """What a byline shows of each author: the name, and the username its link is made of."""
    return [(a.get_username(), display_name(a)) for a in authors]


def story_version(page: selectors.StoryPage) -> str:
    """A digest of everything the story page shows but today's top stories: the live
    revision, any story save (workflow step, retraction, author change, a new log entry),
    names, notes and link health. It keys the page's cached fragments and its ETag."""
    story = page.story
    return _hexdigest(
        "story", story.pk, page.revision.pk, story.updated_at, story.live_updated_at,
        story.retracted_at, page.link_stamp, _bylines(page.authors),
        page.reviewers, [(c.pk, c.note) for c in page.corrections],
    )


def story_etag(page: selectors.StoryPage, *extra) -> str:
    """Changes whenever anything on the story page can (story_version, and `extra`: what else
    the page shows, e.g. today's top stories)."""
    return page_etag(story_version(page), *extra)


def listing_version(kind: str, number: int, has_next: bool,
                    items: list[selectors.ListingItem]) -> str:
    """A digest of what a page of a listing shows: its teasers and its link to older ones. It
    keys the listing's cached fragment and its ETag."""
    return _hexdigest(kind, number, has_next, [
        (i.story.pk, i.story.updated_at, i.revision.pk, i.reviewers,
         _bylines(i.authors)) for i in items])


def listing_etag(kind: str, number: int, has_next: bool, items: list[selectors.ListingItem],
                 *extra) -> str:
    """Changes whenever a teaser on that page of the listing, or its link to older ones, can
    (or `extra`, what else the page shows)."""
    return page_etag(listing_version(kind, number, has_next, items), *extra)


def corrections_etag(entries) -> str:
    """Changes whenever an entry of the public corrections log, or a headline in it, can."""
    return page_etag("corrections", [(e.key, e.at, e.note, e.story.live_revision.title)
                                     for e in entries])


def json_ld(page: selectors.StoryPage, *, origin: str) -> str:
    """The schema.org NewsArticle of a story page, escaped for a <script> element. It is data,
    not script, so it needs no CSP nonce (and a cached page carries none)."""
    story, revision = page.story, page.revision
    url = origin + story.get_absolute_url()
    data = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": revision.title,
        "description": revision.dek,
        "url": url,
        "mainEntityOfPage": url,
        "author": [
            {"@type": "Person", "name": display_name(a),
             "url": origin + reverse("author-detail", args=[a.get_username()])}
            for a in page.authors
        ],
        "datePublished": story.published_at,
        "dateModified": story.live_updated_at or story.published_at,
        "publisher": {"@type": "Organization", "name": settings.NEWSROOM_SITE_NAME,
                      "url": origin + "/"},
        "citation": [
            {"@type": "CreativeWork",
             "name": item.source.title if item.source else item.key,
             "url": (item.source.url or origin + reverse("source-detail", args=[item.key]))
             if item.source else f"{url}#source-{item.number}",
             **({"publisher": {"@type": "Organization", "name": item.source.outlet}}
                if item.source and item.source.outlet else {})}
            for item in page.sources
        ],
    }
    if page.reviewers:
        data["contributor"] = [{"@type": "Person", "name": n, "roleName": "Reviewer"}
                               for n in page.reviewers]
    if story.retracted_at:
        data["correction"] = f"Retracted: {story.retraction_reason}"
    text = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False).translate(_SCRIPT_SAFE)
    return mark_safe(text)  # noqa: S308  # nosec B308 B703 - escaped as json_script escapes


def reportable_body(page: selectors.StoryPage) -> str:
    """The live body with a report control after each claim's superscripts (the control's
    template rendered once, then placed per claim); only built when the fragment is. A
    retracted story takes no reports: no controls."""
    if page.story.retracted_at:
        return mark_safe(page.revision.html)  # noqa: S308  # nosec B308 B703 - sanitised when the revision was saved
    control = get_template(REPORT_CONTROL).render(
        {"story": page.story}).strip()
    return mark_safe(with_report_links(page.revision.html, control))  # noqa: S308  # nosec B308 B703 - sanitised body; the control is our template


def page_context(page: selectors.StoryPage, *, origin: str, preview=None) -> dict:
    """What story_detail.html and its parts need, for the public page and for previews. What
    only the cached fragments show is passed as functions the template calls on a miss."""
    body = (mark_safe(page.revision.html) if preview  # noqa: S308  # nosec B308 B703 - sanitised when the revision was saved
            else partial(reportable_body, page))
    url = origin + page.story.get_absolute_url()
    return {
        "page": page, "story": page.story, "revision": page.revision,
        "body": body,
        "json_ld": partial(json_ld, page, origin=origin),
        "preview": preview,
        # Readers download the snapshots approved with the live revision (a preview has none).
        # (From the pins the revision already holds: reading page.sources here would cost the
        # warm page, whose source list is a cached fragment, a query.)
        "evidence": not preview and any(pin.snapshot_id for pin in page.revision.pins),
        "canonical": mark_safe(escape(url)),  # noqa: S308  # nosec B308 B703
        "origin": origin,
        "site_name": settings.NEWSROOM_SITE_NAME,
        "template_version": template_version(),
        "page_version": None if preview else story_version(page),
        "fragment_seconds": fragment_seconds(),
        "lead_image": partial(lead_image, page.revision, origin=origin),
        "share": partial(share_links, url, page.revision.title) if not preview else [],
    }


TOP_STORIES_SECONDS = 60
# Changes whenever what readers see of a story can change (a publish, correction or retraction
# commits), in the shared cache every web and worker process reads: part of the key of what is
# cached across stories, so the next request anywhere builds it afresh.
LIVE_GENERATION_KEY = "stories:live-generation"


def live_generation() -> str:
    """The current generation of the published stories (see LIVE_GENERATION_KEY)."""
    return cache.get(LIVE_GENERATION_KEY) or "-"


def live_changed() -> None:
    """Start a new generation: what was cached across stories is not read again."""
    cache.set(LIVE_GENERATION_KEY, uuid.uuid4().hex, None)


def _top_stories() -> list[tuple[int, str, tuple[int, ...]]]:
    from . import reader_selectors

    ids = reader_selectors.top_story_ids(count=settings.NEWSROOM_TOP_STORIES + 1)
    return [(item.story.pk, render_to_string(TOP_TEASER, {"item": item}),
             item.reviewer_ids)
            for item in reader_selectors.top_stories(ids)]


def top_stories() -> list[tuple[int, str, tuple[int, ...]]]:
    """Today's top stories as (story id, teaser HTML, the ids of the reviewers it names), one
    more than are shown so a story's own page can leave itself out; built at most once a minute
    and after every publish, correction, retraction or rename (no query when kept)."""
    if settings.NEWSROOM_TOP_STORIES <= 0:
        return []
    key = (f"reader:top-stories:2:{template_version()}:{settings.NEWSROOM_TOP_STORIES}:"
           f"{live_generation()}")
    return cache.get_or_set(key, _top_stories, TOP_STORIES_SECONDS) or []


def top_stories_for(story_id: int | None = None) -> list[tuple[int, str, tuple[int, ...]]]:
    """The top stories a page shows: without the story itself, at most the configured number."""
    shown = [(pk, mark_safe(html), reviewers)  # noqa: S308  # nosec B308 B703 - rendered by our template
             for pk, html, reviewers in top_stories() if pk != story_id]
    return shown[:settings.NEWSROOM_TOP_STORIES]


def top_stories_stamp(shown: list[tuple]) -> list[str]:
    """What a page's ETag takes of its top stories: the teasers it shows. (Not the generation
    they were built in: a generation another process's local cache never started, or a write
    the shared cache dropped, would keep a rebuilt list's ETag, and so an old headline, for
    good.)"""
    return [html for _, html, *_ in shown]


# Plain links to common networks' own share pages: no script, no tracker, nothing loaded
# from them until the reader clicks.
_SHARE = (
    ("email", "E-mail", "mailto:?{q}", lambda url, title: {"subject": title, "body": url}),
    ("bluesky", "Bluesky", "https://bsky.app/intent/compose?{q}",
     lambda url, title: {"text": f"{title} {url}"}),
    ("mastodon", "Mastodon", "https://mastodonshare.com/?{q}",
     lambda url, title: {"text": title, "url": url}),
    ("x", "X", "https://x.com/intent/post?{q}", lambda url, title: {"text": title, "url": url}),
    ("facebook", "Facebook", "https://www.facebook.com/sharer/sharer.php?{q}",
     lambda url, title: {"u": url}),
    ("linkedin", "LinkedIn", "https://www.linkedin.com/sharing/share-offsite/?{q}",
     lambda url, title: {"url": url}),
    ("whatsapp", "WhatsApp", "https://wa.me/?{q}", lambda url, title: {"text": f"{title} {url}"}),
    ("reddit", "Reddit", "https://www.reddit.com/submit?{q}",
     lambda url, title: {"url": url, "title": title}),
)


def share_links(url: str, title: str) -> list[dict]:
    """Share links for a page: id, name and the network's share address with it filled in."""
    return [{"id": key, "name": name,
             "url": pattern.format(q=urlencode(params(url, title), quote_via=quote))}
            for key, name, pattern, params in _SHARE]


_FIGURE = '<figure class="figure"><img src="'


def lead_image(revision, *, origin: str) -> dict | None:
    """The story's first figure as an absolute URL and its alt text, for link previews."""
    text = revision.html or ""
    start = text.find(_FIGURE)
    if start < 0:
        return None
    start += len(_FIGURE)
    end = text.find('"', start)
    alt_at = text.find(' alt="', end)
    alt_end = text.find('"', alt_at + 6) if alt_at >= 0 else -1
    src = html_lib.unescape(text[start:end])
    if not src.startswith(("http://", "https://")):
        src = origin + (src if src.startswith("/") else "/" + src)
    alt = html_lib.unescape(text[alt_at + 6:alt_end]) if alt_end > alt_at >= 0 else ""
    return {"url": src, "alt": alt}
