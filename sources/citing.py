"""What the source library learns about the stories citing a source.

Sources sit below stories and never import them; the app that owns stories answers these
questions by registering its functions here when it loads (stories.apps.StoriesConfig.ready).
Unregistered, a library cited by nothing: no approval times, no citing stories.
"""

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class CitedIn:
    """The stories citing a source that a user may open (each with `live_copy_outdated`, the
    fields its live page shows older copies of), and how many others they may not open."""

    visible: list = field(default_factory=list)
    hidden: int = 0


def _no_times(source) -> list[datetime]:
    return []


def _cited_by_nothing(source, user) -> CitedIn:
    return CitedIn()


def _not_public(source) -> bool:
    return False


_answers = {"approval_times": _no_times, "cited_in": _cited_by_nothing, "is_public": _not_public}


def register(*, approval_times, cited_in, is_public) -> None:
    """Install the citing app's answers (called once, from its AppConfig.ready)."""
    _answers.update(approval_times=approval_times, cited_in=cited_in, is_public=is_public)


def approval_times(source) -> list[datetime]:
    """When the live revision of each published story citing `source` was approved, sorted."""
    return _answers["approval_times"](source)


def cited_in(source, user) -> CitedIn:
    """The stories citing `source` that `user` may open, and the number hidden from them."""
    return _answers["cited_in"](source, user)


def is_public(source) -> bool:
    """Whether `source` has a public page: a published story's live revision lists it."""
    return _answers["is_public"](source)
