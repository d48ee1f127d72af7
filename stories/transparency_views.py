"""The transparency log's public pages: /transparency/ for readers and the well-known JSON
document for tools (docs/transparency.md). Cached like every public page; purged on publish."""

from django.core.paginator import Paginator
from django.http import JsonResponse
from django.urls import reverse
from django.views.decorators.http import condition, require_safe

from audit import transparency as log
from audit.models import TransparencyEntry

from .api.transparency import entry_body, log_document
from .caching import public_page
from .pages import page_etag
from .views import _page_number, render_page

PAGE_SIZE = 50
WELL_KNOWN = "newsroom-transparency.json"


def _endpoints(request) -> dict:
    def url(name):
        return request.build_absolute_uri(reverse(name))

    story = url("api-public-story-list") + "{slug}/canonical/"
    return {"tree_head": url("api-transparency-tree-head"),
            "entries": url("api-transparency-entries"),
            "inclusion_proof": url("api-transparency-inclusion"),
            "consistency_proof": url("api-transparency-consistency"),
            "story_canonical": story}


def _log_etag(request, **kwargs):
    # The log only grows; the keys, and which one is current, change with the configuration
    # (a rotation, or one rolled back: the same keys, another one current).
    keys = [(key["id"], key["current"]) for key in log.published_keys()]
    return page_etag("log", log.log_size(), _page_number(request), keys)


@require_safe
@public_page
@condition(etag_func=_log_etag)
def well_known(request):
    """The signed tree head, every public key and where the proofs are, for tools."""
    return JsonResponse({
        "log": "Newsroom transparency log of published versions",
        "documentation": request.build_absolute_uri(reverse("transparency")),
        **log_document(),
        "endpoints": _endpoints(request),
    }, json_dumps_params={"indent": 1})


@require_safe
@public_page
@condition(etag_func=_log_etag)
def transparency_page(request):
    """The log for readers: its signed head, keys and entries, newest first."""
    document = log_document()
    page = Paginator(TransparencyEntry.objects.order_by("-index").only(
        "index", "data", "nodes", "kind"), PAGE_SIZE).get_page(_page_number(request))
    return render_page(request, "stories/transparency.html", {
        "head": document["tree_head"], "keys": document["keys"], "page": page,
        "entries": [entry_body(row) for row in page.object_list],
        "well_known": reverse("well-known-transparency"),
        "endpoints": _endpoints(request),
    })
