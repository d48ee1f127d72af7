"""What readers send and receive: error reports on claims, anonymous page-view counts, and
daily-digest subscriptions with their deliveries. Imported by stories.models."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class ReportStatus(models.TextChoices):
    OPEN = "open", "Open"
    CORRECTING = "correcting", "Correction under way"
    CORRECTED = "corrected", "Corrected"
    DISMISSED = "dismissed", "Dismissed"


CLOSED_STATUSES = (ReportStatus.CORRECTED, ReportStatus.DISMISSED)


class ErrorReportQuerySet(models.QuerySet):
    def unresolved(self):
        """Reports the desk still has to deal with: open, or waiting on a correction."""
        return self.filter(status__in=[ReportStatus.OPEN, ReportStatus.CORRECTING])


class ErrorReport(models.Model):
    """A reader's report that a claim is wrong, tied to the claim of the live revision they
    read (and its content hash). Never shown publicly; the e-mail is erased on closing."""

    story = models.ForeignKey("stories.Story", on_delete=models.CASCADE,
                              related_name="error_reports")
    revision = models.ForeignKey("stories.Revision", on_delete=models.PROTECT, related_name="+")
    claim = models.ForeignKey("stories.Claim", on_delete=models.PROTECT, related_name="reports")
    content_hash = models.CharField(max_length=64, help_text="The revision the reader read.")
    claim_text = models.TextField(help_text="The claim as the reader saw it.")
    note = models.TextField(help_text="What the reader says is wrong (plain text).")
    suggested_url = models.URLField(max_length=2000, blank=True,
                                    help_text="A better source the reader suggests.")
    email = models.EmailField(blank=True, help_text="For the reply only; erased on closing.")
    status = models.CharField(max_length=20, choices=ReportStatus.choices,
                              default=ReportStatus.OPEN, db_index=True)
    resolution = models.TextField(blank=True, help_text="Why it was dismissed (internal).")
    replied_at = models.DateTimeField(null=True, blank=True)
    correction = models.ForeignKey("stories.Correction", null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="reports",
                                   help_text="The published correction it led to.")
    suggested_source = models.ForeignKey(
        "sources.Source", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="The library source made from the suggested URL.")
    handled_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    objects = ErrorReportQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["story", "status"])]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status__in=["corrected", "dismissed"]) | models.Q(email=""),
                name="report_closed_has_no_email"),
        ]

    def __str__(self):
        return f"Report #{self.pk} on claim {self.claim.ordinal if self.claim_id else '?'}"

    @property
    def closed(self) -> bool:
        return self.status in CLOSED_STATUSES


class PageView(models.Model):
    """Anonymous page views of a story, counted per hour (no reader is identified)."""

    story = models.ForeignKey("stories.Story", on_delete=models.CASCADE, related_name="+")
    hour = models.DateTimeField(help_text="The start of the hour (UTC).")
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["story", "hour"], name="pageview_hour_once")]
        indexes = [models.Index(fields=["hour"])]

    def __str__(self):
        return f"{self.story_id} at {self.hour:%Y-%m-%d %H}:00: {self.count}"


class SubscriberStatus(models.TextChoices):
    PENDING = "pending", "Waiting for confirmation"
    CONFIRMED = "confirmed", "Subscribed"
    UNSUBSCRIBED = "unsubscribed", "Unsubscribed"


class Subscriber(models.Model):
    """A reader of the daily digest: double opt-in, with the time of consent. After
    unsubscribing only the address's keyed hash stays, so it is never mailed again unasked."""

    email = models.EmailField(blank=True, help_text="Erased when the reader unsubscribes.")
    email_hash = models.CharField(max_length=64, unique=True,
                                  help_text="Keyed hash of the normalised address.")
    status = models.CharField(max_length=20, choices=SubscriberStatus.choices,
                              default=SubscriberStatus.PENDING, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)
    confirmation_sent_at = models.DateTimeField(null=True, blank=True)
    consent_at = models.DateTimeField(null=True, blank=True,
                                      help_text="When the reader confirmed the subscription.")
    unsubscribed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="unsubscribed") | models.Q(email=""),
                name="subscriber_unsubscribed_has_no_email"),
        ]

    def __str__(self):
        return f"Subscriber #{self.pk} ({self.get_status_display()})"


class DigestDelivery(models.Model):
    """One subscriber's digest of one day: at most one, so a rerun sends nothing twice."""

    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE,
                                   related_name="deliveries")
    day = models.DateField()
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["subscriber", "day"],
                                               name="digest_once_a_day")]

    def __str__(self):
        return f"Digest of {self.day} to subscriber {self.subscriber_id}"
