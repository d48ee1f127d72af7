"""Public source pages: only sources that a published story cites; and the archived copies.

They list published stories, so they belong to the stories app (sources never import stories).

Archived copies: readers may replay or download (WARC, screenshot) a snapshot only when the live
revision of a published story was approved against it, and a story's evidence package (WACZ)
holds only those; anything else is a 404 for them. Newsroom staff reach every snapshot, and a
snapshot with nothing archived (a failed fetch) answers them a page saying why.
"""

import hashlib

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.text import slugify
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import condition, require_safe

from audit.roles import is_writer
from sources import archive, extraction, wacz
from sources.models import Snapshot

from . import evidence_selectors, frontend_cache, selectors
from .caching import digest_validated_page, public_page
from .views import listing_page, render_page

# The archived page runs nothing and loads nothing: no script, no request to the original
# site or to us (images and styles inline only), and it may be framed by our own page only.
REPLAY_POLICY = ("sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
                 "font-src data:; frame-ancestors 'self'; form-action 'none'; base-uri 'none'")
REPLAY_TYPES = ("text/html", "application/xhtml+xml", "text/plain")


@digest_validated_page
def source_detail(request, key):
    found = selectors.public_source(key)
    if found is None:
        raise Http404("No published story cites this source.")
    source, stories = found
    page, items = listing_page(request, stories)
    response = render_page(request, "sources/source_detail.html", {
        "source": source, "page": page, "items": items,
    })
    return frontend_cache.tag(response, frontend_cache.teaser_tags(items))


def _archived_snapshot(request, snapshot_id: int) -> Snapshot:
    """The snapshot whose archive the asker may read, or Http404 (staff: with the reason)."""
    if is_writer(request.user):
        snapshot = Snapshot.objects.select_related("source").filter(pk=snapshot_id).first()
        if snapshot is None:
            raise Http404("No such snapshot.")
        reason = archive.why_not_archived(snapshot)
        if reason:
            raise _StaffNotice(snapshot, reason)
        return snapshot
    snapshot = evidence_selectors.public_archived_snapshot(snapshot_id)
    if snapshot is None:
        raise Http404("No archived copy here.")
    return snapshot


class _StaffNotice(Exception):
    def __init__(self, snapshot: Snapshot, reason: str):
        super().__init__(reason)
        self.snapshot, self.reason = snapshot, reason


def _notice(request, exc) -> HttpResponse:
    return render_page(request, "sources/snapshot_missing.html", {
        "snapshot": exc.snapshot, "source": exc.snapshot.source, "reason": exc.reason,
    }, status=404)


def _archived(view):
    def wrapped(request, snapshot_id, *args, **kwargs):
        try:
            snapshot = _archived_snapshot(request, snapshot_id)
            return view(request, snapshot, *args, **kwargs)
        except _StaffNotice as exc:
            return _notice(request, exc)
        except archive.NotArchived as exc:
            if not is_writer(request.user):
                raise Http404("No archived copy here.") from exc
            return _notice(request, _StaffNotice(_snapshot(snapshot_id), str(exc)))
    wrapped.__name__ = view.__name__
    return wrapped


def _snapshot(snapshot_id: int) -> Snapshot:
    return Snapshot.objects.select_related("source").get(pk=snapshot_id)


@digest_validated_page
def snapshot_detail(request, snapshot_id):
    # Newsroom staff check snapshots of sources no published story cites yet (review).
    staff = is_writer(request.user)
    if staff:
        snapshot = Snapshot.objects.select_related("source").filter(pk=snapshot_id).first()
    else:
        snapshot = selectors.public_snapshot(snapshot_id)
    if snapshot is None:
        raise Http404("No archived copy here.")
    replayable = (staff and not archive.why_not_archived(snapshot)) or (
        evidence_selectors.public_archived_snapshot(snapshot.pk) is not None)
    response = render_page(request, "sources/snapshot_detail.html", {
        "snapshot": snapshot, "source": snapshot.source, "replayable": replayable,
        "staff": staff, "not_archived": archive.why_not_archived(snapshot) if staff else "",
    })
    response["X-Robots-Tag"] = "noindex"
    # It shows the library entry (title, outlet): an edit of the source bans it with them.
    return frontend_cache.tag(response, [frontend_cache.source_tag(snapshot.source.key)])


@digest_validated_page  # outermost: staff notices are private too
@xframe_options_sameorigin
@_archived
def snapshot_replay(request, snapshot):
    """The archived page itself, replayed from its WARC, framed by the archived copy page."""
    page = archive.replay_of(snapshot)
    kind = extraction.media_type(page.content_type)
    if kind not in REPLAY_TYPES:
        body = (b"<!doctype html><p>This capture is not a web page (" +
                (kind or "unknown type").encode("utf-8", "replace")[:100] +
                b"); download the WARC to open it.</p>")
        response = HttpResponse(body, content_type="text/html; charset=utf-8")
    else:
        response = HttpResponse(page.body, content_type=page.content_type or "text/html")
    response["Content-Security-Policy"] = REPLAY_POLICY
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    return response


@digest_validated_page
@_archived
def snapshot_warc(request, snapshot):
    """The snapshot's WARC file."""
    archived = archive.warc_of(snapshot)
    response = HttpResponse(archived.data, content_type="application/warc")
    name = f"{slugify(snapshot.source.key) or 'source'}-snapshot-{snapshot.pk}.warc.gz"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Robots-Tag"] = "noindex"
    return response


@digest_validated_page
@_archived
def snapshot_screenshot(request, snapshot):
    """The full-page screenshot taken of the archived page, when one was taken."""
    if not snapshot.screenshot:
        raise archive.NotArchived(snapshot.screenshot_note or "No screenshot was taken.")
    try:
        with snapshot.screenshot.open("rb") as handle:
            data = handle.read()
    except OSError as exc:
        raise archive.NotArchived("The screenshot file cannot be read.") from exc
    response = HttpResponse(data, content_type="image/png")
    response["X-Robots-Tag"] = "noindex"
    return response


def evidence_response(story, revision, snapshots) -> HttpResponse:
    """A story's evidence package as a download (the public page, the API and the admin)."""
    data = archive.package(snapshots, title=evidence_selectors.evidence_title(story, revision),
                           description=f"Archived sources of {story.slug}, revision "
                                       f"{revision.number} ({revision.content_hash})")
    response = HttpResponse(data, content_type=wacz.MIME)
    response["Content-Disposition"] = (
        f'attachment; filename="{story.slug}-evidence-r{revision.number}.wacz"')
    response["X-Robots-Tag"] = "noindex"
    return response


def _evidence_etag(request, slug):
    found = evidence_selectors.public_evidence(slug)
    if found is None:
        return None
    story, snapshots = found
    ids = ",".join(f"{s.pk}:{s.warc_sha256 or s.sha256}" for s in snapshots)
    return hashlib.sha256(f"{story.live_revision.content_hash}|{ids}".encode()).hexdigest()[:32]


@require_safe
@public_page  # outside condition(): a 304 repeats the 200's Cache-Control and Vary
@condition(etag_func=_evidence_etag)
def story_evidence(request, slug):
    """A published story's evidence: the snapshots approved with its live revision, as WACZ."""
    found = evidence_selectors.public_evidence(slug)
    if found is None:
        raise Http404("No published story at this address.")
    story, snapshots = found
    try:
        response = evidence_response(story, story.live_revision, snapshots)
    except archive.NotArchived as exc:
        raise Http404("This story has no archived sources.") from exc
    return frontend_cache.tag(response, [frontend_cache.snapshot_tag(s.pk) for s in snapshots])


def staff_notice(request, title: str, message: str, status: int = 404) -> HttpResponse:
    return render(request, "sources/snapshot_missing.html",
                  {"reason": message, "title": title}, status=status)
