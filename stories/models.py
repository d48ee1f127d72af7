"""Stories, their immutable revisions and claims, reviews, corrections and figures."""

import secrets
from functools import cached_property

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.urls import reverse
from django.utils import timezone

from audit.preconditions import version_of
from audit.roles import is_editor, is_reviewer
from sources.pins import pinned

from .canonical import content_hash
from .search import PostgresGinIndex, RevisionSearchVector, trigram_index


def encode_parts(parts: dict[str, str]) -> str:
    """Named text parts as one text value: a header line of names and UTF-8 byte lengths,
    then the parts back to back. Read without a JSON parse (stories.pages slices it as bytes)."""
    encoded = {name: value.encode() for name, value in parts.items()}
    header = ",".join(f"{name}={len(value)}" for name, value in encoded.items())
    return header + "\n" + b"".join(encoded.values()).decode()


def decode_parts(data: bytes | str) -> dict[str, bytes]:
    """The parts of an encode_parts() value, as bytes; {} for an empty or foreign value."""
    if isinstance(data, str):
        data = data.encode()
    header, newline, rest = data.partition(b"\n")
    parts, offset = {}, 0
    try:
        for item in header.decode().split(","):
            name, length = item.split("=")
            parts[name] = rest[offset:offset + int(length)]
            offset += int(length)
    except ValueError:
        return {}
    return parts if newline and offset == len(rest) else {}


class StoredParts(models.TextField):
    """A dict of named text parts kept in a text column (see encode_parts). No model uses it
    any more; migration 0004 (the stored-page columns, dropped by 0008) still names it."""

    def from_db_value(self, value, expression, connection):
        if value is None:
            return value
        return {name: part.decode() for name, part in decode_parts(value).items()}

    def to_python(self, value):
        if isinstance(value, dict) or value is None:
            return value
        return self.from_db_value(value, None, None)

    def get_prep_value(self, value):
        if isinstance(value, dict):
            return encode_parts(value)
        return super().get_prep_value(value)


class State(models.TextChoices):
    DRAFT = "draft", "Draft"
    IN_REVIEW = "in_review", "In review"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    APPROVED = "approved", "Approved"
    SCHEDULED = "scheduled", "Scheduled"
    PUBLISHED = "published", "Published"
    RETRACTED = "retracted", "Retracted"


class StoryQuerySet(models.QuerySet):
    def published(self):
        """Stories readers can open: a live revision, published or retracted (with its notice)."""
        return self.filter(live_revision__isnull=False)

    def visible_to(self, user):
        """Stories a signed-in user may see: their own; all for editors; for reviewers, those in
        review or approved, and every story they reviewed or were assigned, whatever its state
        since (they keep read access to their work)."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser or is_editor(user):
            return self
        query = models.Q(authors=user)
        if is_reviewer(user):
            query |= (models.Q(state__in=[State.IN_REVIEW, State.APPROVED])
                      | models.Q(assignments__reviewer=user) | models.Q(reviews__reviewer=user))
        return self.filter(query).distinct()


class Story(models.Model):
    """A story: the working copy writers edit, its revisions, and what readers see."""

    title = models.CharField(max_length=300)
    slug = models.SlugField(
        max_length=200, unique=True, help_text="The story's address: /stories/this-slug/."
    )
    dek = models.CharField(
        max_length=600, blank=True, help_text="One or two sentences under the headline."
    )
    body = models.TextField(
        blank=True,
        help_text="Markdown. Cite sources after a claim with [@key] or [@key1; @key2, p. 4]. "
        "Place an uploaded figure with ![alt text](image:ID).",
    )
    authors = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="stories")
    state = models.CharField(max_length=20, choices=State.choices, default=State.DRAFT,
                             db_index=True)
    latest_revision = models.ForeignKey(
        "Revision", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    live_revision = models.ForeignKey(
        "Revision", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="What readers see.",
    )
    approved_revision = models.ForeignKey(
        "Revision", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="The revision the current approval is pinned to.",
    )
    publish_at = models.DateTimeField(null=True, blank=True)
    # No index of its own: story_published (below) orders the published; a plain index put every
    # unpublished story's NULL first in newest-first order, and listings stepped over them all.
    published_at = models.DateTimeField(null=True, blank=True)
    live_updated_at = models.DateTimeField(null=True, blank=True)
    retraction_reason = models.TextField(blank=True)
    retracted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    objects = StoryQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at"]
        verbose_name_plural = "stories"
        indexes = [
            models.Index(fields=["state", "-published_at"]),
            # Every public listing (home, authors, sources, feed, search candidates): newest
            # first among the published, never stepping over drafts.
            models.Index(fields=["-published_at", "-id"], name="story_published",
                         condition=models.Q(live_revision__isnull=False)),
            # The admin's and the API's lists filtered by state, newest change first.
            models.Index(fields=["state", "-updated_at"], name="story_state_updated"),
            # The admin's search (title or slug contains each word): trigrams, not a scan.
            trigram_index("title", name="story_title_trigram"),
            trigram_index("slug", name="story_slug_trigram"),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("story-detail", args=[self.slug])


class StorySource(models.Model):
    """A source on a story's numbered list; its number is its position (1-based)."""

    story = models.ForeignKey(Story, on_delete=models.CASCADE, related_name="source_entries")
    source = models.ForeignKey(
        "sources.Source", on_delete=models.PROTECT, related_name="story_entries"
    )
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["story", "source"], name="story_source_once")
        ]

    def __str__(self):
        # The admin labels inline rows with this: the number readers see and the source.
        return f"[{self.position + 1}] {self.source}"


class ImmutableRevision(Exception):
    """Raised when code tries to change a saved revision or one of its claims."""


IMMUTABLE = "Saved revisions and their claims are immutable; save a new revision."


class InsertOnlyQuerySet(models.QuerySet):
    """Rows inserted, never changed or deleted (a revision and its claims): no update,
    bulk_update, upsert or delete."""

    def update(self, **kwargs):
        raise ImmutableRevision(IMMUTABLE)

    def delete(self):
        raise ImmutableRevision(IMMUTABLE)

    def bulk_update(self, objs, fields, batch_size=None):
        raise ImmutableRevision(IMMUTABLE)

    def bulk_create(self, objs, batch_size=None, ignore_conflicts=False, update_conflicts=False,
                    update_fields=None, unique_fields=None):
        if update_conflicts:
            raise ImmutableRevision(IMMUTABLE)
        return super().bulk_create(objs, batch_size=batch_size, ignore_conflicts=ignore_conflicts,
                                   unique_fields=unique_fields)


class Revision(models.Model):
    """An immutable saved version of a story's title, dek, body and source list."""

    story = models.ForeignKey(Story, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=300)
    dek = models.CharField(max_length=600, blank=True)
    body = models.TextField(blank=True)
    source_keys = models.JSONField(default=list, help_text="Numbered source list, in order.")
    pinned_sources = models.JSONField(
        default=list, blank=True,
        help_text="The numbered sources as this revision cites them (sources.pins.PinnedSource "
                  "dicts, in number order): readers see these copies, whatever the library "
                  "says later.",
    )
    content_hash = models.CharField(max_length=64, db_index=True)
    hash_version = models.PositiveSmallIntegerField(
        default=2, help_text="Which canonical form content_hash covers (stories.canonical).",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    html = models.TextField(blank=True, help_text="Rendered, sanitised body.")
    errors = models.JSONField(default=list)
    warnings = models.JSONField(default=list)
    restored_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    search_vector = models.GeneratedField(
        expression=RevisionSearchVector(), output_field=SearchVectorField(), db_persist=True,
        help_text="What search matches: headline, summary and text (made by the database).",
    )

    objects = InsertOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["story", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["story", "number"], name="revision_number_once")
        ]
        indexes = [
            PostgresGinIndex(fields=["search_vector"], name="revision_search"),
            # Which live revisions cite a source (its public page): JSON containment, @>.
            PostgresGinIndex(fields=["source_keys"], name="revision_source_keys",
                             opclasses=["jsonb_path_ops"]),
        ]

    def __str__(self):
        return f"{self.story_id} r{self.number} ({self.content_hash[:10]})"

    def save(self, *args, **kwargs):
        """Insert only: a saved revision is never changed (an edit is a new revision)."""
        if not self._state.adding:
            raise ImmutableRevision(f"Revision {self.pk} is immutable; save a new revision.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableRevision(f"Revision {self.pk} is immutable: it stays in the record.")

    @property
    def short_hash(self) -> str:
        return self.content_hash[:12]

    @cached_property
    def pins(self) -> list:
        """The pinned copies of the numbered sources, in number order (read once for this
        object: a saved revision's pins never change)."""
        return pinned(self.pinned_sources)

    @cached_property
    def ordered_claims(self) -> list:
        """The claims in order, read once for this object: a saved revision's claims never
        change, so the review screen's rows, evidence hints, warnings and comment panel (and
        the sources app, handed the revision) share one read."""
        return list(self.claims.order_by("ordinal"))

    def computed_hash(self) -> str:
        """The content hash recomputed from the stored fields (equal to content_hash unless the
        row was altered behind the application's back)."""
        sources = self.pinned_sources or [{"key": key} for key in self.source_keys or []]
        return content_hash(title=self.title, dek=self.dek, body=self.body, sources=sources,
                            version=self.hash_version)


class Claim(models.Model):
    """A claim of a revision: the text a citation group supports and its source numbers."""

    revision = models.ForeignKey(Revision, on_delete=models.CASCADE, related_name="claims")
    ordinal = models.PositiveIntegerField()
    text = models.TextField()
    normalised = models.TextField()
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    line = models.PositiveIntegerField()
    column = models.PositiveIntegerField()
    numbers = models.JSONField(default=list)
    keys = models.JSONField(default=list)
    locators = models.JSONField(default=list)

    objects = InsertOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["revision", "ordinal"]
        constraints = [
            models.UniqueConstraint(fields=["revision", "ordinal"], name="claim_ordinal_once")
        ]

    def __str__(self):
        return f"Claim {self.ordinal}: {self.text[:60]}"

    def save(self, *args, **kwargs):
        """Insert only: what a reviewer checked stays what they checked (part of its revision)."""
        if not self._state.adding:
            raise ImmutableRevision(f"Claim {self.pk} is immutable; save a new revision.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableRevision(f"Claim {self.pk} is immutable: it stays with its revision.")


class Decision(models.TextChoices):
    APPROVE = "approve", "Approve"
    REQUEST_CHANGES = "request_changes", "Request changes"
    COMMENT = "comment", "Comment"


class Verdict(models.TextChoices):
    SUPPORTED = "supported", "Supported"
    UNSUPPORTED = "unsupported", "Unsupported"
    NEEDS_SOURCE = "needs_source", "Needs source"


class Review(models.Model):
    """A reviewer's decision on one revision, pinned to its content hash."""

    story = models.ForeignKey(Story, on_delete=models.CASCADE, related_name="reviews")
    revision = models.ForeignKey(Revision, on_delete=models.PROTECT, related_name="reviews")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reviews"
    )
    decision = models.CharField(max_length=20, choices=Decision.choices)
    comment = models.TextField(blank=True)
    content_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.get_decision_display()} by {self.reviewer} on r{self.revision.number}"


class ClaimCheck(models.Model):
    """A reviewer's verdict on one claim of one revision."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="checks")
    review = models.ForeignKey(
        Review, null=True, blank=True, on_delete=models.CASCADE, related_name="checks"
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="claim_checks"
    )
    verdict = models.CharField(max_length=20, choices=Verdict.choices)
    note = models.TextField(blank=True)
    carried_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="The earlier check this one accepted unchanged.",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.verdict} on claim {self.claim_id}"


class Assignment(models.Model):
    """An editor's request that a reviewer review a story by a due date."""

    story = models.ForeignKey(Story, on_delete=models.CASCADE, related_name="assignments")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="assignments"
    )
    due_at = models.DateTimeField(null=True, blank=True)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["story", "reviewer"], name="assignment_once")
        ]

    def __str__(self):
        return f"{self.reviewer} on {self.story}"

    @property
    def overdue(self) -> bool:
        return self.due_at is not None and self.due_at < timezone.now()


class Correction(models.Model):
    """A public correction or update note that came with publishing a new revision."""

    class Kind(models.TextChoices):
        CORRECTION = "correction", "Correction"
        UPDATE = "update", "Update"

    story = models.ForeignKey(Story, on_delete=models.CASCADE, related_name="corrections")
    revision = models.ForeignKey(Revision, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.CORRECTION)
    note = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.get_kind_display()} on {self.story}"


class Image(models.Model):
    """An uploaded figure; writers place it with ![alt text](image:ID)."""

    file = models.ImageField(upload_to="figures/%Y/%m/")
    alt = models.CharField(
        "alt text", max_length=300, help_text="What the image shows, for readers who can't see it."
    )
    caption = models.CharField(max_length=500, blank=True)
    credit = models.CharField(max_length=200, blank=True, help_text='e.g. "Source: Benzinga".')
    credit_source = models.ForeignKey(
        "sources.Source", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="Optional library source the credit links to.",
    )
    width = models.PositiveIntegerField(null=True, blank=True, editable=False)
    height = models.PositiveIntegerField(null=True, blank=True, editable=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"image:{self.pk} {self.alt[:40]}"

    # What people edit, as Source.version: a change form opened on another version is stale.
    EDITED = ("file", "alt", "caption", "credit", "credit_source")

    @property
    def version(self) -> str:
        """SHA-256 of the file's name, the alt text, caption, credit and credited source."""
        return version_of(self, self.EDITED)


def new_preview_token() -> str:
    return secrets.token_urlsafe(32)


class PreviewLink(models.Model):
    """A signed, expiring, read-only link to one revision for an outside reviewer."""

    revision = models.ForeignKey(Revision, on_delete=models.CASCADE, related_name="preview_links")
    token = models.CharField(max_length=64, unique=True, default=new_preview_token)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    label = models.CharField(max_length=200, blank=True, help_text="Who it is for.")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"Preview of r{self.revision.number} for {self.label or 'outside reviewer'}"

    @property
    def active(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()


class InboxMark(models.Model):
    """How far a user has read their inbox about one story: the audit events up to this id.

    The inbox itself is read from the audit trail (stories.inbox); this is only the marker.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="inbox_marks")
    story = models.ForeignKey(Story, on_delete=models.CASCADE, related_name="+")
    read_through = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "story"], name="inbox_mark_once")
        ]

    def __str__(self):
        return f"{self.user} read {self.story_id} through event {self.read_through}"


class CommentThread(models.Model):
    """A reviewer's or editor's comment on a claim or a passage of a revision, with its replies.

    Never public. It is anchored by its words (the claim's text and sources, or the passage),
    so it follows them into later revisions while they are unchanged (stories.anchors).
    """

    story = models.ForeignKey(Story, on_delete=models.CASCADE, related_name="comment_threads")
    revision = models.ForeignKey(Revision, on_delete=models.PROTECT, related_name="+",
                                 help_text="The revision the comment was made on.")
    quote = models.TextField(help_text="The words commented on, as they read then.")
    claim_normalised = models.TextField(
        blank=True, help_text="For a comment on a claim: the claim's normalised text.")
    claim_keys = models.JSONField(default=list, blank=True)
    offset = models.PositiveIntegerField(
        default=0, help_text="Where the passage was in the body, to tell repeated words apart.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"Comment {self.pk} on {self.story}: “{self.quote[:40]}”"

    @property
    def on_claim(self) -> bool:
        return bool(self.claim_normalised)


class Comment(models.Model):
    """One message in a comment thread."""

    thread = models.ForeignKey(CommentThread, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                               related_name="+")
    text = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.author} on thread {self.thread_id}"


class Draft(models.Model):
    """A writer's unsaved text for one story (or a new one), kept so nothing typed is lost.

    Not a revision: nobody else sees it, it is not audited as an edit, and saving the story
    removes it. `base_revision` is the content hash the text was started from, so restoring it
    onto a newer revision is refused as stale and ends in a merge.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="story_drafts")
    story = models.ForeignKey(Story, on_delete=models.CASCADE, null=True, blank=True,
                              related_name="drafts", help_text="Empty for a story not yet saved.")
    title = models.CharField(max_length=300, blank=True)
    dek = models.TextField(blank=True)
    body = models.TextField(blank=True)
    base_revision = models.CharField(max_length=64, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "story"], name="one_draft_per_user_story"),
            models.UniqueConstraint(fields=["user"], condition=models.Q(story__isnull=True),
                                    name="one_new_story_draft_per_user"),
        ]

    def __str__(self):
        return f"Unsaved text of {self.story or 'a new story'} by {self.user}"


# Readers' side (issue 19): error reports, page-view counts, digest subscriptions.
from .reader_models import (  # noqa: E402, F401
    DigestDelivery,
    ErrorReport,
    PageView,
    ReportStatus,
    Subscriber,
    SubscriberStatus,
)
