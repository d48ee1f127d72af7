"""The public transparency log's late entries: versions readers saw before the log existed."""

from django.db import transaction

from audit import queueing
from audit import transparency as log

from .. import selectors, tasks
from ..models import Story
from ..transparency import Kind, entry_fields


def transparency_backfill() -> int:
    """Log every version readers have seen of each published story that has no entry yet (it
    went public before the log existed), oldest story first; returns the entries appended.
    Such entries carry `published_at`, the time the version went public; `at` is when it was
    logged."""
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
                          at=log.timestamp_now(), note="" if kind == Kind.PUBLISH else note)
    fields["published_at"] = happened_at.isoformat().replace("+00:00", "Z")
    log.log_append(fields=fields, kind=kind, story=story, revision_number=revision.number,
                   content_hash=revision.content_hash)
