"""Celery tasks for sources: each takes ids, loads objects and calls one service.

Every task is idempotent (messages are acknowledged late and redelivered after a lost worker):
a capture that a twin made a moment ago is not made again; a link check run twice leaves the same
health and snapshots (and two entries in the check log).
"""

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from audit import queueing
from audit.queueing import RETRY_ON

from . import sweeps
from .fetch import is_transient
from .models import Snapshot, Source

log = logging.getLogger(__name__)

# A capture of the same URL this recent is the one a duplicate delivery asked for.
DONE_WITHIN = timedelta(minutes=5)


class TransientFetchError(Exception):
    """The host did not answer (in time); the failure is recorded and the task retried."""


@shared_task(bind=True, autoretry_for=(TransientFetchError, *RETRY_ON), retry_backoff=True,
             retry_backoff_max=600, retry_jitter=True, max_retries=3)
def capture_source(self, source_id: int) -> int | None:
    """Fetch and keep a snapshot of a source's URL; retry with backoff when unreachable."""
    from . import services

    done = _recent_capture(source_id)
    if done is not None:
        return done
    snapshot = services.source_capture(source_id=source_id)
    if snapshot is None:
        return None
    # Eager mode (no broker) retries inline, blocking the request: record and stop there.
    if is_transient(snapshot.error) and not self.request.is_eager:
        raise TransientFetchError(snapshot.error)
    return snapshot.pk


# Link checks run at most this often on each worker (Celery's rate_limit): a sweep of the whole
# library (30,000 cited sources: about 4 hours at 2 a second, inside beat's 6-hour period) takes
# a small, steady share of the database and the network, never a burst that starves the web
# workers. NEWSROOM_LINK_CHECK_RATE sets it ("2/s", "60/m").
LINK_CHECK_RATE = settings.NEWSROOM_LINK_CHECK_RATE


@shared_task(bind=True, autoretry_for=(TransientFetchError, *RETRY_ON), retry_backoff=True,
             retry_backoff_max=600, retry_jitter=True, max_retries=3, rate_limit=LINK_CHECK_RATE)
def check_source_link(self, source_id: int, sweep: str = "") -> str | None:
    """Re-check one source's link (and drift since review); retry when unreachable. The last
    check of a sweep (`sweep`: its id) ends it (sources.sweeps)."""
    from . import services

    last_try = self.request.is_eager or self.request.retries >= self.max_retries
    try:
        outcome = services.source_check_link(source_id=source_id)
    except RETRY_ON:
        if last_try:
            sweeps.check_done(sweep)
        raise
    retry = outcome is not None and outcome.transient and not self.request.is_eager
    if not retry or last_try:
        sweeps.check_done(sweep)
    if retry:
        raise TransientFetchError(outcome.error)
    return None if outcome is None else outcome.health


def _since():
    return timezone.now() - DONE_WITHIN


def _recent_capture(source_id: int) -> int | None:
    """The snapshot a twin of this capture already made: of the current URL, lately, and not a
    transient failure (those are retried)."""
    url = Source.objects.filter(pk=source_id).values_list("url", flat=True).first()
    if not url:
        return None
    for pk, error in (Snapshot.objects.filter(source_id=source_id, requested_url=url,
                                              fetched_at__gte=_since())
                      .order_by("-fetched_at", "-id").values_list("pk", "error")[:1]):
        if not is_transient(error):
            return pk
    return None


@shared_task(autoretry_for=RETRY_ON, retry_backoff=True, max_retries=5)
def capture_missing(older_than: int = 120) -> int:
    """Queue a capture for every source with a URL and no snapshot (beat runs this): sources
    added while the broker was down, whose capture was never queued."""
    cutoff = timezone.now() - timedelta(seconds=older_than)
    ids = list(Source.objects.exclude(url="").filter(snapshots__isnull=True,
                                                     created_at__lte=cutoff)
               .values_list("pk", flat=True))
    for source_id in ids:
        queueing.send(capture_source, source_id)
    return len(ids)


def cited_link_ids():
    """Ids of the sources with a link that a published story cites, in id order."""
    return (Source.objects.cited_by_published().exclude(url="").order_by("pk")
            .values_list("pk", flat=True))


@shared_task(autoretry_for=RETRY_ON, retry_backoff=True, max_retries=5)
def check_cited_links() -> int:
    """Re-check every source a published story cites (Celery beat runs this): one task each,
    run at check_source_link's paced rate; skipped (0) while another sweep is still running."""
    sweep = sweeps.sweep_start()
    if sweep is None:
        return 0
    try:
        ids = list(cited_link_ids())  # 30,000 ids are 1 MB: read them before queueing the checks
    except BaseException:
        sweeps.sweep_end(sweep)  # retried: the retry takes the lock again
        raise
    log.info("link sweep started: sweep %s, %d checks", sweep, len(ids))
    sweeps.sweep_queueing(sweep, len(ids))
    for source_id in ids:
        if not queueing.send(check_source_link, source_id, sweep):
            sweeps.check_done(sweep)  # never queued: it will not count itself down
    return len(ids)


@shared_task(autoretry_for=RETRY_ON, retry_backoff=True, max_retries=3, soft_time_limit=90,
             time_limit=120)
def screenshot_snapshot(snapshot_id: int) -> str:
    """Full-page screenshot of a captured page from its WARC (skipped, with a note, when no
    browser is installed). Idempotent: a snapshot with a screenshot is left alone."""
    from . import services

    snapshot = services.snapshot_screenshot(snapshot_id=snapshot_id)
    if snapshot is None:
        return "missing"
    return "taken" if snapshot.screenshot else snapshot.screenshot_note
