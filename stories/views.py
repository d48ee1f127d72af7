"""The public reader site: thin views over stories.selectors, rendered by templates per request.

Public pages answer conditional GETs (an ETag via Django's ``condition`` where a cheap one
covers all the page shows; elsewhere ``caching.digest_validated_page``, a digest of the
rendered answer; pages.py says why the pages send no Last-Modified) and tell shared caches how
long they may keep them (``caching.public_page``, outermost, so that a 304 says it too); the
edge cache in front (deploy/varnish) is purged on commit after every change that reaches a
public page (stories.frontend_cache).
"""

from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import condition, require_safe

from audit.paging import page_number, window
from audit.services import display_name

from . import frontend_cache, pages, reader_selectors, selectors, services
from .caching import digest_validated_page, public_page

HOME_PAGE_SIZE = 20
# Versions on one page of a story's review trail (each with its diff to the one before).
HISTORY_PAGE_SIZE = 10


def live_story(request, slug) -> selectors.StoryPage | None:
    """The published story's page, read once per request: the validators and the view share
    it, so a publish landing meanwhile cannot mix two revisions in one answer."""
    found = getattr(request, "_newsroom_story", None)
    if found is None or found[0] != slug:
        found = (slug, selectors.story_page(slug))
        request._newsroom_story = found
    return found[1]


def top_stories(request, story_id: int | None = None) -> list:
    """The teasers of the top stories a page shows, read once per request: the ETag and the
    page share them (one shared-cache read each, not two)."""
    found = getattr(request, "_newsroom_top", None)
    if found is None or found[0] != story_id:
        found = (story_id, pages.top_stories_for(story_id))
        request._newsroom_top = found
    return found[1]


def story_etag(request, slug, **kwargs):
    page = live_story(request, slug)
    if page is None:
        return None
    return pages.story_etag(page, pages.top_stories_stamp(top_stories(request, page.story.pk)))


# --- pages ----------------------------------------------------------------------------------


def render_page(request, template: str, context: dict, **kwargs) -> HttpResponse:
    """Render a public page with the site-wide context."""
    return render(request, template, {"site_name": settings.NEWSROOM_SITE_NAME, **context},
                  **kwargs)


def _origin(request) -> str:
    return f"{request.scheme}://{request.get_host()}"


def _page_number(request) -> int:
    return page_number(request.GET.get("page"))


def listing_page(request, stories):
    """The requested page of a public listing (newest first), read without counting it:
    (page, teasers). Pages past the end are empty; deep pages stop at audit.paging.LIMIT."""
    page = window(stories, request.GET.get("page"), per_page=HOME_PAGE_SIZE)
    return page, selectors.listing_items(page.object_list)


def _home(request):
    """(page, items) of the home listing, read once per request."""
    found = getattr(request, "_newsroom_home", None)
    if found is None:
        found = request._newsroom_home = listing_page(request, selectors.published_stories())
    return found


def _home_etag(request):
    page, items = _home(request)
    return pages.listing_etag("home", page.number, page.has_next, items,
                              pages.top_stories_stamp(top_stories(request)))


@require_safe
@public_page
@condition(etag_func=_home_etag)
def home(request):
    page, items = _home(request)
    return render_page(request, "stories/home.html", {
        "page": page, "items": items, "origin": _origin(request),
        "fragment_seconds": pages.fragment_seconds(),
        "listing_version": pages.listing_version("home", page.number, page.has_next, items),
        "top_stories": top_stories(request)})


@require_safe
@public_page
@condition(etag_func=story_etag)
def story_detail(request, slug):
    page = live_story(request, slug)
    if page is None:
        raise Http404("No published story at this address.")
    shown = top_stories(request, page.story.pk)
    response = render_page(request, "stories/story_detail.html", {
        **pages.page_context(page, origin=_origin(request)), "top_stories": shown})
    return frontend_cache.tag(response, [*frontend_cache.story_page_tags(page),
                                         *frontend_cache.top_stories_tags(shown)])


@digest_validated_page
def story_history(request, slug):
    page = selectors.story_page(slug)
    if page is None:
        raise Http404("No published story at this address.")
    total = selectors.published_count(page.story)
    trail = window(range(total), request.GET.get("page"), per_page=HISTORY_PAGE_SIZE)
    skip = (trail.number - 1) * HISTORY_PAGE_SIZE
    history = selectors.published_history(page.story, newest=HISTORY_PAGE_SIZE, skip=skip)
    response = render_page(request, "stories/story_history.html", {
        "page": page, "story": page.story, "revision": page.revision, "trail": trail,
        "history": list(reversed(history)), "first_number": total - skip,
        "current_on_page": trail.number == 1,
        "reader_corrections": reader_selectors.report_corrections_count(page.story),
    })
    return frontend_cache.tag(response, frontend_cache.story_page_tags(page, history))


@require_safe
@never_cache
def preview(request, token):
    link = services.preview_link_open(token=token)
    if link is None:
        raise Http404("This preview link has expired or was revoked.")
    page = selectors.revision_page(link.revision)
    context = pages.page_context(page, origin=_origin(request), preview=link)
    response = render_page(request, "stories/story_detail.html", context)
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@digest_validated_page
def author_detail(request, username):
    found = selectors.public_author(username)
    if found is None:
        raise Http404("No published stories by this author.")
    user, stories = found
    page, items = listing_page(request, stories)
    response = render_page(request, "stories/author_detail.html", {
        "author": user, "author_name": display_name(user), "page": page, "items": items,
    })
    # Their own key too: a page past the end of the list shows their name and no teaser, and
    # a new username leaves the old address to be banned by key.
    return frontend_cache.tag(response, [frontend_cache.author_tag(user.pk),
                                         *frontend_cache.teaser_tags(items)])


@digest_validated_page
def search(request):
    query = request.GET.get("q", "").strip()
    hits = selectors.search_published(query, page=request.GET.get("page")) if query else []
    return render_page(request, "stories/search.html", {"query": query, "hits": hits,
                                                        "page": hits})


@require_safe
def robots_txt(request):
    # Left plain: it is make bench's floor (the cheapest answer Django gives), and headers
    # added here would move the yardstick every page is measured against. The edge keeps it
    # 10 s (deploy/varnish/default.vcl); it changes only with a deploy.
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /api/",
        "Disallow: /preview/",
        "Disallow: /digest/",
        "Disallow: /stories/*/report/",
        "",
        f"Sitemap: {request.build_absolute_uri(reverse('sitemap'))}",
        "",
    ]
    return HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")
