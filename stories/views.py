"""The public reader site: thin views over stories.selectors, with a page cache for readers."""

import hashlib
import json

from django.conf import settings
from django.core.cache import cache
from django.core.paginator import Paginator
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.http import Http404, HttpResponse, HttpResponseServerError
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from audit.services import display_name

from . import selectors, services

HOME_PAGE_SIZE = 20
# Cached HTML carries this instead of a nonce; each response gets its own nonce back in.
NONCE_PLACEHOLDER = "__csp_nonce_placeholder__"
# The same escapes as django.utils.html.json_script: nothing in the data can end the tag.
_JSON_SCRIPT_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


def healthz(request):
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:  # noqa: BLE001 - any database failure means "not healthy"
        return HttpResponseServerError("database unavailable", content_type="text/plain")
    return HttpResponse("ok", content_type="text/plain")


# --- page cache ---------------------------------------------------------------------------


def _cacheable(request) -> bool:
    return settings.NEWSROOM_PAGE_CACHE_SECONDS > 0 and not request.user.is_authenticated


def _page_key(request, name: str, *parts) -> str:
    """A key that changes on publish, correction and retraction (via the parts and the
    generation counter stories.tasks.page_published bumps)."""
    generation = cache.get("page:generation") or 0
    raw = "|".join(str(p) for p in (request.get_host(), request.is_secure(), *parts))
    digest = hashlib.sha256(raw.encode()).hexdigest()[:24]
    return f"page:{name}:g{generation}:{digest}"


def _with_nonce(request, html: str) -> HttpResponse:
    if NONCE_PLACEHOLDER in html:
        html = html.replace(NONCE_PLACEHOLDER, str(request.csp_nonce))
    return HttpResponse(html)


def _serve(request, key: str | None, build) -> HttpResponse:
    """Serve HTML from the page cache when the reader is anonymous; build it otherwise.

    Each response carries a fresh CSP nonce, so no shared cache may keep the HTML itself.
    """
    if key is not None:
        html = cache.get(key)
        if html is None:
            html = build()
            cache.set(key, html, settings.NEWSROOM_PAGE_CACHE_SECONDS)
        return _with_nonce(request, html)
    return _with_nonce(request, build())


# --- pages ----------------------------------------------------------------------------------


def render_page(request, template: str, context: dict, **kwargs) -> HttpResponse:
    """Render a public page with the site-wide context."""
    return render(request, template, {"site_name": settings.NEWSROOM_SITE_NAME, **context},
                  **kwargs)


def _page_number(request) -> int:
    try:
        return max(1, int(request.GET.get("page", "1")))
    except ValueError:
        return 1


@require_safe
def home(request):
    number = _page_number(request)

    def build() -> str:
        paginator = Paginator(selectors.published_stories(), HOME_PAGE_SIZE)
        page = paginator.get_page(number)
        return render_to_string("stories/home.html", {
            "site_name": settings.NEWSROOM_SITE_NAME, "page": page,
            "items": selectors.listing_items(page.object_list),
        }, request=request)

    key = None
    if _cacheable(request):
        key = _page_key(request, "home", number, *selectors.home_cache_stamp())
    return _serve(request, key, build)


def _json_ld(request, page: selectors.StoryPage) -> str:
    story, revision = page.story, page.revision
    absolute = request.build_absolute_uri
    data = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": revision.title,
        "description": revision.dek,
        "url": absolute(story.get_absolute_url()),
        "mainEntityOfPage": absolute(story.get_absolute_url()),
        "author": [
            {"@type": "Person", "name": display_name(a),
             "url": absolute(reverse("author-detail", args=[a.get_username()]))}
            for a in page.authors
        ],
        "datePublished": story.published_at,
        "dateModified": story.live_updated_at or story.published_at,
        "publisher": {"@type": "Organization", "name": settings.NEWSROOM_SITE_NAME,
                      "url": absolute("/")},
        "citation": [
            {"@type": "CreativeWork",
             "name": item.source.title if item.source else item.key,
             "url": (item.source.url or absolute(item.source.get_absolute_url()))
             if item.source else absolute(story.get_absolute_url() + f"#source-{item.number}"),
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
    text = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False)
    return mark_safe(text.translate(_JSON_SCRIPT_ESCAPES))  # noqa: S308 - escaped as json_script


def _story_context(request, page: selectors.StoryPage, *, nonce: str, preview=None) -> dict:
    return {
        "page": page, "story": page.story, "revision": page.revision,
        "body": mark_safe(page.revision.html),  # noqa: S308 - sanitised when the revision was saved
        "json_ld": _json_ld(request, page), "csp_nonce": nonce, "preview": preview,
        "canonical": request.build_absolute_uri(page.story.get_absolute_url()),
        "site_name": settings.NEWSROOM_SITE_NAME,
    }


@require_safe
def story_detail(request, slug):
    key = None
    if _cacheable(request):
        stamp = selectors.story_cache_stamp(slug)
        if stamp is None:
            raise Http404("No published story at this address.")
        key = _page_key(request, f"story:{stamp[0]}", *stamp)

    def build() -> str:
        page = selectors.story_page(slug)
        if page is None:
            raise Http404("No published story at this address.")
        context = _story_context(request, page, nonce=NONCE_PLACEHOLDER)
        return render_to_string("stories/story_detail.html", context, request=request)

    return _serve(request, key, build)


@require_safe
def story_history(request, slug):
    page = selectors.story_page(slug)
    if page is None:
        raise Http404("No published story at this address.")
    history = selectors.published_history(page.story)
    return render_page(request, "stories/story_history.html", {
        "page": page, "story": page.story, "revision": page.revision,
        "history": list(reversed(history)),
    })


@require_safe
@never_cache
def preview(request, token):
    link = services.preview_link_open(token=token)
    if link is None:
        raise Http404("This preview link has expired or was revoked.")
    page = selectors.revision_page(link.revision)
    context = _story_context(request, page, nonce=str(request.csp_nonce), preview=link)
    response = render_page(request, "stories/story_detail.html", context)
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@require_safe
def author_detail(request, username):
    found = selectors.public_author(username)
    if found is None:
        raise Http404("No published stories by this author.")
    user, stories = found
    page = Paginator(stories, HOME_PAGE_SIZE).get_page(_page_number(request))
    return render_page(request, "stories/author_detail.html", {
        "author": user, "author_name": display_name(user), "page": page,
        "items": selectors.listing_items(page.object_list),
    })


@require_safe
def search(request):
    query = request.GET.get("q", "").strip()
    hits = selectors.search_published(query) if query else []
    return render_page(request, "stories/search.html", {"query": query, "hits": hits})


@require_safe
def robots_txt(request):
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /api/",
        "Disallow: /preview/",
        "",
        f"Sitemap: {request.build_absolute_uri(reverse('sitemap'))}",
        "",
    ]
    return HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")
