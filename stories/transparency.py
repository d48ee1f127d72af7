"""What the public transparency log says about stories: the entry each publish, correction,
update and retraction appends (docs/transparency.md defines its bytes), and the reads the public
pages and the API make of it."""

from dataclasses import dataclass

from django.db.models import Subquery
from django.urls import reverse

from audit import queueing, transparency
from audit.models import TransparencyEntry

from .canonical import covered_sources
from .models import Correction, Revision, Story

ENTRY_VERSION = 1


class Kind:
    PUBLISH = "publish"
    CORRECTION = Correction.Kind.CORRECTION.value
    UPDATE = Correction.Kind.UPDATE.value
    RETRACTION = "retraction"


PUBLISHING_KINDS = (Kind.PUBLISH, Kind.CORRECTION, Kind.UPDATE)


def entry_fields(*, story: Story, revision: Revision, kind: str, reviewers: list[str],
                 at: str, note: str = "") -> dict:
    """The entry's fields: which text went public (or was retracted), who approved it, when,
    and the snapshot of every numbered source it cites."""
    fields = {
        "v": ENTRY_VERSION,
        "kind": kind,
        "story": story.get_absolute_url(),
        "revision": revision.number,
        "content_hash": revision.content_hash,
        "hash_version": revision.hash_version,
        "reviewers": reviewers,
        "at": at,
        "sources": [{"number": number, "key": pin.key, "snapshot_sha256": pin.snapshot_sha256}
                    for number, pin in enumerate(revision.pins, start=1)],
    }
    if kind == Kind.RETRACTION:
        fields["reason"] = note
    elif kind != Kind.PUBLISH:
        fields["note"] = note
    return fields


def log_revision(*, story: Story, revision: Revision, kind: str, reviewers: list[str],
                 note: str = "") -> TransparencyEntry:
    """Append the entry for this change of what readers see; call it in the change's
    transaction, so the change and its entry commit together or not at all."""
    fields = entry_fields(story=story, revision=revision, kind=kind, reviewers=reviewers,
                          at=transparency.timestamp_now(), note=note)
    return transparency.log_append(fields=fields, kind=kind, story=story,
                                   revision_number=revision.number,
                                   content_hash=revision.content_hash)


# --- reads ----------------------------------------------------------------------------------


def canonical_content(story: Story, revision: Revision) -> dict:
    """Everything the revision's content hash covers, as the public API shows it."""
    sources = revision.pinned_sources or [{"key": key} for key in revision.source_keys or []]
    return {"story": story.get_absolute_url(), "revision": revision.number,
            "content_hash": revision.content_hash, "hash_version": revision.hash_version,
            "title": revision.title, "dek": revision.dek, "body": revision.body,
            "sources": covered_sources(sources, revision.hash_version)}


@dataclass(frozen=True)
class LogRef:
    """A story's entry in the log: its number, what it records and where its proof is."""

    index: int
    kind: str
    revision: int | None
    content_hash: str
    timestamp: str

    @property
    def short_hash(self) -> str:
        return self.content_hash[:12]

    @property
    def proof_url(self) -> str:
        return reverse("api-transparency-inclusion") + f"?index={self.index}"

    @property
    def publishing(self) -> bool:
        return self.kind in PUBLISHING_KINDS


def story_log(story: Story) -> list[LogRef]:
    """The story's entries, oldest first (one query)."""
    return [LogRef(*row) for row in TransparencyEntry.objects.filter(story=story).order_by(
        "index").values_list("index", "kind", "revision_number", "content_hash", "timestamp")]


def publishing_entry_index(*, slug: str, number: int) -> int | None:
    """The index of the entry that put revision `number` of the story `slug` before readers
    (one query; the story's id is a subquery so that PostgreSQL reads the entry from the
    (story, revision_number, index) index rather than walk the log in index order)."""
    story = Story.objects.filter(slug=slug).order_by().values("pk")[:1]
    return (TransparencyEntry.objects.filter(story=Subquery(story), revision_number=number,
                                             kind__in=PUBLISHING_KINDS)
            .order_by("index").values_list("index", flat=True).first())


def published_entry(refs: list[LogRef], number: int) -> LogRef | None:
    """The entry that put revision `number` before readers."""
    return next((r for r in refs if r.publishing and r.revision == number), None)


# --- stories published before the log existed -----------------------------------------------


def backfill() -> int:
    """Log every version readers have seen of each published story that has no entry yet (it
    went public before the log existed), oldest story first; returns the entries appended.
    Such entries carry `published_at`, the time the version went public; `at` is when it was
    logged."""
    from django.db import transaction

    from . import selectors, tasks

    appended = 0
    pending = (Story.objects.published().filter(transparency_entries__isnull=True)
               .order_by("published_at", "id").values_list("pk", flat=True))
    for story_id in list(pending):
        with transaction.atomic():
            story = Story.objects.select_for_update(no_key=True).get(pk=story_id)
            if story.transparency_entries.exists():  # logged meanwhile
                continue
            for number, version in enumerate(selectors.published_history(story)):
                note = version.corrections[0] if version.corrections else None
                kind = Kind.PUBLISH if number == 0 else note.kind if note else Kind.UPDATE
                _log_late(story, version.revision, kind, version.reviewers,
                          note.note if note else "", version.published_at)
                appended += 1
            if story.retracted_at and story.live_revision_id:
                _log_late(story, story.live_revision, Kind.RETRACTION,
                          selectors.approving_reviewers(story.live_revision),
                          story.retraction_reason, story.retracted_at)
                appended += 1
            # The story page lists its entries: a new updated_at keys its cached fragments
            # afresh (selectors.StoryPage.log).
            story.save(update_fields=["updated_at"])
            # ...and so do its review trail and the log's pages: the edge cache drops them.
            queueing.on_commit(tasks.page_published, story.pk)
    return appended


def _log_late(story, revision, kind, reviewers, note, happened_at) -> None:
    fields = entry_fields(story=story, revision=revision, kind=kind, reviewers=reviewers,
                          at=transparency.timestamp_now(),
                          note="" if kind == Kind.PUBLISH else note)
    fields["published_at"] = happened_at.isoformat().replace("+00:00", "Z")
    transparency.log_append(fields=fields, kind=kind, story=story,
                            revision_number=revision.number, content_hash=revision.content_hash)
