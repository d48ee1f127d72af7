"""Celery tasks for the audit trail."""

from celery import shared_task


@shared_task
def write_checkpoint() -> int:
    """Sign the audit chain's length and head into the checkpoint log (beat, every few minutes).

    A chain that fails verification is not signed: the task fails, loudly, every time it runs.
    """
    from .services import audit_checkpoint

    return audit_checkpoint().checkpoint.count


@shared_task
def prune_submissions() -> int:
    """Forget form submission tokens older than a week (beat, daily): audit.submissions."""
    from .submissions import submissions_prune

    return submissions_prune()
