"""Writing to and checking the audit trail."""

import json
from dataclasses import dataclass

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone

from .models import Event

GENESIS = "0" * 64
# Any constant works; it only has to be the same for every writer of the chain.
_CHAIN_LOCK_ID = 7_004_211


def display_name(user) -> str:
    if user is None:
        return "system"
    return user.get_full_name() or user.get_username()


@transaction.atomic
def audit_record(*, action: str, actor=None, story=None, revision_hash: str = "",
                 details: dict | None = None) -> Event:
    """Append one event to the chain; concurrent writers are serialised so links never fork."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_ID])
    last = Event.objects.order_by("-id").values_list("hash", flat=True).first()
    actor = actor if actor is not None and getattr(actor, "pk", None) else None
    now = timezone.now()
    event = Event(
        # Milliseconds: what a JSON backup (dumpdata) keeps, so a restored chain still verifies.
        at=now.replace(microsecond=now.microsecond // 1000 * 1000),
        actor=actor,
        actor_username=actor.get_username() if actor else "",
        actor_name=display_name(actor),
        action=action,
        story=story,
        revision_hash=revision_hash or "",
        # Round-trip through JSON so the hash covers exactly what the database gives back.
        details=json.loads(json.dumps(details or {}, cls=DjangoJSONEncoder)),
        prev_hash=last or GENESIS,
    )
    event.hash = event.compute_hash()
    event.save()
    return event


@dataclass(frozen=True)
class ChainReport:
    checked: int
    first_bad: Event | None = None
    reason: str = ""

    @property
    def intact(self) -> bool:
        return self.first_bad is None


def audit_verify() -> ChainReport:
    """Walk the chain oldest first; report the first event whose hash or link is wrong."""
    expected_prev = GENESIS
    checked = 0
    for event in Event.objects.order_by("id").iterator(chunk_size=2000):
        if event.prev_hash != expected_prev:
            return ChainReport(checked, event, "its link to the previous event is broken")
        if event.compute_hash() != event.hash:
            return ChainReport(checked, event, "its content does not match its hash")
        expected_prev = event.hash
        checked += 1
    return ChainReport(checked)
