"""Celery tasks for stories: each takes ids, loads objects and calls one service.

Every task is idempotent (messages are acknowledged late and redelivered after a lost worker):
an e-mail task remembers its task id once sent; purging a page and publishing what is due
converge on the same state however often they run.
"""

import logging

from celery import shared_task
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.mail import send_mass_mail

from audit.queueing import RETRY_ON

from .models import Image, Revision, Story

log = logging.getLogger(__name__)
SENT_FOR_SECONDS = 2 * 24 * 3600  # longer than any redelivery or retry of one message

def _sent_key(task) -> str | None:
    task_id = task.request.id
    return f"task-sent:{task_id}" if task_id else None


def _already_sent(task) -> bool:
    key = _sent_key(task)
    if key is None:
        return False
    try:
        return cache.get(key) is not None
    except Exception:  # noqa: BLE001 - no cache: rather a second e-mail than none
        log.warning("cache unavailable: cannot tell whether %s already ran", key)
        return False


def _mark_sent(task) -> None:
    key = _sent_key(task)
    if key is None:
        return
    try:
        cache.set(key, 1, SENT_FOR_SECONDS)
    except Exception:  # noqa: BLE001 - the e-mail went out; only the memory of it is lost
        log.warning("cache unavailable: %s not remembered", key)


@shared_task(bind=True, autoretry_for=(OSError, *RETRY_ON), retry_backoff=True, max_retries=5)
def notify_event(self, event_id: int) -> int:
    """E-mail everyone an audit event concerns (the inbox's rules), each with a direct link."""
    from audit.models import Event

    from . import inbox

    event = Event.objects.select_related("story").filter(pk=event_id).first()
    if event is None or _already_sent(self):
        return 0
    messages = [(subject, body, None, [address])
                for address, subject, body in inbox.messages_for(event)]
    sent = send_mass_mail(messages, fail_silently=False) if messages else 0
    _mark_sent(self)
    return sent


def _purge(paths: list[str], tags: list[str]) -> None:
    """Purge now, and again REPEAT_AFTER seconds later (frontend_cache.repeat_after): a page
    Varnish was fetching while the change committed was read before it and is stored after
    the first ban (a ban drops only the copies it finds), so it would stay for s-maxage."""
    from . import frontend_cache

    frontend_cache.purge(paths, tags)
    delay = frontend_cache.repeat_after()
    if delay:
        purge_again.apply_async(args=(paths, tags), countdown=delay)


@shared_task(autoretry_for=(OSError, *RETRY_ON), retry_backoff=True, max_retries=8)
def purge_again(paths: list[str], tags: list[str]) -> None:
    """The second purge of a change (see _purge)."""
    from . import frontend_cache

    frontend_cache.purge(paths, tags)


# Purges retry while the edge cache is unreachable (OSError) or the database went away.
@shared_task(autoretry_for=(OSError, *RETRY_ON), retry_backoff=True, max_retries=8)
def page_published(story_id: int, previous_revision_id: int | None = None) -> None:
    """After a publish, correction, retraction or byline change: purge the story's public pages
    and the listings from the edge cache, and the pages of the sources the replaced live
    revision cited and of the archived copies it pinned (a correction may have dropped them:
    those pages no longer list the story, readers may no longer open the copies), and of every
    archived copy of a source it dropped that no published story cites any more. The origin
    needs no invalidation here: its fragment cache is keyed by the live revision, the ETags by
    everything a page shows, and what is cached across stories by the live generation the
    service started on commit."""
    from . import frontend_cache

    story = Story.objects.published().select_related("live_revision").filter(
        pk=story_id).first()
    if story is None:
        return
    paths = frontend_cache.story_paths(story)
    if previous_revision_id and previous_revision_id != story.live_revision_id:
        previous = Revision.objects.filter(pk=previous_revision_id, story=story).first()
        paths += frontend_cache.revision_source_paths(previous)
        paths += frontend_cache.revision_snapshot_paths(previous)
        paths += frontend_cache.uncited_snapshot_paths(previous, story.live_revision)
    # ...and every page showing it among today's top stories (labelled with its key).
    _purge(paths, [frontend_cache.story_tag(story.pk)])


@shared_task(autoretry_for=(OSError, *RETRY_ON), retry_backoff=True, max_retries=8)
def source_changed(source_id: int) -> None:
    """After a library entry changed (link health shows on live pages): purge its pages."""
    from sources.models import Source

    from . import frontend_cache

    source = Source.objects.filter(pk=source_id).first()
    if source is not None:
        _purge(*frontend_cache.source_purge(source))


@shared_task(autoretry_for=(OSError, *RETRY_ON), retry_backoff=True, max_retries=8)
def snapshot_changed(snapshot_id: int) -> None:
    """After an archived copy gained its WARC or its screenshot: purge its pages and the
    evidence packages holding it."""
    from . import frontend_cache

    _purge(frontend_cache.snapshot_paths(snapshot_id), [frontend_cache.snapshot_tag(snapshot_id)])


@shared_task(autoretry_for=(OSError, *RETRY_ON), retry_backoff=True, max_retries=8)
def author_changed(user_id: int) -> None:
    """After a user was renamed, or taken off a byline: purge the pages naming them (as an
    author or a reviewer) and their author page."""
    from . import frontend_cache

    user = get_user_model().objects.filter(pk=user_id).first()
    if user is not None:
        _purge(*frontend_cache.author_purge(user))


@shared_task(autoretry_for=RETRY_ON, retry_backoff=True, max_retries=5)
def publish_due() -> list[int]:
    """Publish every scheduled story that is due (Celery beat runs this every minute)."""
    from . import services

    return services.publish_due()


# --- readers: error reports, the daily digest (issue 19) -------------------------------------


@shared_task(bind=True, autoretry_for=(OSError, *RETRY_ON), retry_backoff=True, max_retries=5)
def notify_report_received(self, report_id: int) -> int:
    """E-mail the corrections desk (the story's reviewers, or the editors) about a new report."""
    from .services import reader_mail

    if _already_sent(self):
        return 0
    sent = reader_mail.report_received(report_id=report_id)
    _mark_sent(self)
    return sent


@shared_task(bind=True, autoretry_for=(OSError, *RETRY_ON), retry_backoff=True, max_retries=5)
def send_report_reply(self, report_id: int, message: str) -> int:
    """E-mail the desk's reply to the reader who left an address."""
    from .services import reader_mail

    if _already_sent(self):
        return 0
    sent = reader_mail.report_reply(report_id=report_id, message=message)
    _mark_sent(self)
    return sent


@shared_task(bind=True, autoretry_for=(OSError, *RETRY_ON), retry_backoff=True, max_retries=5)
def send_digest_confirmation(self, subscriber_id: int) -> int:
    """E-mail the double opt-in link to a new (or returning) subscriber."""
    from .services import digest

    if _already_sent(self):
        return 0
    sent = digest.digest_send_confirmation(subscriber_id=subscriber_id)
    _mark_sent(self)
    return sent


@shared_task(autoretry_for=(OSError, *RETRY_ON), retry_backoff=True, max_retries=5)
def send_digest(day: str | None = None) -> int:
    """Celery beat, once a day: queue the day's digest in batches of subscribers."""
    from .services import digest

    return digest.digest_dispatch(day=day)


@shared_task(autoretry_for=(OSError, *RETRY_ON), retry_backoff=True, max_retries=5)
def send_digest_batch(day: str, subscriber_ids: list[int]) -> int:
    """Send one batch of a day's digest; a subscriber already sent that day is skipped."""
    from .services import digest

    return digest.digest_send_batch(day=day, subscriber_ids=subscriber_ids)


@shared_task(autoretry_for=(OSError, *RETRY_ON), retry_backoff=True, max_retries=5)
def make_image_variants(image_id: int) -> list[str]:
    """Store a figure's phone and desktop copies (idempotent: a variant made already is kept)."""
    from .images import image_make_variants

    image = Image.objects.filter(pk=image_id).first()
    if image is None or not image.file:
        return []
    return image_make_variants(image=image)
