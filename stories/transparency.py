"""What the public transparency log says about stories: the entry each publish, correction,
update and retraction appends (docs/transparency.md defines its bytes), and the reads the public
pages and the API make of it."""

from dataclasses import dataclass

from django.db.models import Subquery
from django.urls import reverse

from audit import transparency
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
