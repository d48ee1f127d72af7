import pytest

from sources import tasks
from sources.models import Health, LinkCheck
from tests.factories import SourceFactory
from tests.sources.fixture_server import Page, fixture_server
from tests.sources.test_services import PAGE, publish


@pytest.fixture
def site(settings):
    settings.SOURCE_FETCH_ALLOW_PRIVATE = True
    with fixture_server({"/chip": Page(PAGE)}) as (base, server):
        yield base, server


def test_capture_source_task_retries_with_backoff_on_unreachable():
    assert tasks.capture_source.name == "sources.tasks.capture_source"
    assert tasks.TransientFetchError in tasks.capture_source.autoretry_for
    assert tasks.capture_source.retry_backoff is True
    assert tasks.capture_source.max_retries == 3


def test_capture_source_task_records_then_raises_for_a_retry(db, settings):
    settings.SOURCE_FETCH_ALLOW_PRIVATE = True
    source = SourceFactory(url="http://127.0.0.1:9/down")
    with pytest.raises(tasks.TransientFetchError):
        tasks.capture_source.run(source.pk)  # as a worker runs it (not eager)
    source.refresh_from_db()
    assert source.health == Health.UNREACHABLE
    assert source.snapshots.get().error.startswith("network:")


def test_capture_source_task_does_not_retry_inline_when_eager(db, settings):
    settings.SOURCE_FETCH_ALLOW_PRIVATE = True
    source = SourceFactory(url="http://127.0.0.1:9/down")
    result = tasks.capture_source.apply(args=[source.pk])
    assert result.successful()
    assert source.snapshots.count() == 1


def test_capture_source_task_does_not_retry_a_refusal(db, settings):
    settings.SOURCE_FETCH_ALLOW_PRIVATE = False
    source = SourceFactory(url="http://127.0.0.1:9/private")
    assert tasks.capture_source.run(source.pk) is not None


def test_check_cited_links_checks_only_sources_of_published_stories(
        site, writer, reviewer, editor):
    base, _ = site
    cited = SourceFactory(url=f"{base}/chip")
    SourceFactory(url=f"{base}/elsewhere")
    publish(cited, writer, reviewer, editor)
    assert tasks.check_cited_links.apply().get() == 1
    assert list(LinkCheck.objects.values_list("source__key", "status")) == [(cited.key, "ok")]


def test_check_cited_links_is_in_the_beat_schedule(settings):
    names = [entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()]
    assert "sources.tasks.check_cited_links" in names


def test_link_checks_are_paced_on_every_worker(settings):
    # A sweep queues one check per cited source; the worker runs them at this rate, so a
    # library of 30,000 sources never arrives at the database and the web workers at once.
    assert tasks.check_source_link.rate_limit == settings.NEWSROOM_LINK_CHECK_RATE == "2/s"


def test_check_cited_links_is_skipped_while_another_sweep_runs(site, writer, reviewer, editor):
    from sources import sweeps

    base, _ = site
    publish(SourceFactory(url=f"{base}/chip"), writer, reviewer, editor)
    other = sweeps.sweep_start()  # a sweep on another worker, its checks still queued
    try:
        assert tasks.check_cited_links.apply().get() == 0
        assert not LinkCheck.objects.exists()
    finally:
        sweeps.sweep_end(other)
    assert tasks.check_cited_links.apply().get() == 1  # the lock went with that sweep
    assert sweeps.running_sweep() is None  # and this one's with its last check


def test_a_sweep_whose_checks_were_lost_lets_go_of_its_lock_at_its_deadline(settings):
    from sources import sweeps

    # Twice what one worker needs at the paced rate (30,000 at 2 a second: 4 h 10 min), plus
    # the time to queue them: the next beat run after that finds the lock gone.
    assert sweeps.deadline_seconds(30_000) == 600 + 30_000
    settings.NEWSROOM_LINK_CHECK_RATE = "60/m"
    assert sweeps.deadline_seconds(100_000) == sweeps.MAX_SECONDS
