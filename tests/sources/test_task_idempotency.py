"""Each source task run twice (a redelivered message) leaves what one run leaves."""

import pytest

from sources import tasks
from sources.models import Health, LinkCheck, Snapshot
from tests.factories import SourceFactory
from tests.sources.fixture_server import Page, fixture_server
from tests.sources.test_services import PAGE, publish


@pytest.fixture
def site(settings):
    settings.SOURCE_FETCH_ALLOW_PRIVATE = True
    with fixture_server({"/chip": Page(PAGE)}) as (base, server):
        yield base, server


def test_capture_source_twice_makes_one_snapshot_and_one_fetch(site, db):
    base, server = site
    source = SourceFactory(url=f"{base}/chip")
    first = tasks.capture_source.run(source.pk)
    second = tasks.capture_source.run(source.pk)
    assert first == second
    assert Snapshot.objects.filter(source=source).count() == 1
    assert len(server.seen) == 1


def test_capture_source_again_after_a_transient_failure_fetches_again(db, settings):
    settings.SOURCE_FETCH_ALLOW_PRIVATE = True
    source = SourceFactory(url="http://127.0.0.1:9/down")
    tasks.capture_source.apply(args=[source.pk])
    tasks.capture_source.apply(args=[source.pk])
    assert Snapshot.objects.filter(source=source).count() == 2  # a retry is a new attempt


def test_capture_source_after_the_url_changed_fetches_the_new_url(site, db):
    base, server = site
    source = SourceFactory(url=f"{base}/chip")
    tasks.capture_source.run(source.pk)
    source.url = f"{base}/chip?v=2"
    source.save()
    tasks.capture_source.run(source.pk)
    assert [s.requested_url for s in source.snapshots.order_by("id")] == [
        f"{base}/chip", f"{base}/chip?v=2"]


def test_check_source_link_twice_leaves_the_same_health_and_snapshots(
        site, writer, reviewer, editor):
    base, _ = site
    source = SourceFactory(url=f"{base}/chip")
    tasks.capture_source.run(source.pk)
    publish(source, writer, reviewer, editor)
    assert tasks.check_source_link.run(source.pk) == Health.OK
    assert tasks.check_source_link.run(source.pk) == Health.OK
    assert Snapshot.objects.filter(source=source).count() == 1
    assert LinkCheck.objects.filter(source=source).count() == 3  # the log records each check


def test_capture_missing_queues_sources_without_a_snapshot_once(site, db):
    base, server = site
    missing = SourceFactory(url=f"{base}/chip")
    SourceFactory(url="", description="A printed report.")
    assert tasks.capture_missing.apply(kwargs={"older_than": 0}).get() == 1
    assert missing.snapshots.count() == 1
    assert tasks.capture_missing.apply(kwargs={"older_than": 0}).get() == 0
    assert missing.snapshots.count() == 1


def test_capture_missing_leaves_just_added_sources_to_their_own_capture(site, db):
    base, _ = site
    SourceFactory(url=f"{base}/chip")
    assert tasks.capture_missing.apply().get() == 0


def test_check_cited_links_twice_checks_each_source_each_time(site, writer, reviewer, editor):
    base, _ = site
    source = SourceFactory(url=f"{base}/chip")
    tasks.capture_source.run(source.pk)
    publish(source, writer, reviewer, editor)
    assert tasks.check_cited_links.run() == tasks.check_cited_links.run() == 1
    assert Snapshot.objects.filter(source=source).count() == 1
