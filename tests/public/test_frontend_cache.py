import re
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.test import Client
from django.utils import timezone

from sources.models import Snapshot, Source
from stories import services
from tests.factories import SourceFactory
from tests.public.helpers import publish_story, republish

pytestmark = pytest.mark.django_db


@pytest.fixture
def edge(settings):
    """A local stand-in for Varnish that records the bans it receives: (header, pattern)."""
    bans: list[tuple[str, str]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_BAN(self):  # noqa: N802 - the method's name
            bans.extend((name, self.headers[name]) for name in ("X-Ban-Url", "X-Ban-Tags")
                        if self.headers[name])
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


def banned(bans: list[tuple[str, str]], path: str) -> bool:
    """Whether Varnish would drop its copy of this page after these bans: by its path, or by
    the surrogate keys the app labels the page with (default.vcl bans on both)."""
    keys = None
    for header, pattern in bans:
        if header == "X-Ban-Url" and re.match(pattern, path):
            return True
        if header == "X-Ban-Tags":
            keys = Client().get(path).get("Surrogate-Key", "") if keys is None else keys
            if re.search(pattern, keys):
                return True
    return False


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


def test_a_link_check_that_finds_the_same_health_purges_nothing(
        edge, settings, writer, reviewer, editor, django_capture_on_commit_callbacks):
    from sources import services as source_services
    from tests.sources.fixture_server import Page, fixture_server

    settings.SOURCE_FETCH_ALLOW_PRIVATE = True
    page = "<html><head><title>Crane count</title></head><body><p>Five cranes.</p></body></html>"
    with fixture_server({"/cranes": Page(page)}) as (base, _):
        source = SourceFactory(key="d1", url=f"{base}/cranes")
        source_services.source_capture(source_id=source.pk)
        story = publish_story(writer, reviewer, editor, body="Five cranes arrived [@d1].",
                              sources=[source])
        edge.clear()
        with django_capture_on_commit_callbacks(execute=True):
            assert source_services.source_check_link(source_id=source.pk).health == "ok"
        # A sweep checks the whole library: only a change readers see purges their pages.
        assert not banned(edge, story.get_absolute_url()) and not banned(edge, "/sources/d1/")
        Source.objects.filter(pk=source.pk).update(health="broken")
        with django_capture_on_commit_callbacks(execute=True):
            assert source_services.source_check_link(source_id=source.pk).health == "ok"
        assert banned(edge, story.get_absolute_url()) and banned(edge, "/sources/d1/")


def test_an_author_rename_purges_their_stories(edge, story, writer,
                                               django_capture_on_commit_callbacks):
    edge.clear()
    with django_capture_on_commit_callbacks(execute=True):
        writer.first_name = "Renamed"
        writer.save()
    assert banned(edge, story.get_absolute_url()) and banned(edge, "/authors/writer/")


def test_an_author_cleared_off_the_byline_has_their_page_purged(
        edge, story, writer, other_writer, django_capture_on_commit_callbacks):
    story.authors.add(other_writer)
    edge.clear()
    with django_capture_on_commit_callbacks(execute=True):
        story.authors.clear()  # what remove() says with its ids, clear() does not
        story.authors.add(writer)
    assert banned(edge, "/authors/writer2/") and banned(edge, "/authors/writer2/?page=2")


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


def test_a_source_cited_by_many_stories_is_purged_by_one_ban_whatever_their_number(
        edge, writer, reviewer, editor, django_capture_on_commit_callbacks):
    source = SourceFactory(key="c1")
    stories = [publish_story(writer, reviewer, editor, title=f"Crane story {n}",
                             body="Five cranes arrived [@c1].", sources=[source])
               for n in range(30)]
    other = publish_story(writer, reviewer, editor, title="Tugboats",
                          body="Two tugs [@t1].", sources=[SourceFactory(key="t1")])
    edge.clear()
    with django_capture_on_commit_callbacks(execute=True):
        Source.objects.get(key="c1").save()
    # The source's page by path, the stories citing it by key; each is sent again after
    # REPEAT_AFTER (tasks run eagerly here: at once).
    assert len(set(edge)) == 2 and len(edge) == 4
    assert [s.slug for s in stories if not banned(edge, s.get_absolute_url())] == []
    assert banned(edge, f"/api/v1/public/stories/{stories[0].slug}/")
    assert not banned(edge, other.get_absolute_url())


def test_a_story_citing_hundreds_of_sources_is_purged_in_bans_varnish_accepts(
        edge, writer, reviewer, editor, django_capture_on_commit_callbacks):
    sources = [SourceFactory(key=f"harbour-survey-{n:03d}-annual-report") for n in range(200)]
    body = " ".join(f"Claim {n} [@{s.key}]." for n, s in enumerate(sources))
    with django_capture_on_commit_callbacks(execute=True):
        publish_story(writer, reviewer, editor, body=body, sources=sources)
    assert len(edge) > 1
    assert max(len(pattern) for _, pattern in edge) < 8000  # Varnish's default header limit
    assert [s.key for s in sources if not banned(edge, f"/sources/{s.key}/")] == []


def test_story_pages_name_what_they_show_for_the_edge_cache(client, story, writer):
    keys = client.get(story.get_absolute_url())["Surrogate-Key"].split()
    assert {f"story-{story.pk}", f"author-{writer.pk}", "source-c1"} <= set(keys)


def test_a_source_edit_purges_its_archived_copy_pages(edge, story,
                                                      django_capture_on_commit_callbacks):
    source = Source.objects.get(key="c1")
    snapshot = Snapshot.objects.create(source=source, requested_url=source.url, status_code=200)
    edge.clear()
    with django_capture_on_commit_callbacks(execute=True):
        source.title = "Harbour crane census, corrected title"
        source.save()
    assert banned(edge, f"/sources/snapshots/{snapshot.pk}/")


@pytest.mark.parametrize("change", ["remove", "clear"])
def test_a_byline_changed_from_the_authors_side_purges_the_story_and_their_page(
        edge, story, other_writer, change, django_capture_on_commit_callbacks):
    story.authors.add(other_writer)
    edge.clear()
    with django_capture_on_commit_callbacks(execute=True):
        if change == "remove":
            other_writer.stories.remove(story)
        else:
            other_writer.stories.clear()
    assert banned(edge, story.get_absolute_url()) and banned(edge, "/authors/writer2/")


def test_a_user_added_to_a_byline_from_their_side_purges_the_story(
        edge, story, other_writer, django_capture_on_commit_callbacks):
    edge.clear()
    with django_capture_on_commit_callbacks(execute=True):
        other_writer.stories.add(story)
    assert banned(edge, story.get_absolute_url()) and banned(edge, "/authors/writer2/")


def test_a_rename_purges_the_search_results_naming_them(edge, story, reviewer,
                                                        django_capture_on_commit_callbacks):
    edge.clear()
    with django_capture_on_commit_callbacks(execute=True):
        reviewer.first_name = "Renamed"
        reviewer.save()
    assert banned(edge, "/search/?q=cranes") and banned(edge, "/search/?q=cranes&page=2")


def test_publish_purges_the_sitemap_index_and_the_file_listing_the_story(
        edge, writer, reviewer, editor, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        story = publish_story(writer, reviewer, editor)
    assert banned(edge, "/sitemap.xml")
    assert banned(edge, f"/sitemap-stories-{story.pk // 500}.xml")


def test_a_new_username_purges_every_page_of_the_old_author_address(
        edge, client, story, writer, django_capture_on_commit_callbacks):
    # What the edge holds: the old address, past the end of the list too (no teaser on it).
    held = {path: client.get(path).get("Surrogate-Key", "")
            for path in ("/authors/writer/", "/authors/writer/?page=9")}
    edge.clear()
    with django_capture_on_commit_callbacks(execute=True):
        writer.username = "ingrid-solberg"
        writer.save()
    tag_bans = [pattern for header, pattern in edge if header == "X-Ban-Tags"]
    assert [path for path, keys in held.items()
            if not any(re.search(pattern, keys) for pattern in tag_bans)] == []


def test_a_correction_citing_a_source_no_more_purges_its_archived_copies_readers_lose(
        edge, story, writer, reviewer, editor, django_capture_on_commit_callbacks):
    # Taken after the publish: readers may open it (its source is cited), none pins it.
    later = Snapshot.objects.create(source=Source.objects.get(key="c1"),
                                    requested_url="https://example.org/", status_code=200)
    assert Client().get(f"/sources/snapshots/{later.pk}/").status_code == 200
    edge.clear()
    with django_capture_on_commit_callbacks(execute=True):
        republish(story, writer, reviewer, editor, body="Five cranes arrived [@c2].",
                  source_keys=[SourceFactory(key="c2").key])
    assert Client().get(f"/sources/snapshots/{later.pk}/").status_code == 404
    assert banned(edge, f"/sources/snapshots/{later.pk}/")


def test_a_correction_leaves_the_archived_copies_of_a_source_other_stories_cite(
        edge, story, writer, reviewer, editor, django_capture_on_commit_callbacks):
    publish_story(writer, reviewer, editor, title="Tugboats", body="Two tugs [@c1].",
                  sources=["c1"])
    later = Snapshot.objects.create(source=Source.objects.get(key="c1"),
                                    requested_url="https://example.org/", status_code=200)
    edge.clear()
    with django_capture_on_commit_callbacks(execute=True):
        republish(story, writer, reviewer, editor, body="Five cranes arrived [@c2].",
                  source_keys=[SourceFactory(key="c2").key])
    assert not banned(edge, f"/sources/snapshots/{later.pk}/")


def test_log_entries_backfilled_for_a_story_purge_its_pages(
        edge, writer, reviewer, editor, monkeypatch, django_capture_on_commit_callbacks):
    import io

    from django.core.management import call_command

    from stories import transparency

    monkeypatch.setattr(transparency, "log_revision", lambda **kwargs: None)
    story = publish_story(writer, reviewer, editor, title="Logged late")
    monkeypatch.undo()
    edge.clear()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("transparency_backfill", stdout=io.StringIO())
    for path in (story.get_absolute_url(), f"{story.get_absolute_url()}history/",
                 "/transparency/"):
        assert banned(edge, path), path
