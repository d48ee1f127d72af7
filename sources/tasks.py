"""Celery tasks for sources (snapshots and link health)."""

from celery import shared_task


@shared_task
def capture_source(source_id: int) -> None:
    """Fetch and store a snapshot of a source's URL (implemented with the fetcher)."""
    return None


@shared_task
def check_cited_links() -> None:
    """Re-check the links of sources cited by published stories."""
    return None
