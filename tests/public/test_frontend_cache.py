import re
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone

from sources.models import Snapshot, Source
from stories import services
from tests.factories import SourceFactory
from tests.public.helpers import publish_story, republish

pytestmark = pytest.mark.django_db


@pytest.fixture
def edge(settings):
    """A local stand-in for Varnish that records the bans it receives."""
    bans: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_BAN(self):  # noqa: N802 - the method's name
            bans.append(self.headers["X-Ban-Url"])
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.NEWSROOM_FRONTEND_CACHE = {
        "BACKEND": "stories.frontend_cache.VarnishBackend",
        "LOCATION": f"http://127.0.0.1:{server.server_address[1]}"}
    yield bans
    server.shutdown()
    server.server_close()


def banned(bans: list[str], path: str) -> bool:
    return any(re.match(pattern, path) for pattern in bans)


@pytest.fixture
def story(writer, reviewer, editor):
    return publish_story(writer, reviewer, editor, body="Five cranes arrived [@c1].",
                         sources=[SourceFactory(key="c1")])


def test_publish_purges_the_story_and_the_listings_on_commit(
        edge, writer, reviewer, editor, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        story = publish_story(writer, reviewer, editor, sources=[SourceFactory(key="k1")])
    assert edge == []  # nothing before the commit
    for callback in callbacks:
        callback()
    for path in (story.get_absolute_url(), f"{story.get_absolute_url()}history/", "/",
                 "/?page=2", "/feed/", f"/api/v1/public/stories/{story.slug}/",
                 "/api/v1/public/stories/?page=2", "/authors/writer/", "/sources/k1/"):
        assert banned(edge, path), path
    assert not banned(edge, "/stories/another-story/")


@pytest.mark.parametrize("change", ["correction", "retraction"])
def test_corrections_and_retractions_purge_the_story(edge, story, writer, reviewer, editor,
                                                     change, django_capture_on_commit_callbacks):
    edge.clear()
    with django_capture_on_commit_callbacks(execute=True):
        if change == "correction":
            republish(story, writer, reviewer, editor, body="Four cranes arrived [@c1].")
        else:
            services.story_retract(story_id=story.pk, user=editor, reason="Forged source.")
    assert banned(edge, story.get_absolute_url())


def test_a_source_edit_purges_the_stories_citing_it(edge, story,
                                                    django_capture_on_commit_callbacks):
    edge.clear()
    with django_capture_on_commit_callbacks(execute=True):
        source = Source.objects.get(key="c1")
        source.health = "broken"
        source.save(update_fields=["health", "updated_at"])
    assert banned(edge, story.get_absolute_url()) and banned(edge, "/sources/c1/")


def test_an_author_rename_purges_their_stories(edge, story, writer,
                                               django_capture_on_commit_callbacks):
    edge.clear()
    with django_capture_on_commit_callbacks(execute=True):
        writer.first_name = "Renamed"
        writer.save()
    assert banned(edge, story.get_absolute_url()) and banned(edge, "/authors/writer/")


def test_no_edge_cache_configured_queues_nothing(settings, story,
                                                 django_capture_on_commit_callbacks):
    settings.NEWSROOM_FRONTEND_CACHE = None
    with django_capture_on_commit_callbacks() as callbacks:
        source = Source.objects.get(key="c1")
        source.save()
    assert callbacks == []


def test_an_unreachable_edge_cache_does_not_fail_the_publish(settings, story, editor,
                                                             django_capture_on_commit_callbacks):
    settings.NEWSROOM_FRONTEND_CACHE = {"BACKEND": "stories.frontend_cache.VarnishBackend",
                                        "LOCATION": "http://127.0.0.1:9"}
    with django_capture_on_commit_callbacks(execute=True):
        services.story_retract(story_id=story.pk, user=editor, reason="Forged source.")
    story.refresh_from_db()
    assert story.retracted_at is not None


def archived_copy_pages(snapshot_id: int) -> list[str]:
    base = f"/sources/snapshots/{snapshot_id}/"
    return [base, base + "replay/", base + "capture.warc.gz", base + "screenshot.png"]


def test_a_correction_purges_the_archived_copies_it_no_longer_pins(
        edge, writer, reviewer, editor, django_capture_on_commit_callbacks):
    source = SourceFactory(key="c1")
    first = Snapshot.objects.create(source=source, requested_url=source.url, status_code=200)
    Snapshot.objects.filter(pk=first.pk).update(fetched_at=timezone.now() - timedelta(days=1))
    story = publish_story(writer, reviewer, editor, body="Five cranes arrived [@c1].",
                          sources=[source])
    later = Snapshot.objects.create(source=source, requested_url=source.url, status_code=200)
    edge.clear()
    with django_capture_on_commit_callbacks(execute=True):
        republish(story, writer, reviewer, editor, body="Six cranes arrived [@c1].")
    assert [p for p in archived_copy_pages(first.pk) if not banned(edge, p)] == []
    assert [p for p in archived_copy_pages(later.pk) if not banned(edge, p)] == []


def test_a_source_cited_by_many_stories_is_purged_in_bans_varnish_accepts(
        edge, writer, reviewer, editor, django_capture_on_commit_callbacks):
    source = SourceFactory(key="c1")
    stories = [publish_story(writer, reviewer, editor, title=f"Crane story {n}",
                             slug=f"crane-story-number-{n:03d}-with-a-long-address",
                             body="Five cranes arrived [@c1].", sources=[source])
               for n in range(60)]
    edge.clear()
    with django_capture_on_commit_callbacks(execute=True):
        Source.objects.get(key="c1").save()
    assert len(edge) > 1
    assert max(len(pattern) for pattern in edge) < 8000  # Varnish's default header limit
    assert [s.slug for s in stories if not banned(edge, s.get_absolute_url())] == []
    assert not banned(edge, "/stories/crane-story-number-000-with-a-long-address-2/")
