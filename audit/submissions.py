"""Submission tokens: a form sent twice (a double click, a resent request) is done once.

Each creating form carries a fresh uuid (`{% submission_token %}`); the API takes the same
token as an `Idempotency-Key` header. The service claims it inside its own transaction, so a
refused attempt frees the token again, and a concurrent repeat waits on the unique index until
the first commits, then finds what it made. A service makes what it creates through
`submission_once`, which does all three (claim, answer a repeat, record what was made) and marks
a repeat's answer so its caller can say so (`replayed`; the API's Idempotent-Replayed header).
"""

import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar

from django.db import IntegrityError, transaction
from django.utils import timezone

from .errors import InvalidInput
from .models import Submission

M = TypeVar("M")

FIELD = "submission"
# How long a token is remembered: far longer than any retry or double click, so a repeat within
# it is always recognised; older rows are pruned daily (audit.tasks.prune_submissions).
KEPT_FOR = timedelta(days=7)


def _uuid(token: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(token))
    except ValueError:
        raise InvalidInput({FIELD: [
            f"“{str(token)[:40]}” is not a submission token (a UUID); reload the form, or send "
            "a fresh UUID as the Idempotency-Key."]}) from None


def _actor_id(actor) -> int | None:
    # An anonymous reader (None, AnonymousUser) has no id: the token alone, a UUID only their
    # own form carried, ties the repeat to them.
    return getattr(actor, "pk", None)


def submission_claim(token: str | None, *, action: str, actor) -> int | None:
    """Claim `token` for `action` by `actor` (inside the caller's transaction): None when this
    is its first use (or there is no token), else the id of what the first use made. `actor`
    is None for an anonymous reader.

    `action` names what the token is for and on what ("comment_add 12": a comment on story
    12), so a token sent again elsewhere is refused, never answered with another's result."""
    if not token:
        return None
    key, actor_id = _uuid(token), _actor_id(actor)
    try:
        with transaction.atomic():
            Submission.objects.create(token=key, action=action, actor_id=actor_id)
        return None
    except IntegrityError:
        pass
    first = Submission.objects.get(token=key)
    if first.action != action or first.actor_id != actor_id or first.object_id is None:
        raise InvalidInput({FIELD: [
            "This form was already sent for something else; reload the page and send it "
            "again."]})
    return first.object_id


def submission_done(token: str | None, *, object_id: int) -> None:
    """Record what the first use of `token` made, for its repeats to answer with."""
    if token:
        Submission.objects.filter(token=_uuid(token)).update(object_id=object_id)


# Set on what a repeat is answered with (submission_once), read through replayed().
_REPLAYED = "_submission_replayed"


def submission_once(token: str | None, *, action: str, actor, model, make: Callable[[], M]) -> M:
    """What a creating request under `token` made, made once (inside the caller's transaction,
    after its locks): on the token's first use (or without one) `make()`, recorded for repeats;
    on a repeat, the `model` row the first use made, fetched again, marked as replayed
    (`replayed`), with nothing made, recorded or sent again. `action` as submission_claim."""
    first = submission_claim(token, action=action, actor=actor)
    if first is not None:
        return _marked(model._default_manager.get(pk=first))
    made = make()
    submission_done(token, object_id=made.pk)
    return made


def _marked(made):
    setattr(made, _REPLAYED, True)
    return made


def submission_made(token: str | None, *, action: str, actor, model):
    """What an earlier use of `token` for `action` by `actor` made, marked replayed; None when
    the token is new (or not a token, or another's). A read, for a form whose own checks would
    refuse its repeat (the key it just took is taken) before its service sees the token."""
    try:
        key = _uuid(token) if token else None
    except InvalidInput:
        return None
    first = Submission.objects.filter(
        token=key, action=action, actor_id=_actor_id(actor),
        object_id__isnull=False).first() if key else None
    made = model._default_manager.filter(pk=first.object_id).first() if first else None
    return _marked(made) if made is not None else None


def replayed(made) -> bool:
    """Whether `made` answers a repeat of an earlier request (submission_once), not a new one."""
    return getattr(made, _REPLAYED, False)


def submissions_prune(*, now=None) -> int:
    """Forget tokens first used more than KEPT_FOR ago (their forms were sent long since); the
    number forgotten."""
    cutoff = (now or timezone.now()) - KEPT_FOR
    deleted, _ = Submission.objects.filter(created_at__lt=cutoff).delete()
    return deleted
