import shutil
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from audit.models import Event
from sources import screenshots, services, tasks
from tests.conftest import need
from tests.factories import SourceFactory
from tests.sources.fixture_server import Page, fixture_server

CHROMIUM = "/usr/bin/chromium"
PAGE = ("<html><head><title>Tide tables</title><style>h1{color:#036}</style>"
        "<link rel='stylesheet' href='http://10.0.0.1/steal.css'></head><body>"
        "<h1>Tide tables</h1><p>High water at 06:12, low water at 12:40.</p>"
        "<img src='http://169.254.169.254/latest/meta-data/'></body></html>")


@pytest.fixture
def captured(settings, db):
    settings.SOURCE_FETCH_ALLOW_PRIVATE = True
    with fixture_server({"/tides": Page(PAGE), "/data": Page(b"a,b\n1,2\n",
                                                              content_type="text/csv")}) as (
            base, server):
        source = SourceFactory(url=f"{base}/tides")
        snapshot = services.source_capture(source_id=source.pk)
        yield snapshot, base, server


def test_screenshot_is_taken_from_the_warc_and_stored_beside_it(captured):
    need(Path(CHROMIUM).exists() or bool(shutil.which("chromium")),
         f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    snapshot, _, server = captured
    requests_before = len(server.seen)
    result = tasks.screenshot_snapshot.apply(args=[snapshot.pk]).get()
    snapshot.refresh_from_db()
    assert result == "taken"
    assert snapshot.screenshot.read()[:8] == b"\x89PNG\r\n\x1a\n"
    assert snapshot.screenshot.name.rsplit("/", 1)[-1] == (
        snapshot.warc.name.rsplit("/", 1)[-1].removesuffix(".warc.gz") + ".png")
    assert len(server.seen) == requests_before  # rendered from the WARC, not the live page
    assert Event.objects.filter(action="snapshot_screenshot").exists()


def test_without_a_browser_the_screenshot_is_skipped_with_a_note(captured, settings):
    settings.NEWSROOM_CHROMIUM = "/nonexistent/chromium"
    snapshot, _, _ = captured
    assert tasks.screenshot_snapshot.apply(args=[snapshot.pk]).get() == (
        "No screenshot: no browser is installed here (/nonexistent/chromium not found).")
    snapshot.refresh_from_db()
    assert not snapshot.screenshot
    assert "no browser is installed" in snapshot.screenshot_note


def test_a_capture_that_is_not_a_web_page_gets_no_screenshot(settings, db):
    settings.SOURCE_FETCH_ALLOW_PRIVATE = True
    with fixture_server({"/data": Page(b"a,b\n1,2\n", content_type="text/csv")}) as (base, _):
        snapshot = services.source_capture(source_id=SourceFactory(url=f"{base}/data").pk)
    services.snapshot_screenshot(snapshot_id=snapshot.pk)
    snapshot.refresh_from_db()
    assert snapshot.screenshot_note == "No screenshot: this capture is not a web page."


def test_capture_queues_a_screenshot_only_when_screenshots_are_on(settings, db,
                                                                 django_capture_on_commit_callbacks):
    settings.SOURCE_FETCH_ALLOW_PRIVATE = True
    settings.NEWSROOM_CHROMIUM = "/nonexistent/chromium"
    with fixture_server({"/tides": Page(PAGE)}) as (base, _):
        settings.NEWSROOM_SCREENSHOTS = True
        with django_capture_on_commit_callbacks(execute=True):
            on = services.source_capture(source_id=SourceFactory(url=f"{base}/tides").pk)
        settings.NEWSROOM_SCREENSHOTS = False
        with django_capture_on_commit_callbacks(execute=True):
            off = services.source_capture(source_id=SourceFactory(url=f"{base}/tides?b").pk)
    on.refresh_from_db()
    off.refresh_from_db()
    assert "no browser is installed" in on.screenshot_note
    assert off.screenshot_note == ""


def test_browser_missing_names_what_is_missing():
    assert screenshots.browser_missing("/nonexistent/chromium").startswith("No screenshot:")


def test_reviewers_see_the_screenshot_link_and_readers_do_not(client, captured, writer):
    snapshot, _, _ = captured
    snapshot.screenshot.save("shot.png", ContentFile(b"\x89PNG\r\n\x1a\n"), save=True)
    url = reverse("snapshot-screenshot", args=[snapshot.pk])
    assert client.get(url).status_code == 404  # no published story approved it
    client.force_login(writer)
    assert url in client.get(reverse("snapshot-detail", args=[snapshot.pk])).content.decode()
    assert client.get(url)["Content-Type"] == "image/png"
