"""A save refused as stale names who saved the record meanwhile and when, read from the audit
trail: a library source or a figure keeps no editor of its own, so the trail is the one place
that knows (a story's revisions name theirs: stories.services.StaleRevision)."""

from django.utils import timezone

from .errors import Stale
from .models import Event
from .preconditions import lost_version_message


def last_saved(*, actions: tuple[str, ...], about: dict) -> tuple[str, str]:
    """Who saved last and when ("at 07 Dec 2026 22:55"), from the newest of `actions` whose
    details hold `about`; ("Someone", "") when the trail has none."""
    last = (Event.objects.filter(action__in=actions,
                                 **{f"details__{name}": value for name, value in about.items()})
            .order_by("-id").only("actor_name", "at").first())
    if last is None:
        return "Someone", ""
    return (last.actor_name or "Someone",
            f" at {timezone.localtime(last.at).strftime('%d %b %Y %H:%M')}")


class StaleEdit(Stale):
    """The record was saved by someone else since the editor opened it (HTTP 412): names who
    and when (last_saved); an edit that named no version at all is refused as lost."""

    def __init__(self, record, *, what: str, label: str, actions: tuple[str, ...], about: dict,
                 lost_version: bool = False, version: str | None = None):
        if lost_version:
            message = lost_version_message(what)
        else:
            who, when = last_saved(actions=actions, about=about)
            message = (f"{who} saved this {what} ({label}){when}, after you opened it. "
                       "Nothing was saved: compare your changes with theirs, then save again.")
        super().__init__(message, version=record.version if version is None else version)
