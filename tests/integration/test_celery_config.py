"""The Celery configuration the outage tests rely on, stated where a reader looks for it."""

from django.conf import settings

from newsroom.celery import app


def test_the_worker_retries_the_broker_forever_also_at_start_up():
    assert app.conf.broker_connection_retry is True
    assert app.conf.broker_connection_retry_on_startup is True
    assert app.conf.broker_connection_max_retries is None


def test_tasks_are_acknowledged_late_and_requeued_when_their_worker_is_lost():
    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert app.conf.worker_prefetch_multiplier == 1


def test_the_visibility_timeout_outlasts_the_longest_task_but_not_by_hours():
    visibility = app.conf.broker_transport_options["visibility_timeout"]
    assert app.conf.task_time_limit < visibility <= 3600
    assert app.conf.task_soft_time_limit < app.conf.task_time_limit
    # A retry's countdown (at most retry_backoff_max) is redelivered early if it is longer.
    from sources.tasks import capture_source

    assert capture_source.retry_backoff_max < visibility


def test_fetches_have_their_own_queue_so_publish_due_always_has_a_slot():
    routes = settings.CELERY_TASK_ROUTES
    assert routes["sources.tasks.capture_source"]["queue"] == "captures"
    assert routes["sources.tasks.check_source_link"]["queue"] == "captures"
    assert "stories.tasks.publish_due" not in routes
    assert {q.name for q in app.conf.task_queues} == {"celery", "captures", "screenshots"}


def test_screenshots_have_their_own_queue_so_captures_never_wait_for_chromium():
    routes = settings.CELERY_TASK_ROUTES
    assert routes["sources.tasks.screenshot_snapshot"]["queue"] == "screenshots"


def test_beat_sweeps_sources_that_never_got_a_snapshot():
    names = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "sources.tasks.capture_missing" in names


def test_production_with_a_broker_and_a_per_process_cache_refuses_to_start():
    import secrets

    from tests.security.test_deployment import PRODUCTION, manage

    env = {**PRODUCTION, "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
           "CELERY_BROKER_URL": "redis://127.0.0.1:1/0"}
    refused = manage("check", **env)
    assert refused.returncode != 0
    assert "Set REDIS_URL" in refused.stderr
    shared = manage("check", **env, REDIS_URL="redis://127.0.0.1:1/1")
    assert shared.returncode == 0, shared.stderr
