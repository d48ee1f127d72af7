"""Celery tasks for sources: each takes ids, loads objects and calls one service."""

from celery import shared_task

from . import services
from .fetch import is_transient
from .models import Source


class TransientFetchError(Exception):
    """The host did not answer (in time); the failure is recorded and the task retried."""


@shared_task(bind=True, autoretry_for=(TransientFetchError,), retry_backoff=True,
             retry_backoff_max=600, retry_jitter=True, max_retries=3)
def capture_source(self, source_id: int) -> int | None:
    """Fetch and keep a snapshot of a source's URL; retry with backoff when unreachable."""
    snapshot = services.source_capture(source_id=source_id)
    if snapshot is None:
        return None
    # Eager mode (no broker) retries inline, blocking the request: record and stop there.
    if is_transient(snapshot.error) and not self.request.is_eager:
        raise TransientFetchError(snapshot.error)
    return snapshot.pk


@shared_task(bind=True, autoretry_for=(TransientFetchError,), retry_backoff=True,
             retry_backoff_max=600, retry_jitter=True, max_retries=3)
def check_source_link(self, source_id: int) -> str | None:
    """Re-check one source's link (and drift since review); retry when unreachable."""
    outcome = services.source_check_link(source_id=source_id)
    if outcome is None:
        return None
    if outcome.transient and not self.request.is_eager:
        raise TransientFetchError(outcome.error)
    return outcome.health


@shared_task
def check_cited_links() -> int:
    """Re-check every source a published story cites (Celery beat runs this): one task each."""
    ids = list(Source.objects.cited_by_published().exclude(url="").values_list("pk", flat=True))
    for source_id in ids:
        services.enqueue(check_source_link, source_id)
    return len(ids)
