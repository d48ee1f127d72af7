"""The daily digest: double opt-in subscriptions, one e-mail a day with that day's stories
(sent in batches by a Celery beat task, never twice to one subscriber for one day), one-click
unsubscribe (RFC 8058) after which only the address's keyed hash is kept, for suppression.
Also the anonymous page-view count that ranks today's top stories."""

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac

from audit import queueing
from audit.errors import InvalidInput
from audit.services import audit_record

from .. import reader_selectors, tasks
from ..models import DigestDelivery, PageView, Story, Subscriber, SubscriberStatus
from ..selectors import ListingItem
from .reader_mail import site_url
from .reports import READER_EMAIL, clean_text

log = logging.getLogger(__name__)

RESEND_AFTER = timedelta(minutes=10)
_CONFIRM_SALT = "newsroom.digest.confirm"
_UNSUBSCRIBE_SALT = "newsroom.digest.unsubscribe"


class BadLink(Exception):
    """A confirmation or unsubscribe link that is malformed, forged, expired or replaced."""

    def __init__(self, message: str, *, status: int = 400):
        self.status = status
        super().__init__(message)


def normalise_email(value: str) -> str:
    return clean_text(value).lower()


def email_hash(address: str) -> str:
    """The keyed hash an address is known by (and suppressed by, once unsubscribed)."""
    return salted_hmac("newsroom.digest.address", normalise_email(address),
                       algorithm="sha256").hexdigest()


def _valid_address(email: str) -> str:
    address = normalise_email(email)
    if not address:
        raise InvalidInput({"email": ["Enter your e-mail address."]})
    READER_EMAIL.ensure("email", address)
    try:
        validate_email(address)
    except ValidationError as exc:
        raise InvalidInput({"email": ["Enter a valid e-mail address."]}) from exc
    return address


@transaction.atomic
def digest_subscribe(*, email: str) -> Subscriber:
    """Start a subscription (or a new one after unsubscribing): stored as pending and a
    confirmation link is e-mailed; nothing is sent until the reader confirms."""
    address = _valid_address(email)
    digest = email_hash(address)
    now = timezone.now()
    subscriber = Subscriber.objects.select_for_update().filter(email_hash=digest).first()
    if subscriber is not None and subscriber.status == SubscriberStatus.CONFIRMED:
        raise InvalidInput({"email": ["This address is already subscribed to the daily digest."]})
    if (subscriber is not None and subscriber.status == SubscriberStatus.PENDING
            and subscriber.confirmation_sent_at
            and now - subscriber.confirmation_sent_at < RESEND_AFTER):
        raise InvalidInput({"email": ["We sent the confirmation link to this address a few "
                                      "minutes ago: look for it (and in the spam folder)."]})
    if subscriber is None:
        subscriber = Subscriber(email_hash=digest, created_at=now)
    subscriber.email = address
    subscriber.status = SubscriberStatus.PENDING
    subscriber.confirmation_sent_at = now
    subscriber.unsubscribed_at = None
    subscriber.save()
    queueing.on_commit(tasks.send_digest_confirmation, subscriber.pk)
    return subscriber


def _stamp(moment: datetime | None) -> str:
    return moment.isoformat() if moment else ""


def confirmation_token(subscriber: Subscriber) -> str:
    """Signed, timestamped; only the latest link sent works (it names when it was sent)."""
    return signing.dumps({"s": subscriber.pk, "t": _stamp(subscriber.confirmation_sent_at)},
                         salt=_CONFIRM_SALT, compress=True)


def unsubscribe_token(subscriber: Subscriber) -> str:
    return signing.dumps({"s": subscriber.pk, "h": subscriber.email_hash[:16]},
                         salt=_UNSUBSCRIBE_SALT, compress=True)


def subscriber_for_confirmation(token: str) -> Subscriber:
    """The subscriber a confirmation link names; BadLink when it is broken, expired, or not
    the latest one sent."""
    try:
        data = signing.loads(token, salt=_CONFIRM_SALT,
                             max_age=timedelta(hours=settings.NEWSROOM_DIGEST_CONFIRM_HOURS))
    except signing.SignatureExpired as exc:
        raise BadLink("This confirmation link has expired. Subscribe again to get a new one.",
                      status=410) from exc
    except signing.BadSignature as exc:
        raise BadLink("This confirmation link is not valid: copy the whole link from the "
                      "e-mail, or subscribe again.") from exc
    subscriber = Subscriber.objects.filter(pk=data.get("s") if isinstance(data, dict) else None
                                           ).first()
    if subscriber is None or subscriber.status == SubscriberStatus.UNSUBSCRIBED or (
            data.get("t") != _stamp(subscriber.confirmation_sent_at)):
        raise BadLink("This confirmation link was replaced by a newer one, or the "
                      "subscription was cancelled. Subscribe again to get a new link.",
                      status=410)
    return subscriber


@transaction.atomic
def digest_confirm(*, token: str) -> Subscriber:
    """Confirm a subscription from its e-mailed link (the consent time is recorded); a link
    used once already answers BadLink (409)."""
    subscriber = subscriber_for_confirmation(token)
    subscriber = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
    if subscriber.status == SubscriberStatus.CONFIRMED:
        raise BadLink("This link was already used: the address is subscribed.", status=409)
    subscriber.status = SubscriberStatus.CONFIRMED
    subscriber.consent_at = timezone.now()
    subscriber.save(update_fields=["status", "consent_at"])
    return subscriber


def subscriber_for_unsubscribe(token: str) -> Subscriber:
    try:
        data = signing.loads(token, salt=_UNSUBSCRIBE_SALT)
    except signing.BadSignature as exc:
        raise BadLink("This unsubscribe link is not valid: use the link in the latest "
                      "digest.") from exc
    subscriber = Subscriber.objects.filter(pk=data.get("s") if isinstance(data, dict) else None
                                           ).first()
    if subscriber is None or subscriber.email_hash[:16] != data.get("h"):
        raise BadLink("This unsubscribe link is not valid: use the link in the latest digest.")
    return subscriber


@transaction.atomic
def digest_unsubscribe(*, token: str) -> Subscriber:
    """Unsubscribe (one click, RFC 8058): the address is erased, its hash kept so it is never
    mailed again unless the reader subscribes anew. Unsubscribing twice is fine."""
    subscriber = subscriber_for_unsubscribe(token)
    subscriber = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
    if subscriber.status != SubscriberStatus.UNSUBSCRIBED:
        subscriber.status = SubscriberStatus.UNSUBSCRIBED
        subscriber.email = ""
        subscriber.unsubscribed_at = timezone.now()
        subscriber.save(update_fields=["status", "email", "unsubscribed_at"])
    return subscriber


# --- the e-mails ----------------------------------------------------------------------------


def _unsubscribe_url(subscriber: Subscriber) -> str:
    return site_url(reverse("digest-unsubscribe", args=[unsubscribe_token(subscriber)]))


def digest_send_confirmation(*, subscriber_id: int) -> int:
    """E-mail the confirmation link to a pending subscriber (none other)."""
    subscriber = Subscriber.objects.filter(pk=subscriber_id,
                                           status=SubscriberStatus.PENDING).first()
    if subscriber is None or not subscriber.email:
        return 0
    context = {
        "site_name": settings.NEWSROOM_SITE_NAME,
        "confirm_url": site_url(reverse("digest-confirm", args=[confirmation_token(subscriber)])),
        "hours": settings.NEWSROOM_DIGEST_CONFIRM_HOURS,
    }
    mail = EmailMultiAlternatives(
        f"Confirm your {settings.NEWSROOM_SITE_NAME} daily digest",
        render_to_string("stories/email/digest_confirm.txt", context), to=[subscriber.email])
    return mail.send()


@dataclass(frozen=True)
class DigestContent:
    """One day's digest as sent (and as editors preview it)."""

    day: date
    subject: str
    items: list[ListingItem]
    text: str
    html: str


def _rendered(day: date, items: list[ListingItem], unsubscribe_url: str) -> DigestContent:
    context = {"site_name": settings.NEWSROOM_SITE_NAME, "day": day, "site_url": site_url("/"),
               "unsubscribe_url": unsubscribe_url or site_url(reverse("digest")),
               "entries": [{"item": i, "url": site_url(i.story.get_absolute_url())}
                           for i in items]}
    subject = f"{settings.NEWSROOM_SITE_NAME} daily digest: {day:%-d %B %Y}"
    return DigestContent(day=day, subject=subject, items=items,
                         text=render_to_string("stories/email/digest.txt", context),
                         html=render_to_string("stories/email/digest.html", context))


def digest_content(day: date) -> DigestContent:
    """The day's digest, without a subscriber's own unsubscribe link (three queries)."""
    return _rendered(day, reader_selectors.digest_items(day), "")


def digest_message(content: DigestContent, subscriber: Subscriber) -> EmailMultiAlternatives:
    unsubscribe = _unsubscribe_url(subscriber)
    personal = _rendered(content.day, content.items, unsubscribe)
    mail = EmailMultiAlternatives(personal.subject, personal.text, to=[subscriber.email], headers={
        "List-Unsubscribe": f"<{unsubscribe}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "List-Id": f"{settings.NEWSROOM_SITE_NAME} daily digest "
                   f"<digest.{settings.NEWSROOM_SITE_URL.split('//')[-1].split('/')[0]}>",
    })
    mail.attach_alternative(personal.html, "text/html")
    return mail


def next_digest_day(now: datetime | None = None) -> date:
    """The day the next digest covers: today until the send hour has passed, then tomorrow."""
    local = timezone.localtime(now or timezone.now())
    return local.date() if local.hour < settings.NEWSROOM_DIGEST_HOUR else (
        local.date() + timedelta(days=1))


def _day(day: str | date | None) -> date:
    if isinstance(day, date):
        return day
    return date.fromisoformat(day) if day else timezone.localdate()


def digest_dispatch(*, day: str | date | None = None) -> int:
    """Queue the day's digest in batches to every confirmed subscriber not yet sent it; a day
    without stories sends nothing. Returns how many subscribers were queued."""
    day = _day(day)
    if not reader_selectors.digest_items(day):
        return 0
    done = DigestDelivery.objects.filter(day=day, sent_at__isnull=False).values("subscriber")
    ids = list(Subscriber.objects.filter(status=SubscriberStatus.CONFIRMED)
               .exclude(pk__in=done).order_by("pk").values_list("pk", flat=True))
    size = max(1, settings.NEWSROOM_DIGEST_BATCH)
    for start in range(0, len(ids), size):
        queueing.send(tasks.send_digest_batch, day.isoformat(), ids[start:start + size])
    return len(ids)


def digest_send_batch(*, day: str | date, subscriber_ids: list[int]) -> int:
    """Send one batch; each subscriber's delivery row is locked while its e-mail goes out and
    marked sent after, so a rerun (or a second worker) skips whoever already has it."""
    day = _day(day)
    content = digest_content(day)
    if not content.items:
        return 0
    sent = 0
    with get_connection() as connection:
        for subscriber_id in subscriber_ids:
            try:
                with transaction.atomic():
                    subscriber = Subscriber.objects.filter(
                        pk=subscriber_id, status=SubscriberStatus.CONFIRMED).first()
                    if subscriber is None or not subscriber.email:
                        continue
                    delivery, _ = DigestDelivery.objects.select_for_update().get_or_create(
                        subscriber=subscriber, day=day)
                    if delivery.sent_at is not None:
                        continue
                    message = digest_message(content, subscriber)
                    message.connection = connection
                    message.send()
                    delivery.sent_at = timezone.now()
                    delivery.save(update_fields=["sent_at"])
                    sent += 1
            except IntegrityError:  # another worker created the row first: it sends
                continue
    if sent:
        audit_record(action="digest_send", details={"day": day.isoformat(), "sent": sent,
                                                     "stories": len(content.items)})
    return sent


def digest_preview(*, day: date | None = None) -> tuple[DigestContent, dict[str, int]]:
    """The next digest as a subscriber would get it, and the subscriber counts."""
    day = day or next_digest_day()
    counts = {status: Subscriber.objects.filter(status=status).count()
              for status in SubscriberStatus.values}
    counts["sent_last"] = DigestDelivery.objects.filter(
        day=timezone.localdate(), sent_at__isnull=False).count()
    return digest_content(day), counts


# --- anonymous page views (today's top stories) -------------------------------------------


def page_view_record(*, story_id: int, now: datetime | None = None) -> None:
    """Count one anonymous view of a published story in its hour (no reader identified)."""
    hour = reader_selectors.hour_of(now or timezone.now())
    if not Story.objects.published().filter(pk=story_id).exists():
        raise Story.DoesNotExist
    updated = PageView.objects.filter(story_id=story_id, hour=hour).update(count=F("count") + 1)
    if not updated:
        try:
            with transaction.atomic():
                PageView.objects.create(story_id=story_id, hour=hour, count=1)
        except IntegrityError:  # created meanwhile by another view
            PageView.objects.filter(story_id=story_id, hour=hour).update(count=F("count") + 1)
