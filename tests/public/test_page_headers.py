"""HTTP caching of the public pages beyond the story, home, corrections and transparency pages
(tests/public/test_cache.py): the review trail, author and source pages, search, the sitemap and
the archived copies. Shared caches may keep an anonymous answer; a signed-in
one is private; a client holding the page as it is now gets a 304 that repeats how long it may
be kept, and one holding an older page gets the new one."""

from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from sources import services as source_services
from sources.models import Snapshot, Source
from tests.factories import SourceFactory
from tests.public.helpers import publish_story, republish
from tests.sources.fixture_server import Page, fixture_server

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("page_cache_on")]

PAGE = ("<html><head><title>Crane census</title></head><body><article><h1>Crane census</h1>"
        "<p>Five cranes arrived in the harbour on Tuesday, the port authority said in a "
        "statement to reporters.</p></article></body></html>")


@pytest.fixture
def site(settings):
    settings.SOURCE_FETCH_ALLOW_PRIVATE = True
    with fixture_server({"/census": Page(PAGE), "/gone": Page("<h1>Gone</h1>", status=410)}) \
            as (base, _):
        yield base


@pytest.fixture
def story(site, writer, reviewer, editor):
    """A published story citing an archived source (its WARC and a screenshot kept)."""
    source = SourceFactory(key="c1", url=f"{site}/census")
    source_services.source_capture(source_id=source.pk)
    snapshot = source.snapshots.get()
    snapshot.screenshot.save("census.png", ContentFile(b"\x89PNG\r\n\x1a\nnot really"))
    return publish_story(writer, reviewer, editor, title="Harbour cranes arrive",
                         body="Five cranes arrived [@c1].", sources=[source])


def snapshot_id() -> int:
    return Snapshot.objects.get(source__key="c1").pk


PAGES = {
    "history": lambda story: reverse("story-history", args=[story.slug]),
    "author": lambda story: reverse("author-detail", args=["writer"]),
    "source": lambda story: reverse("source-detail", args=["c1"]),
    "search": lambda story: reverse("search") + "?q=cranes",
    "sitemap": lambda story: reverse("sitemap"),
    "sitemap-pages": lambda story: reverse("sitemap-pages"),
    "sitemap-stories": lambda story: reverse("sitemap-stories", args=[story.pk // 500]),
    "snapshot": lambda story: reverse("snapshot-detail", args=[snapshot_id()]),
    "replay": lambda story: reverse("snapshot-replay", args=[snapshot_id()]),
    "warc": lambda story: reverse("snapshot-warc", args=[snapshot_id()]),
    "screenshot": lambda story: reverse("snapshot-screenshot", args=[snapshot_id()]),
}


def directives(response) -> set[str]:
    return {d.strip() for d in response.get("Cache-Control", "").split(",") if d.strip()}


@pytest.mark.parametrize("which", PAGES)
def test_an_anonymous_answer_may_be_kept_by_shared_caches(client, story, which):
    response = client.get(PAGES[which](story))
    assert response.status_code == 200
    assert directives(response) == {"public", "max-age=0", "s-maxage=300",
                                    "stale-while-revalidate=60"}
    assert {"Cookie", "Accept-Encoding"} <= {v.strip() for v in response["Vary"].split(",")}


@pytest.mark.parametrize("which", PAGES)
def test_an_unchanged_page_answers_304_saying_how_long_it_may_be_kept(client, story, which):
    url = PAGES[which](story)
    first = client.get(url)
    again = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and again.content == b""
    assert directives(again) == directives(first)
    assert "Cookie" in again["Vary"]


@pytest.mark.parametrize("which", PAGES)
def test_a_signed_in_answer_is_private(client, story, writer, which):
    client.force_login(writer)
    response = client.get(PAGES[which](story))
    assert response.status_code == 200
    assert "private" in directives(response) and "public" not in directives(response)


@pytest.mark.parametrize("name", ["snapshot-replay", "snapshot-warc", "snapshot-screenshot"])
def test_the_notice_explaining_a_failed_capture_to_staff_is_private(client, site, writer, name):
    source = SourceFactory(url=f"{site}/gone")
    source_services.source_capture(source_id=source.pk)
    client.force_login(writer)
    response = client.get(reverse(name, args=[source.snapshots.get().pk]))
    assert response.status_code == 404 and "HTTP 410" in response.content.decode()
    assert "private" in directives(response) and "public" not in directives(response)


# --- a client holding an older page gets the new one ---------------------------------------


def reads_the_change(client, url, first, expected: str) -> None:
    again = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 200 and again["ETag"] != first["ETag"]
    assert expected in again.content.decode()


@pytest.mark.parametrize("which", ["author", "source", "search", "sitemap-stories"])
def test_a_new_story_reaches_a_client_revalidating(client, story, writer, reviewer, editor,
                                                  which):
    url = PAGES[which](story)
    first = client.get(url)
    ferry = publish_story(writer, reviewer, editor, title="Ferry cranes idle",
                          body="Cranes idle at the ferry terminal [@c1].", sources=["c1"])
    reads_the_change(client, url, first,
                     ferry.slug if which == "sitemap-stories" else "Ferry cranes idle")


def test_a_retraction_reaches_a_client_revalidating_the_sitemap_index(client, story, editor):
    from stories import services

    first = client.get(PAGES["sitemap"](story))
    services.story_retract(story_id=story.pk, user=editor, reason="Forged source.")
    story.refresh_from_db()
    # The file holding the story shows the retraction's date as its last change.
    reads_the_change(client, PAGES["sitemap"](story), first,
                     story.retracted_at.isoformat(timespec="seconds")[:19])


@pytest.mark.parametrize("which,who", [
    ("history", "reviewer"),  # the trail names who checked each version, not the authors
    *((page, who) for page in ("author", "source", "search") for who in ("author", "reviewer"))])
def test_a_rename_reaches_a_client_revalidating(client, story, writer, reviewer, which, who):
    url = PAGES[which](story)
    first = client.get(url)
    person = writer if who == "author" else reviewer
    person.first_name, person.last_name = "Ingrid", "Solberg"
    person.save()
    reads_the_change(client, url, first, "Ingrid Solberg")


def test_a_correction_reaches_a_client_revalidating_the_review_trail(client, story, writer,
                                                                    reviewer, editor):
    url = PAGES["history"](story)
    first = client.get(url)
    republish(story, writer, reviewer, editor, body="Four cranes arrived [@c1].",
              note="Four cranes, not five.")
    reads_the_change(client, url, first, "Four cranes, not five.")


def test_a_source_edit_reaches_a_client_revalidating_its_archived_copy(client, story):
    url = PAGES["snapshot"](story)
    first = client.get(url)
    Source.objects.filter(key="c1").update(outlet="Port Authority Gazette")
    reads_the_change(client, url, first, "Port Authority Gazette")


def test_a_story_published_in_the_same_second_reaches_a_crawler_revalidating_by_date(
        client, story, writer, reviewer, editor, monkeypatch):
    # Crawlers that keep only dates send If-Modified-Since alone; the file's newest date has
    # whole seconds, and a second story published in the same second does not move it.
    second = timezone.now().replace(microsecond=0) + timedelta(seconds=5)
    moments = iter([second + timedelta(microseconds=100 * n) for n in range(1, 5000)])
    monkeypatch.setattr(timezone, "now", lambda: next(moments))
    publish_story(writer, reviewer, editor, title="Crane one", body="One [@c1].", sources=["c1"])
    url = PAGES["sitemap-stories"](story)
    first = client.get(url)
    ferry = publish_story(writer, reviewer, editor, title="Crane two", body="Two [@c1].",
                          sources=["c1"])
    headers = {"HTTP_IF_MODIFIED_SINCE": first["Last-Modified"]} \
        if first.has_header("Last-Modified") else {}
    again = client.get(url, **headers)
    assert again.status_code == 200 and ferry.slug in again.content.decode()
