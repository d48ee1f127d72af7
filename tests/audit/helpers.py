"""What someone with raw database access does to the audit table, without the MAC key."""

import json

from django.db import connection

from audit.models import Event
from tests.conftest import database_role


def tamper(sql: str, params=None) -> None:
    """Run SQL on the audit table the way a superuser bent on tampering would: as the
    superuser, with user triggers (the append-only one) switched off."""
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
        return
    with database_role(None), connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(sql, params)
        cursor.execute("SET LOCAL session_replication_role = DEFAULT")


def rewrite(event: Event, *, mac: str | None = None, **changes) -> int:
    """Change an event, then give it and every later event a correct hash and link: all a
    forger without the key can do. `mac` replaces their MACs (None keeps the old ones)."""
    events = list(Event.objects.filter(pk__gte=event.pk).order_by("id"))
    prev = events[0].prev_hash
    for i, current in enumerate(events):
        if i == 0:
            for name, value in changes.items():
                setattr(current, name, value)
        current.prev_hash = prev
        current.hash = current.compute_hash()
        tamper("UPDATE audit_event SET action = %s, details = %s, prev_hash = %s, hash = %s, "
               "mac = COALESCE(%s, mac) WHERE id = %s",
               [current.action, json.dumps(current.details), current.prev_hash, current.hash,
                mac, current.pk])
        prev = current.hash
    return event.pk


def append_forged(*, mac: str = "", mac_key: str = "", action: str = "approve") -> int:
    """Insert an event after the head with a correct link and hash; returns its id."""
    head = Event.objects.order_by("-id").first()
    forged = Event(at=head.at, actor_username="intruder", actor_name="Intruder", action=action,
                   details={"forged": True}, prev_hash=head.hash)
    forged.hash = forged.compute_hash()
    tamper("INSERT INTO audit_event (at, actor_username, actor_name, action, revision_hash, "
           "details, prev_hash, hash, mac, mac_key) "
           "VALUES (%s, %s, %s, %s, '', %s, %s, %s, %s, %s)",
           [forged.at, forged.actor_username, forged.actor_name, forged.action,
            json.dumps(forged.details), forged.prev_hash, forged.hash, mac, mac_key])
    return Event.objects.order_by("-id").values_list("pk", flat=True).first()
