"""/healthz: each dependency's state in the body; 503 only when the database is down, because
without the cache or the broker the site still serves (uncached; notifications delayed)."""

import time

from django.core.cache import caches
from django.core.cache.backends.dummy import DummyCache
from django.core.cache.backends.locmem import LocMemCache
from django.db import InterfaceError, OperationalError, connection
from django.http import HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache

from .cache import FailSoftRedisCache
from .celery import app

BROKER_CHECK_SECONDS = 5.0  # a load balancer polls often; the broker is asked at most this often
_broker_state = {"at": -BROKER_CHECK_SECONDS, "state": ""}


def database_state() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:  # noqa: BLE001 - any database failure means "down"
        connection.close_if_unusable_or_obsolete()
        return "down"
    return "ok"


def cache_state() -> str:
    """ok or down for a shared cache; "local" for a per-process one (nothing to reach)."""
    backend = caches["default"]
    if isinstance(backend, FailSoftRedisCache):
        return "ok" if backend.is_up() else "down"
    if isinstance(backend, LocMemCache | DummyCache):
        return "local"
    try:
        backend.set("healthz", 1, 5)
        return "ok" if backend.get("healthz") == 1 else "down"
    except Exception:  # noqa: BLE001 - a cache that raises is down
        return "down"


def broker_state() -> str:
    """ok or down; "eager" when no broker is configured (tasks run in the request)."""
    if app.conf.task_always_eager or not app.conf.broker_url:
        return "eager"
    now = time.monotonic()
    if now - _broker_state["at"] < BROKER_CHECK_SECONDS:
        return _broker_state["state"]
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0,
                                   timeout=2)
        state = "ok"
    except Exception:  # noqa: BLE001 - whatever kombu raised, the broker cannot be reached
        state = "down"
    _broker_state.update(at=now, state=state)
    return state


@never_cache
def healthz(request):
    """{"status": ok | degraded | down, "database": …, "cache": …, "broker": …}."""
    states = {"database": database_state(), "cache": cache_state(), "broker": broker_state()}
    if states["database"] != "ok":
        status = "down"
    elif "down" in states.values():
        status = "degraded"
    else:
        status = "ok"
    return JsonResponse({"status": status, **states}, status=503 if status == "down" else 200)


UNAVAILABLE = "The database is unavailable for a moment; try again in a few seconds."


class DatabaseUnavailableMiddleware:
    """A view that lost the database (a restart, a failover) answers 503 with Retry-After, as
    JSON under /api/: the request may be repeated, nothing half-done was kept (services are
    atomic), and it is not a bug to page anyone about."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        connection.close_if_unusable_or_obsolete()
        if request.path.startswith("/api/"):
            response = JsonResponse({"detail": UNAVAILABLE}, status=503)
        else:
            response = HttpResponse(UNAVAILABLE, status=503, content_type="text/plain")
        response["Retry-After"] = "5"
        return response
