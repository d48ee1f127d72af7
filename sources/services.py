"""Changes to the source library: created and edited here, audited, snapshots queued on commit."""

from functools import partial

from django.core.exceptions import ValidationError
from django.db import transaction

from audit.services import audit_record
from stories.permissions import is_writer
from stories.services import ActionDenied, InvalidInput, audited

from .models import Source

EDITABLE = ("key", "url", "title", "outlet", "author", "published_on", "kind", "description",
            "notes")


def _validated(source: Source) -> Source:
    try:
        source.full_clean()
    except ValidationError as exc:
        raise InvalidInput(exc.message_dict) from exc
    return source


def _queue_capture(source: Source) -> None:
    from . import tasks

    if source.url:
        transaction.on_commit(partial(tasks.capture_source.delay, source.pk))


@audited("source_create")
def source_create(*, user, **fields) -> Source:
    """Add a source to the library; a source with a URL gets a snapshot queued."""
    if not is_writer(user):
        raise ActionDenied("source_create", "Only newsroom staff can add sources.", actor=user)
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise InvalidInput({name: ["This field cannot be set."] for name in unknown})
    source = _validated(Source(added_by=user, **fields))
    source.save()
    audit_record(action="source_create", actor=user,
                 details={"key": source.key, "url": source.url, "title": source.title})
    _queue_capture(source)
    return source


@audited("source_update")
def source_update(*, source_id: int, user, **fields) -> Source:
    """Edit a library source; a changed URL gets a fresh snapshot queued."""
    if not is_writer(user):
        raise ActionDenied("source_update", "Only newsroom staff can edit sources.", actor=user)
    source = Source.objects.select_for_update().get(pk=source_id)
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise InvalidInput({name: ["This field cannot be set."] for name in unknown})
    before = {name: getattr(source, name) for name in fields}
    if "key" in fields and fields["key"] != source.key and source.story_entries.exists():
        raise InvalidInput({"key": ["Stories cite this key; it cannot be renamed."]})
    for name, value in fields.items():
        setattr(source, name, value)
    _validated(source)
    source.save()
    changed = {k: [str(before[k]), str(getattr(source, k))] for k in fields
               if before[k] != getattr(source, k)}
    if changed:
        audit_record(action="source_update", actor=user,
                     details={"key": source.key, "changed": changed})
    if "url" in changed:
        _queue_capture(source)
    return source
