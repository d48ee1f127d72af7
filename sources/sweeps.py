"""One link sweep at a time, however many workers there are.

A sweep (sources.tasks.check_cited_links) queues one paced check per cited source; it lasts
until the last of them ran, hours for a large library. Beat asks for one every 6 hours, and a
retried or redelivered task, a second beat or an operator asks again: a sweep started while
one is running would check every source twice. So a sweep holds a lock in the shared cache
(Redis, which every web and worker process sees) from its start until its last check is done;
a sweep asked for meanwhile is skipped. The lock expires by itself at the sweep's deadline
(twice the time its checks need at the paced rate), so a lost check or a killed worker never
keeps the next sweeps away for longer than that. (Without a shared cache, in development, the
lock is each process's own: a worker with several pool processes may hold it until then.)
"""

from __future__ import annotations

import logging
import uuid

from celery.utils.time import rate
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

log = logging.getLogger(__name__)

LOCK_KEY = "sources:link-sweep"
# Long enough to list the cited sources and queue a check for each.
START_SECONDS = 600
# A sweep outlasting a day lost its checks: the lock goes anyway.
MAX_SECONDS = 24 * 3600


def _remaining_key(sweep: str) -> str:
    return f"{LOCK_KEY}:remaining:{sweep}"


def running_sweep() -> dict | None:
    """The sweep holding the lock ({id, started, checks}), or None."""
    return cache.get(LOCK_KEY)


def sweep_start() -> str | None:
    """Take the lock for a new sweep and return its id; None while another sweep holds it (or
    the shared cache cannot be reached, when no worker could tell)."""
    sweep = uuid.uuid4().hex
    lock = {"id": sweep, "started": timezone.now().isoformat(), "checks": None}
    if cache.add(LOCK_KEY, lock, timeout=START_SECONDS):
        return sweep
    other = running_sweep()
    if other is None:
        log.warning("link sweep skipped: the shared cache is unavailable, so no worker can "
                    "tell whether another sweep is running")
    else:
        log.info("link sweep skipped: sweep %s, started %s, is still running (%s checks)",
                 other["id"], other["started"], other["checks"])
    return None


def deadline_seconds(checks: int) -> int:
    """How long a sweep of `checks` may hold the lock: twice what one worker needs at the
    paced rate (NEWSROOM_LINK_CHECK_RATE), plus START_SECONDS, at most MAX_SECONDS."""
    per_second = rate(settings.NEWSROOM_LINK_CHECK_RATE) or 10.0
    return int(min(MAX_SECONDS, START_SECONDS + 2 * checks / per_second))


def sweep_queueing(sweep: str, checks: int) -> None:
    """The sweep is about to queue `checks` checks: hold the lock until they are done."""
    if checks == 0:
        sweep_end(sweep)
        return
    seconds = deadline_seconds(checks)
    # Counted before the first check is queued, so even one that runs at once counts down.
    cache.set(_remaining_key(sweep), checks, timeout=seconds)
    lock = running_sweep()
    if lock is not None and lock["id"] == sweep:
        cache.set(LOCK_KEY, {**lock, "checks": checks}, timeout=seconds)


def check_done(sweep: str) -> None:
    """One of the sweep's checks is over (checked, or given up); the last lets go of the lock."""
    if not sweep:
        return  # a check asked for on its own, not by a sweep
    try:
        left = cache.decr(_remaining_key(sweep))
    except ValueError:  # past its deadline (or the cache is down): the lock expires by itself
        return
    if left <= 0:
        sweep_end(sweep)


def sweep_end(sweep: str) -> None:
    """Let go of the lock, if this sweep still holds it."""
    lock = running_sweep()
    if lock is not None and lock["id"] == sweep:
        cache.delete(LOCK_KEY)
    cache.delete(_remaining_key(sweep))
