"""The append-only, hash-chained audit trail."""

import hashlib

from django.apps import apps
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

# The canonical JSON an event's hash covers (sorted keys, no spaces, UTF-8 as is), from one
# encoder: json.dumps(..., cls=...) builds a new one per call, which verify_audit would pay for
# each of millions of events.
_CANONICAL = DjangoJSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def story_model():
    """The model events are about (settings.AUDIT_STORY_MODEL), as get_user_model() is the
    users'."""
    return apps.get_model(settings.AUDIT_STORY_MODEL, require_ready=False)


class AppendOnlyError(Exception):
    """Audit events are never changed or deleted."""


class EventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("Audit events cannot be updated.")

    def delete(self):
        raise AppendOnlyError("Audit events cannot be deleted.")


class Event(models.Model):
    """Something that happened: who did what to which story and revision, chained by SHA-256."""

    # No index of its own: events are appended in time order, so the id (primary key) orders
    # them by time too, and event_action_at serves the inbox's recent events of a few kinds
    # (with an index on the time alone the planner read every recent event instead).
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="audit_events",
    )
    actor_username = models.CharField(max_length=150, blank=True)
    actor_name = models.CharField(max_length=300, blank=True)
    action = models.CharField(max_length=60, db_index=True)
    story = models.ForeignKey(
        settings.AUDIT_STORY_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="audit_events",
    )
    revision_hash = models.CharField(max_length=64, blank=True)
    details = models.JSONField(default=dict, encoder=DjangoJSONEncoder)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)
    # Blank only on events recorded before MACs existed (see docs/operations.md).
    mac = models.CharField(
        max_length=64, blank=True, default="",
        help_text="HMAC-SHA-256 of the hash, keyed by AUDIT_HMAC_KEY, which the database "
                  "never holds: only this newsroom can make it.",
    )
    mac_key = models.CharField(
        max_length=16, blank=True, default="",
        help_text="Which HMAC key made the MAC (a fingerprint), so keys can rotate.",
    )

    objects = EventQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        indexes = [
            # One actor's or one story's events in chain order, either way (the admin's search,
            # a story's trail): a range of the index, not a walk back through every event.
            models.Index(fields=["actor", "id"], name="event_actor_chain"),
            models.Index(fields=["story", "id"], name="event_story_chain"),
            # Recent events of some kinds (the inbox reads a window of days of a few actions).
            models.Index(fields=["action", "at"], name="event_action_at"),
        ]

    def __str__(self):
        return f"#{self.pk} {self.action} by {self.actor_username or 'system'}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("Audit events cannot be updated.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Audit events cannot be deleted.")

    def compute_hash(self) -> str:
        """SHA-256 over every field and the previous event's hash."""
        payload = {
            "at": self.at.isoformat(),
            "actor": self.actor_username,
            "actor_name": self.actor_name,
            "action": self.action,
            "story": self.story_id,
            "revision": self.revision_hash,
            "details": self.details,
            "prev": self.prev_hash,
        }
        return hashlib.sha256(_CANONICAL.encode(payload).encode()).hexdigest()


class TransparencyEntryQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("Transparency log entries cannot be updated.")

    def delete(self):
        raise AppendOnlyError("Transparency log entries cannot be deleted.")


class TransparencyEntry(models.Model):
    """One entry of the public transparency log (docs/transparency.md): its exact bytes, the
    Merkle subtrees its append completed, the tree's frontier after it, and the tree head it
    made, signed."""

    index = models.PositiveBigIntegerField(
        primary_key=True, help_text="Position in the log, from 0: the Merkle tree's leaf index.")
    data = models.TextField(help_text="The entry's canonical JSON: its UTF-8 bytes are the leaf.")
    nodes = models.TextField(
        help_text="Hex SHA-256 of every perfect subtree whose last leaf this is, level 0 (the "
                  "leaf hash) first: what proofs are served from.")
    frontier = models.BinaryField(
        default=b"", editable=False,
        help_text="SHA-256 of each perfect subtree the tree of index + 1 entries is made of, "
                  "left to right (its compact range): all the next append reads. Empty on "
                  "entries logged before it was kept.")
    root = models.CharField(max_length=64, help_text="Tree root (hex) at size index + 1.")
    timestamp = models.CharField(max_length=40, help_text="The tree head's time, as signed.")
    key = models.CharField(max_length=16, help_text="Id of the Ed25519 key that signed it.")
    signature = models.CharField(max_length=100, help_text="Base64 Ed25519 signature of the "
                                 "tree head at size index + 1.")
    # Indexed with revision_number and index below, which also serves lookups by story alone. No
    # other index: each one is paid by every append, and content_hash is never looked up here.
    story = models.ForeignKey(
        settings.AUDIT_STORY_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="transparency_entries", db_index=False,
    )
    revision_number = models.PositiveIntegerField(null=True, blank=True)
    content_hash = models.CharField(max_length=64, blank=True)
    kind = models.CharField(max_length=20)

    objects = TransparencyEntryQuerySet.as_manager()

    class Meta:
        ordering = ["index"]
        verbose_name_plural = "transparency entries"
        # The entry that published a story's revision, the first by index: read in index order
        # from here, never by walking the log's primary key (seconds at a million entries).
        indexes = [models.Index(fields=["story", "revision_number", "index"],
                                name="audit_transparency_story_rev")]

    def __str__(self):
        return f"#{self.index} {self.kind}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("Transparency log entries cannot be updated.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Transparency log entries cannot be deleted.")

    @property
    def node_hashes(self) -> list[bytes]:
        return [bytes.fromhex(self.nodes[i:i + 64]) for i in range(0, len(self.nodes), 64)]


class Submission(models.Model):
    """One use of a form's submission token (or an API Idempotency-Key): the first request that
    carries it does the work; a repeat finds this row and is answered with what it made."""

    token = models.UUIDField(unique=True)
    action = models.CharField(max_length=64)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                              related_name="+", null=True, blank=True,
                              help_text="Who sent it; empty for an anonymous reader's form.")
    object_id = models.BigIntegerField(null=True, blank=True,
                                       help_text="What the first submission made.")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.action} {self.token}"
