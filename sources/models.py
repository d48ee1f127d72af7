"""The shared source library: what stories cite, and what we preserved of it."""

from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse

from audit.preconditions import version_of

from .keys import KEY_MAX_LENGTH, is_key


def normalise_url(url: str) -> str:
    """Lower-case scheme and host, drop the fragment and a default port; keep path and query."""
    url = (url or "").strip()
    if not url:
        return ""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:  # an unclosed "[" of an IPv6 host, a port past 65535
        raise ValidationError("This link's host or port is not valid.", code="invalid") from exc
    scheme = parts.scheme.lower()
    if scheme not in {"http", "https"}:
        raise ValidationError("Only http:// and https:// links can be sources.", code="scheme")
    host = (parts.hostname or "").lower()
    if not host:
        raise ValidationError("This link has no host name.", code="host")
    if ":" in host:  # an IPv6 literal: urlsplit drops its brackets, a URL needs them
        host = f"[{host}]"
    netloc = host
    if port and not ((scheme == "http" and port == 80) or (scheme == "https" and port == 443)):
        netloc = f"{host}:{port}"
    return urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))


# What people edit of a source (the admin form, the API, imports); the rest is the record's own.
EDITABLE = ("key", "url", "title", "outlet", "author", "published_on", "kind", "description",
            "notes")


class Kind(models.TextChoices):
    ARTICLE = "article", "Article"
    PRESS_RELEASE = "press_release", "Press release"
    FILING = "filing", "Filing"
    REPORT = "report", "Report"
    DATASET = "dataset", "Dataset"
    INTERVIEW = "interview", "Interview"
    OTHER = "other", "Other"


class Health(models.TextChoices):
    UNKNOWN = "unknown", "Not checked yet"
    OK = "ok", "OK"
    REDIRECTED = "redirected", "Redirected"
    BROKEN = "broken", "Broken"
    UNREACHABLE = "unreachable", "Unreachable"
    CHANGED = "changed", "Changed since review"


class SourceQuerySet(models.QuerySet):
    def cited_by_published(self):
        """Sources on the source list of a story's live revision."""
        return self.filter(story_entries__story__live_revision__isnull=False).distinct()


class Source(models.Model):
    """A document a story can cite, shared by every story in the newsroom."""

    key = models.CharField(
        max_length=KEY_MAX_LENGTH,
        unique=True,
        help_text="Short unique name writers type in citations, e.g. reuters-wu for [@reuters-wu]. "
        "Letters, digits and _ . : - only.",
    )
    url = models.URLField(
        "URL",
        max_length=2000,
        blank=True,
        help_text="Link to the original. Leave empty for an interview or an offline document, "
        "and describe it instead.",
    )
    title = models.CharField(max_length=500)
    outlet = models.CharField(
        max_length=200, blank=True, help_text="Publisher or organisation, e.g. Reuters."
    )
    author = models.CharField(max_length=300, blank=True)
    published_on = models.DateField("publication date", null=True, blank=True)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.ARTICLE)
    description = models.TextField(
        blank=True,
        help_text="For sources without a link: what it is and where it is kept "
        "(e.g. 'Phone interview with the port authority, 3 May, notes in the shared drive').",
    )
    notes = models.TextField(blank=True, help_text="Internal notes; never shown to readers.")
    health = models.CharField(max_length=20, choices=Health.choices, default=Health.UNKNOWN)
    health_checked_at = models.DateTimeField(null=True, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SourceQuerySet.as_manager()

    class Meta:
        ordering = ["key"]
        constraints = [
            models.UniqueConstraint(Lower("key"), name="source_key_unique_ci"),
            models.UniqueConstraint(
                fields=["url"], condition=~models.Q(url=""), name="source_url_unique"
            ),
            models.CheckConstraint(
                condition=~models.Q(url="") | ~models.Q(description=""),
                name="source_url_or_description",
                violation_error_message="A source without a link needs a description.",
            ),
        ]
        # Health with the key: a list filtered by health reads in key order (the library's
        # order) from the index instead of walking every source by key to find the broken.
        indexes = [models.Index(fields=["outlet"]), models.Index(fields=["health", "key"])]

    def __str__(self):
        return f"{self.key}: {self.title}"

    def get_absolute_url(self):
        return reverse("source-detail", args=[self.key])

    @property
    def version(self) -> str:
        """SHA-256 of what people edit (EDITABLE): an edit that started from another version
        is refused as stale. Link checks change health, not the version, so a check landing
        while someone edits never refuses their save."""
        return version_of(self, EDITABLE)

    def clean(self):
        super().clean()
        errors = {}
        try:
            self.url = normalise_url(self.url)
        except ValidationError as exc:
            errors["url"] = exc.messages
        if not self.url and not (self.description or "").strip():
            errors["description"] = ["A source without a link needs a description."]
        if self.url and "url" not in errors:
            same = Source.objects.filter(url=self.url).exclude(pk=self.pk).first()
            if same is not None:
                errors["url"] = [f'This link is already in the library as "{same.key}".']
        if self.key and not is_key(self.key):
            errors["key"] = ["Use letters, digits and _ . : - only, starting with a letter "
                             "or digit (e.g. reuters-wu)."]
        elif self.key:
            clash = Source.objects.filter(key__iexact=self.key).exclude(pk=self.pk)
            if clash.exists():
                errors["key"] = [f'The key "{clash.first().key}" is already taken.']
        if errors:
            raise ValidationError(errors)


class SnapshotQuerySet(models.QuerySet):
    def good(self, as_of=None):
        """Snapshots that got a page (no error, status below 400), fetched at or before as_of."""
        snapshots = self.filter(error="", status_code__lt=400)
        if as_of is not None:
            snapshots = snapshots.filter(fetched_at__lte=as_of)
        return snapshots


class Snapshot(models.Model):
    """One fetch of a source's URL: what the page said at that moment."""

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="snapshots")
    fetched_at = models.DateTimeField(auto_now_add=True, db_index=True)
    requested_url = models.URLField(max_length=2000)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    final_url = models.URLField(max_length=2000, blank=True)
    content_type = models.CharField(max_length=200, blank=True)
    title = models.CharField(max_length=1000, blank=True)
    text = models.TextField(blank=True, help_text="Main text extracted from the page.")
    body = models.FileField(upload_to="snapshots/%Y/%m/", blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    size = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    author = models.CharField(max_length=300, blank=True, help_text="Byline found in the page.")
    published_on = models.DateField(
        "date in the page", null=True, blank=True,
        help_text="Publication date found in the page (htmldate), which may differ from the "
        "source's own date.")
    site_name = models.CharField(max_length=200, blank=True,
                                 help_text="Site or publisher name found in the page.")
    warc = models.FileField(
        "WARC", upload_to="warcs/%Y/%m/", blank=True,
        help_text="The capture as a WARC file (request, response as received, metadata).")
    warc_sha256 = models.CharField(max_length=64, blank=True)
    screenshot = models.FileField(upload_to="screenshots/%Y/%m/", blank=True)
    screenshot_note = models.CharField(
        max_length=300, blank=True,
        help_text="Why there is no screenshot (no browser installed, not a web page, ...).")

    objects = SnapshotQuerySet.as_manager()

    class Meta:
        ordering = ["-fetched_at", "-id"]
        get_latest_by = "fetched_at"

    def __str__(self):
        return f"{self.source.key} @ {self.fetched_at:%Y-%m-%d %H:%M}"

    def get_absolute_url(self):
        return reverse("snapshot-detail", args=[self.pk])

    @property
    def ok(self) -> bool:
        return not self.error and self.status_code is not None and self.status_code < 400


class LinkCheck(models.Model):
    """One link-health check of a source: the history behind Source.health."""

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="link_checks")
    checked_at = models.DateTimeField(auto_now_add=True, db_index=True)
    status = models.CharField(max_length=20, choices=Health.choices)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    final_url = models.URLField(max_length=2000, blank=True)
    detail = models.TextField(blank=True)

    class Meta:
        ordering = ["-checked_at", "-id"]

    def __str__(self):
        return f"{self.source.key}: {self.status}"
