"""The inbox's read markers: opening a story marks what the inbox says about it read."""

from django.db import transaction

from ..inbox import inbox, latest_event_id
from ..models import InboxMark


def inbox_mark_read(*, user, story_id: int) -> None:
    """Everything the user's inbox says about the story, up to now, is read (they opened it)."""
    if not user.is_authenticated:
        return
    last = latest_event_id()
    updated = InboxMark.objects.filter(user=user, story_id=story_id,
                                       read_through__lt=last).update(read_through=last)
    if not updated:
        InboxMark.objects.get_or_create(user=user, story_id=story_id,
                                        defaults={"read_through": last})


@transaction.atomic
def inbox_mark_all_read(*, user) -> int:
    """Mark every item of the user's inbox read; returns how many were unread."""
    unread = {item.story_id for item in inbox(user) if item.unread}
    for story_id in unread:
        inbox_mark_read(user=user, story_id=story_id)
    return len(unread)
