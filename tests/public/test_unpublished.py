"""Nothing unpublished is reachable anonymously: every public surface, one table."""

import pytest
from django.urls import reverse

from sources.models import Snapshot
from stories import services
from tests.factories import SourceFactory, make_story
from tests.public.helpers import approve, publish_story, sitemap_urls

pytestmark = pytest.mark.django_db

SECRET = "Zanzibar"  # a word only the unpublished text contains

SURFACES = [
    "/", "/feed/", "/sitemap.xml", f"/search/?q={SECRET}", "/authors/writer/",
]


@pytest.fixture
def drafts(writer, reviewer, editor):
    """A draft, an in-review and an approved story, each citing a source nobody published."""
    hidden = [SourceFactory(key=f"hidden-{n}", title=f"{SECRET} memo {n}") for n in range(3)]
    draft = make_story(writer, title=f"{SECRET} draft", body=f"{SECRET} [@hidden-0].",
                       sources=[hidden[0]])
    in_review = make_story(writer, title=f"{SECRET} in review", body=f"{SECRET} [@hidden-1].",
                           sources=[hidden[1]])
    services.story_submit(story_id=in_review.pk, user=writer)
    approved = make_story(writer, title=f"{SECRET} approved", body=f"{SECRET} [@hidden-2].",
                          sources=[hidden[2]])
    services.story_submit(story_id=approved.pk, user=writer)
    approve(approved, reviewer)
    return {"stories": [draft, in_review, approved], "sources": hidden}


@pytest.fixture
def edited_live(writer, reviewer, editor):
    """A published story whose new, unpublished revision adds text and a source."""
    story = publish_story(writer, reviewer, editor, title="Harbour cranes arrive",
                          body="Three cranes arrived [@live-src].",
                          sources=[SourceFactory(key="live-src")])
    extra = SourceFactory(key="draft-src", title=f"{SECRET} leak")
    services.story_update(story_id=story.pk, user=writer, title=f"{SECRET} new headline",
                          body=f"{SECRET} cranes arrived [@live-src]. More [@draft-src].",
                          source_keys=["live-src", "draft-src"])
    services.story_submit(story_id=story.pk, user=writer)
    approve(story, reviewer)  # approved but not yet published: still not live
    return story, extra


@pytest.mark.parametrize("url", SURFACES)
def test_no_surface_shows_unpublished_stories(client, drafts, edited_live, url):
    response = client.get(url)
    assert response.status_code in (200, 404)
    page = response.content.decode()
    # The search page repeats the query back; that is not a leak.
    for echo in (f'value="{SECRET}"', f"Search: {SECRET}", f"\u201c{SECRET}\u201d"):
        page = page.replace(echo, "")
    assert SECRET not in page
    if url.startswith("/search/"):
        assert "0 results" in page


def test_unpublished_story_pages_are_404(client, drafts):
    for story in drafts["stories"]:
        assert client.get(story.get_absolute_url()).status_code == 404
        assert client.get(reverse("story-history", args=[story.slug])).status_code == 404


def test_unpublished_stories_sources_are_404(client, drafts):
    for source in drafts["sources"]:
        snapshot = Snapshot.objects.create(source=source, requested_url=source.url,
                                           status_code=200, text=SECRET)
        assert client.get(reverse("source-detail", args=[source.key])).status_code == 404
        assert client.get(reverse("snapshot-detail", args=[snapshot.pk])).status_code == 404


def test_author_without_published_stories_is_404(client, drafts):
    assert client.get(reverse("author-detail", args=["writer"])).status_code == 404


def test_edited_published_story_shows_the_live_revision(client, edited_live):
    story, _ = edited_live
    page = client.get(story.get_absolute_url()).content.decode()
    assert "Three cranes arrived" in page
    assert SECRET not in page
    assert '<span class="source-count">1 Source</span>' in page
    history = client.get(reverse("story-history", args=[story.slug])).content.decode()
    assert SECRET not in history


def test_source_added_by_unpublished_revision_is_404(client, edited_live):
    _, extra = edited_live
    assert client.get(reverse("source-detail", args=[extra.key])).status_code == 404
    live = client.get(reverse("source-detail", args=["live-src"]))
    assert live.status_code == 200
    assert SECRET not in live.content.decode()


def test_search_does_not_find_unpublished_revision_text(client, edited_live):
    page = client.get("/search/", {"q": "cranes"}).content.decode()
    assert "Harbour cranes arrive" in page
    assert SECRET not in page


def test_feed_sitemap_and_home_show_live_title(client, edited_live):
    story, _ = edited_live
    for url in ("/", "/feed/", "/authors/writer/"):
        page = client.get(url).content.decode()
        assert "Harbour cranes arrive" in page, url
    assert f"http://testserver{story.get_absolute_url()}" in sitemap_urls(client)


def test_public_api_does_not_list_drafts(client, drafts):
    response = client.get("/api/v1/public/stories/")
    if response.status_code == 404:
        pytest.skip("public API not built yet")
    assert SECRET not in response.content.decode()


def test_staff_can_open_a_snapshot_of_a_source_no_published_story_cites(client, writer):
    source = SourceFactory(key="under-review")
    snapshot = Snapshot.objects.create(source=source, requested_url=source.url,
                                       status_code=200, text="Tonnage rose 9%.")
    url = reverse("snapshot-detail", args=[snapshot.pk])
    assert client.get(url).status_code == 404
    client.force_login(writer)
    response = client.get(url)
    assert response.status_code == 200
    assert "Tonnage rose 9%." in response.content.decode()
