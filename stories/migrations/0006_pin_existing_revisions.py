"""Pin the numbered sources of revisions saved before pinning existed.

Their metadata is taken from the library as it is when this migration runs (the best record
there is) and their snapshot is the newest good one fetched at or before the revision was
saved. Their content hash stays the version-1 hash their approvals were pinned to.
"""

from django.db import migrations
from django.db.models import OuterRef, Subquery


def pin(apps, schema_editor):
    Revision = apps.get_model("stories", "Revision")
    Source = apps.get_model("sources", "Source")
    Snapshot = apps.get_model("sources", "Snapshot")
    library = {s.key: s for s in Source.objects.all()}
    pending = []
    for revision in Revision.objects.filter(pinned_sources=[]).exclude(source_keys=[]).only(
            "pk", "source_keys", "created_at").iterator(chunk_size=500):
        keys = list(revision.source_keys or [])
        newest = (Snapshot.objects.filter(source=OuterRef("pk"), error="", status_code__lt=400,
                                          fetched_at__lte=revision.created_at)
                  .order_by("-fetched_at", "-id"))
        snapshots = {
            row["key"]: row for row in Source.objects.filter(key__in=keys).annotate(
                snap_id=Subquery(newest.values("pk")[:1]),
                snap_sha=Subquery(newest.values("sha256")[:1]),
                snap_at=Subquery(newest.values("fetched_at")[:1]),
            ).values("key", "snap_id", "snap_sha", "snap_at")
        }
        pins = []
        for key in keys:
            source = library.get(key)
            if source is None:
                pins.append({"key": key, "missing": True})
                continue
            snap = snapshots.get(key, {})
            pins.append({
                "key": key, "kind": source.kind, "title": source.title,
                "outlet": source.outlet, "author": source.author,
                "published_on": source.published_on.isoformat() if source.published_on else "",
                "url": source.url, "description": source.description,
                "snapshot_id": snap.get("snap_id"), "snapshot_sha256": snap.get("snap_sha") or "",
                "snapshot_fetched_at": snap["snap_at"].isoformat() if snap.get("snap_at") else "",
                "missing": False,
            })
        revision.pinned_sources = pins
        pending.append(revision)
        if len(pending) >= 500:
            Revision.objects.bulk_update(pending, ["pinned_sources"])
            pending = []
    if pending:
        Revision.objects.bulk_update(pending, ["pinned_sources"])


def unpin(apps, schema_editor):
    apps.get_model("stories", "Revision").objects.filter(hash_version=1).update(pinned_sources=[])


class Migration(migrations.Migration):
    dependencies = [
        ("stories", "0005_revision_pinned_sources"),
        ("sources", "0001_initial"),
    ]
    operations = [migrations.RunPython(pin, unpin)]
