"""The public reader site: thin views over stories.selectors, with a page cache for readers."""

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db import connection
from django.http import Http404, HttpResponse, HttpResponseServerError
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from audit.services import display_name

from . import pages, selectors, services

HOME_PAGE_SIZE = 20
# Cached HTML carries this instead of a nonce; each response gets its own nonce back in.
NONCE_PLACEHOLDER = pages.NONCE_BYTES
# Bumped by stories.tasks.page_published; part of every page-cache key.
GENERATION_KEY = "page:generation"


def healthz(request):
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:  # noqa: BLE001 - any database failure means "not healthy"
        return HttpResponseServerError("database unavailable", content_type="text/plain")
    return HttpResponse("ok", content_type="text/plain")


# --- page cache ---------------------------------------------------------------------------


class ChunkedHTML(HttpResponse):
    """An HTML response kept as its list of byte chunks: a long page's ~1 MB body goes out as
    read from the database instead of being joined into one more copy first. `content` still
    joins them for whoever asks (tests do); the WSGI server just iterates."""

    def __init__(self, chunks: list[bytes]):
        super().__init__()
        self._container = chunks  # what HttpResponse.__iter__ and .content read
        self.headers["Content-Length"] = str(sum(map(len, chunks)))


def _cacheable(request) -> bool:
    # Signed-in staff bypass the cache. A session cookie stands for "maybe signed in": asking
    # request.user would load the session and add "Vary: Cookie" to every reader's page.
    return (settings.NEWSROOM_PAGE_CACHE_SECONDS > 0
            and settings.SESSION_COOKIE_NAME not in request.COOKIES)


def _origin(request) -> str:
    return f"{request.scheme}://{request.get_host()}"


def _page_key(request, name: str, *parts) -> str:
    raw = "|".join(str(p) for p in (request.get_host(), request.is_secure(), *parts))
    return f"page:{name}:{hashlib.sha256(raw.encode()).hexdigest()[:24]}"


def _cached(key: str) -> tuple[int, tuple[bytes, bytes] | None]:
    """(generation, cached (head, rest) or None): one cache read for both the generation
    counter (stories.tasks.page_published bumps it on publish, correction and retraction) and
    the entry, which records the generation it was built in. No database query."""
    found = cache.get_many([GENERATION_KEY, key])
    generation, entry = found.get(GENERATION_KEY, 0), found.get(key)
    if entry is not None and entry[0] == generation:
        return generation, entry[1:]
    return generation, None


def _respond(request, head: bytes, rest: list[bytes]) -> HttpResponse:
    # Each response carries a fresh CSP nonce, so no shared cache may keep the HTML itself.
    # The placeholder is in the small head chunk only: the JSON-LD script carries the nonce.
    nonce = str(request.csp_nonce).encode()
    return ChunkedHTML([head.replace(NONCE_PLACEHOLDER, nonce, 1), *rest])


class PageCacheMiddleware:
    """Serve a cached story page before URL resolution and the view: the last middleware, so
    every other one still runs around the answer (security headers, CSP with its nonce,
    X-Frame-Options are added exactly as for the view's own response). Only anonymous GETs
    without a query string under the story pages' prefix look, and only an entry the view
    stored for that very path can answer; anything else goes on to the view."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.prefix = None

    def __call__(self, request):
        if self.prefix is None:
            self.prefix = reverse("story-detail", args=["x"])[:-2]
        if (request.method == "GET" and request.path_info.startswith(self.prefix)
                and not request.META.get("QUERY_STRING") and _cacheable(request)):
            hit = _cached(_story_key(request))[1]
            if hit is not None:
                return _respond(request, hit[0], [hit[1]])
        return self.get_response(request)


def _story_key(request) -> str:
    return _page_key(request, "story", request.path_info)


def _serve(request, key: str | None, build) -> HttpResponse:
    """Serve HTML from the page cache when the reader is anonymous; build it otherwise.
    `build()` answers (head, [chunks]) with the nonce placeholder in `head`."""
    if key is None:
        return _respond(request, *build())
    generation, hit = _cached(key)
    if hit is not None:
        return _respond(request, hit[0], [hit[1]])
    head, rest = build()  # the generation was read first: a publish meanwhile leaves the
    rest = b"".join(rest)  # entry stored below already stale
    cache.set(key, (generation, head, rest), settings.NEWSROOM_PAGE_CACHE_SECONDS)
    return _respond(request, head, [rest])


# --- pages ----------------------------------------------------------------------------------


def render_page(request, template: str, context: dict, **kwargs) -> HttpResponse:
    """Render a public page with the site-wide context."""
    return render(request, template, {"site_name": settings.NEWSROOM_SITE_NAME, **context},
                  **kwargs)


def _page_number(request) -> int:
    try:  # past the last page answers the last page; the bound keeps the SQL OFFSET an int64
        return min(max(1, int(request.GET.get("page", "1"))), 10**9)
    except ValueError:
        return 1


@require_safe
def home(request):
    number = _page_number(request)

    def build() -> tuple[bytes, list[bytes]]:
        html = pages.home_html(number, origin=_origin(request), page_size=HOME_PAGE_SIZE)
        if html is None:  # past the last page: the last page, as Paginator.get_page did
            last = max(1, -(-pages.teaser_rows(limit=1)[1] // HOME_PAGE_SIZE))
            html = pages.home_html(last, origin=_origin(request), page_size=HOME_PAGE_SIZE)
        return html.encode(), []

    key = None
    if _cacheable(request):
        key = _page_key(request, "home", number)
    return _serve(request, key, build)


@require_safe
def story_detail(request, slug):
    def build() -> tuple[bytes, list[bytes]]:
        found = pages.story_chunks(slug, origin=_origin(request))
        if found is None:
            raise Http404("No published story at this address.")
        return found

    # Keyed by path: PageCacheMiddleware answers hits before the URL is resolved.
    return _serve(request, _story_key(request) if _cacheable(request) else None, build)


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
    context = pages.page_context(page, origin=_origin(request), nonce=str(request.csp_nonce),
                                 body=page.revision.html, preview=link)
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
