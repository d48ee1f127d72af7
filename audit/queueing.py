"""Side effects run on commit, robustly, through this module alone: tasks are queued
(on_commit), in-process steps run (after_commit), and a broker or cache that is down never
undoes or fails the user's committed action. The failure is logged, and the response says
notifications are delayed (DelayedWorkMiddleware); periodic sweeps redo what must not be lost
(sources.tasks)."""

import json
import logging
from contextvars import ContextVar

from django.contrib import messages
from django.db import InterfaceError, OperationalError, transaction

log = logging.getLogger(__name__)

DELAYED_MESSAGE = ("Saved. Notifications are delayed: the task queue is unavailable, and they "
                   "will go out when it is back.")
HEADER = "Newsroom-Notifications"

# What a task retries (with backoff) instead of failing for good: the database went away under it
# (a restart, a failover). Every task is idempotent, so running it again is safe.
RETRY_ON = (OperationalError, InterfaceError)

# Task names that could not be sent during the current request (None outside a request).
_unsent: ContextVar[list | None] = ContextVar("newsroom_unsent_tasks", default=None)


def send(task, *args) -> bool:
    """Send a task now; a broker that is down is logged and noted, never raised."""
    try:
        task.delay(*args)
    except Exception:  # noqa: BLE001 - whatever the broker raised, the committed work stands
        name = getattr(task, "name", repr(task))
        log.exception("could not queue %s%r: notifications delayed", name, args)
        unsent = _unsent.get()
        if unsent is not None:
            unsent.append(name)
        return False
    return True


def _robustly(step, *args, using: str | None) -> None:
    def run():
        step(*args)

    # Django names the callback when it logs a failure: a partial has no __qualname__, and
    # the logging itself would raise.
    run.__qualname__ = getattr(step, "__qualname__", repr(step))
    transaction.on_commit(run, using=using, robust=True)


def on_commit(task, *args, using: str | None = None) -> None:
    """Queue `task.delay(*args)` once the current transaction commits (robust: never raises)."""
    _robustly(send, task, *args, using=using)


def after_commit(step, *args, using: str | None = None) -> None:
    """Run an in-process step (a new cache generation, a forgotten list) once the current
    transaction commits (robust: a failure is logged, the committed action stands)."""
    _robustly(step, *args, using=using)


def unsent_tasks() -> list[str]:
    """Names of the tasks this request could not queue."""
    return list(_unsent.get() or [])


class DelayedWorkMiddleware:
    """Tell the user when their action succeeded but its side effects could not be queued:
    a `Newsroom-Notifications: delayed` header, `"notifications": "delayed"` in a JSON object
    body, and a warning message in the admin."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _unsent.set([])
        try:
            response = self.get_response(request)
            unsent = _unsent.get()
        finally:
            _unsent.reset(token)
        if unsent:
            self._mark(request, response)
        return response

    @staticmethod
    def _mark(request, response) -> None:
        response[HEADER] = "delayed"
        if getattr(response, "streaming", False):
            return
        if response.get("Content-Type", "").startswith("application/json"):
            try:
                body = json.loads(response.content)
            except ValueError:
                return
            if isinstance(body, dict):
                body["notifications"] = "delayed"
                response.content = json.dumps(body).encode()
                if response.has_header("Content-Length"):
                    response["Content-Length"] = str(len(response.content))
        elif hasattr(request, "_messages"):
            messages.warning(request, DELAYED_MESSAGE)
