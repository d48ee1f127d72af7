"""What the public story page, the home page and the public API detail are built from, and the
validators (ETag, Last-Modified) that let browsers and the edge cache revalidate them.

Templates render the pages on every request. The expensive part, the article's body and its
numbered sources, is a ``{% cache %}`` fragment keyed by the live revision, the cited sources'
link-health stamp and the template version (a digest of the templates' own source), so a
designer's template change or a broken link found later never serves an old fragment, and
nothing needs a version number bumped by hand.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.template.loader import get_template
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import mark_safe

from audit.services import display_name

from . import selectors

# Every template the public story and home pages are made of: their source is the template
# version, part of the fragment-cache key and of every ETag.
TEMPLATES = (
    "base.html", "stories/story_detail.html", "stories/_story_meta.html",
    "stories/_story_article.html", "stories/_story_text.html", "stories/_reviewers.html",
    "stories/home.html", "stories/_teaser.html", "stories/_pagination.html",
)
# A day: a fragment's key names everything it depends on, so it is never stale, only unused.
FRAGMENT_SECONDS = 24 * 3600
# Nothing in JSON-LD data may end the <script> element (the escapes of json_script).
_SCRIPT_SAFE = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


@lru_cache(maxsize=8)
def _digest(sources: tuple[str, ...]) -> str:
    return hashlib.sha256("\x00".join(sources).encode()).hexdigest()[:12]


def template_version() -> str:
    """A digest of the public templates' source: a changed template is a new version."""
    # The loaders keep compiled templates (and reload them in development), so this reads
    # strings already in memory; equal strings hash once (lru_cache).
    return _digest(tuple(get_template(name).template.source for name in TEMPLATES))


def fragment_seconds() -> int:
    """How long the article fragment is kept; 0 when NEWSROOM_PAGE_CACHE_SECONDS turns caching
    off."""
    return FRAGMENT_SECONDS if settings.NEWSROOM_PAGE_CACHE_SECONDS > 0 else 0


def _etag(*parts) -> str:
    raw = "|".join(str(p) for p in (template_version(), settings.NEWSROOM_SITE_NAME, *parts))
    return '"' + hashlib.sha256(raw.encode()).hexdigest()[:32] + '"'


def story_etag(page: selectors.StoryPage) -> str:
    """Changes whenever anything on the story page can: the live revision, any story save
    (workflow step, retraction, author change), names, notes and link health."""
    story = page.story
    return _etag(
        "story", story.pk, page.revision.pk, story.updated_at, story.live_updated_at,
        story.retracted_at, page.link_stamp, [display_name(a) for a in page.authors],
        page.reviewers, [(c.pk, c.note) for c in page.corrections],
    )


def story_last_modified(page: selectors.StoryPage):
    """The latest change to the story or to a cited source's library entry."""
    return max([page.story.updated_at, *(s.library_updated_at for s in page.sources
                                          if s.library_updated_at)])


def listing_etag(kind: str, number: int, has_next: bool,
                 items: list[selectors.ListingItem]) -> str:
    """Changes whenever a teaser on that page of the listing, or its link to older ones, can."""
    return _etag(kind, number, has_next, [
        (i.story.pk, i.story.updated_at, i.revision.pk, i.reviewers,
         [display_name(a) for a in i.authors]) for i in items])


def listing_last_modified(items: list[selectors.ListingItem]):
    return max((i.story.updated_at for i in items), default=None)


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


def page_context(page: selectors.StoryPage, *, origin: str, preview=None) -> dict:
    """What story_detail.html and its parts need, for the public page and for previews."""
    return {
        "page": page, "story": page.story, "revision": page.revision,
        "body": mark_safe(page.revision.html),  # noqa: S308  # nosec B308 B703 - sanitised when the revision was saved
        "json_ld": json_ld(page, origin=origin),
        "preview": preview,
        "canonical": mark_safe(origin + escape(page.story.get_absolute_url())),  # noqa: S308  # nosec B308 B703
        "site_name": settings.NEWSROOM_SITE_NAME,
        "template_version": template_version(),
        "fragment_seconds": fragment_seconds(),
    }
