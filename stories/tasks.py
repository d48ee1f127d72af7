"""Celery tasks for stories: each takes ids, loads objects and calls one service.

Every task is idempotent (messages are acknowledged late and redelivered after a lost worker):
an e-mail task remembers its task id once sent; rebuilding a page and publishing what is due
converge on the same state however often they run.
"""

import logging
import time

from celery import shared_task
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.mail import send_mass_mail

from audit.queueing import RETRY_ON

from .models import Story
from .permissions import REVIEWERS

log = logging.getLogger(__name__)
SENT_FOR_SECONDS = 2 * 24 * 3600  # longer than any redelivery or retry of one message

MESSAGES = {
    "approved": "Your story \u201c{title}\u201d was approved and is ready to publish.",
    "changes_requested": "A reviewer asked for changes to \u201c{title}\u201d.",
    "published": "Your story \u201c{title}\u201d is published.",
}


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
def notify_submitted(self, story_id: int) -> int:
    """E-mail reviewers (assigned ones, or all of them) that a story waits for review."""
    story = Story.objects.filter(pk=story_id).first()
    if story is None or _already_sent(self):
        return 0
    reviewers = get_user_model().objects.filter(is_active=True).exclude(email="")
    assigned = reviewers.filter(assignments__story=story)
    recipients = assigned if assigned.exists() else reviewers.filter(groups__name=REVIEWERS)
    recipients = recipients.exclude(pk__in=story.authors.values("pk")).distinct()
    subject = f"[{settings.NEWSROOM_SITE_NAME}] Review requested: {story.title}"
    body = f"\u201c{story.title}\u201d was submitted for review."
    messages = [(subject, body, None, [u.email]) for u in recipients]
    sent = send_mass_mail(messages, fail_silently=False)
    _mark_sent(self)
    return sent


@shared_task(bind=True, autoretry_for=(OSError, *RETRY_ON), retry_backoff=True, max_retries=5)
def notify_authors(self, story_id: int, event: str) -> int:
    """E-mail a story's authors that it was approved, sent back or published."""
    story = Story.objects.filter(pk=story_id).first()
    if story is None or _already_sent(self):
        return 0
    text = MESSAGES[event].format(title=story.title)
    subject = f"[{settings.NEWSROOM_SITE_NAME}] {text}"
    messages = [(subject, text, None, [u.email]) for u in story.authors.exclude(email="")]
    sent = send_mass_mail(messages, fail_silently=False)
    _mark_sent(self)
    return sent


@shared_task(autoretry_for=RETRY_ON, retry_backoff=True, max_retries=5)
def page_published(story_id: int) -> None:
    """After a publish, correction or retraction: rebuild the story's stored page and retire
    every cached public page (each page-cache entry records the generation it was built in)."""
    from . import pages

    pages.refresh(story_id)
    bump_page_generation()


def bump_page_generation() -> None:
    """Retire every cached public page. With the local-memory cache this reaches only the
    current process: deployments with several workers set REDIS_URL."""
    try:
        cache.incr("page:generation")
    except ValueError:  # not set yet, or evicted: a value no earlier entry can have recorded
        cache.add("page:generation", time.time_ns(), None)


@shared_task(autoretry_for=RETRY_ON, retry_backoff=True, max_retries=5)
def publish_due() -> list[int]:
    """Publish every scheduled story that is due (Celery beat runs this every minute)."""
    from . import services

    return services.publish_due()
