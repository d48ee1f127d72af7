"""Public source pages: only sources that a published story cites.

They list published stories, so they belong to the stories app (sources never import stories)."""

from django.http import Http404
from django.views.decorators.http import require_safe

from audit.roles import is_writer
from sources.models import Snapshot

from . import selectors
from .views import listing_page, render_page


@require_safe
def source_detail(request, key):
    found = selectors.public_source(key)
    if found is None:
        raise Http404("No published story cites this source.")
    source, stories = found
    page, items = listing_page(request, stories)
    return render_page(request, "sources/source_detail.html", {
        "source": source, "page": page, "items": items,
    })


@require_safe
def snapshot_detail(request, snapshot_id):
    # Newsroom staff check snapshots of sources no published story cites yet (review).
    if is_writer(request.user):
        snapshot = Snapshot.objects.select_related("source").filter(pk=snapshot_id).first()
    else:
        snapshot = selectors.public_snapshot(snapshot_id)
    if snapshot is None:
        raise Http404("No archived copy here.")
    response = render_page(request, "sources/snapshot_detail.html", {
        "snapshot": snapshot, "source": snapshot.source,
    })
    response["X-Robots-Tag"] = "noindex"
    return response
