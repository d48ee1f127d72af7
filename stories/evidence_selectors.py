"""Which snapshots a story's evidence is: those pinned by a revision (for readers, only the live
revision of a published story, i.e. the snapshots its reviewers approved it against)."""

from __future__ import annotations

from django.db import connection

from sources.models import Snapshot

from .models import Revision, Story
from .selectors import published_stories, stories_citing


def revision_snapshots(revision: Revision | None) -> list[Snapshot]:
    """The good snapshots a revision pins, in source-number order (one query)."""
    if revision is None:
        return []
    ids = [pin.snapshot_id for pin in revision.pins if pin.snapshot_id]
    found = {s.pk: s for s in Snapshot.objects.good().select_related("source").filter(pk__in=ids)}
    return [found[i] for i in dict.fromkeys(ids) if i in found]


def public_evidence(slug: str) -> tuple[Story, list[Snapshot]] | None:
    """A published story and the snapshots approved with its live revision; None when the
    story is not public."""
    story = published_stories(pins=True).filter(slug=slug).first()
    if story is None or story.live_revision is None:
        return None
    return story, revision_snapshots(story.live_revision)


def public_archived_snapshot(snapshot_id: int) -> Snapshot | None:
    """A snapshot readers may download or replay: one that the live revision of a published
    story was approved against (never a failed one, nor one a draft or a review cites)."""
    snapshot = Snapshot.objects.good().select_related("source").filter(pk=snapshot_id).first()
    if snapshot is None:
        return None
    citing = stories_citing(snapshot.source)
    if connection.vendor == "postgresql":
        # jsonb containment over the live revisions citing the source (GIN on source_keys):
        # one query, however many stories cite it.
        pinned = citing.filter(
            live_revision__pinned_sources__contains=[{"snapshot_id": snapshot.pk}]).exists()
    else:
        pinned = any(pin.get("snapshot_id") == snapshot.pk
                     for pins in citing.values_list("live_revision__pinned_sources", flat=True)
                     for pin in pins or [])
    return snapshot if pinned else None


def evidence_title(story: Story, revision: Revision) -> str:
    return f"Evidence for \u201c{revision.title}\u201d (revision {revision.number})"
