import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from stories import pages
from tests.factories import SourceFactory
from tests.public.helpers import publish_story

pytestmark = pytest.mark.django_db


def story_with(writer, reviewer, editor, *, claims: int, sources: int, title: str):
    library = [SourceFactory() for _ in range(sources)]
    body = "\n\n".join(
        f"Claim {i} says the port moved {i} boxes [@{library[i % sources].key}]."
        for i in range(claims)
    )
    return publish_story(writer, reviewer, editor, title=title, body=body, sources=library)


def queries_for(client, url) -> int:
    # Today's top stories are built once a minute for every page (guarded below), not per view.
    pages.top_stories()
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


STORY_PAGE_QUERIES = 4  # story and live revision, authors, approvals, link health
# Rendering the cached fragments reads what only they show: the body's HTML and the log entries.
FRAGMENT_QUERIES = 2


@pytest.mark.parametrize("fragment_cache", [False, True], ids=["cold", "warm"])
def test_story_page_query_count_is_small_and_constant(client, settings, writer, reviewer,
                                                      editor, fragment_cache):
    settings.NEWSROOM_PAGE_CACHE_SECONDS = 300 if fragment_cache else 0
    small = story_with(writer, reviewer, editor, claims=10, sources=10, title="Small story")
    large = story_with(writer, reviewer, editor, claims=1000, sources=60, title="Large story")
    assert large.live_revision.claims.count() == 1000
    if fragment_cache:
        for story in (small, large):
            client.get(story.get_absolute_url())
    expected = STORY_PAGE_QUERIES + (0 if fragment_cache else FRAGMENT_QUERIES)
    assert queries_for(client, small.get_absolute_url()) == expected
    assert queries_for(client, large.get_absolute_url()) == expected


def test_a_corrected_story_page_adds_one_query(client, writer, reviewer, editor):
    from tests.public.helpers import republish

    story = story_with(writer, reviewer, editor, claims=3, sources=2, title="Corrected")
    republish(story, writer, reviewer, editor, title="Corrected again")
    client.get(story.get_absolute_url())
    assert queries_for(client, story.get_absolute_url()) == STORY_PAGE_QUERIES + 1


def test_home_page_query_count_is_constant(client, settings, writer, reviewer, editor):
    settings.NEWSROOM_PAGE_CACHE_SECONDS = 0
    publish_story(writer, reviewer, editor, title="One")
    one = queries_for(client, "/")
    for n in range(4):
        publish_story(writer, reviewer, editor, title=f"More {n}")
    assert queries_for(client, "/") == one <= 4


def test_a_304_costs_no_more_queries_than_the_page(client, writer, reviewer, editor):
    story = publish_story(writer, reviewer, editor, title="Revalidated")
    etag = client.get(story.get_absolute_url())["ETag"]
    with CaptureQueriesContext(connection) as captured:
        response = client.get(story.get_absolute_url(), HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 304
    assert len(captured) <= STORY_PAGE_QUERIES


TOP_STORIES_QUERIES = 6  # candidates, view counts, newest; then stories, authors, approvals


def test_top_stories_cost_a_fixed_number_of_queries_once_a_minute(client, writer, reviewer,
                                                                 editor):
    from django.core.cache import cache

    for n in range(8):
        publish_story(writer, reviewer, editor, title=f"Top {n}")
    cache.clear()
    with CaptureQueriesContext(connection) as captured:
        pages.top_stories()
    assert len(captured) <= TOP_STORIES_QUERIES
    with CaptureQueriesContext(connection) as captured:
        pages.top_stories()
    assert len(captured) == 0


@pytest.mark.parametrize("url", ["story", "home"])
def test_a_page_reads_the_shared_cache_for_its_top_stories_once(client, monkeypatch, writer,
                                                               reviewer, editor, url):
    """The ETag and the page share one read of the live generation and the teasers: with Redis
    as the cache, each read is a network round trip."""
    from django.core.cache import cache

    story = publish_story(writer, reviewer, editor, title="Read once")
    reads = []
    real_get = cache.get

    def counting_get(key, *args, **kwargs):
        reads.append(key)
        return real_get(key, *args, **kwargs)

    monkeypatch.setattr(cache, "get", counting_get)
    response = client.get(story.get_absolute_url() if url == "story" else "/")
    assert response.status_code == 200
    assert reads.count(pages.LIVE_GENERATION_KEY) == 1
