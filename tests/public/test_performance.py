import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

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
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def test_story_page_query_count_is_constant(client, settings, writer, reviewer, editor):
    settings.NEWSROOM_PAGE_CACHE_SECONDS = 0
    small = story_with(writer, reviewer, editor, claims=10, sources=10, title="Small story")
    large = story_with(writer, reviewer, editor, claims=1000, sources=60, title="Large story")
    assert large.live_revision.claims.count() == 1000
    for story in (small, large):  # the first view stores the page parts (publish does it too)
        client.get(story.get_absolute_url())
    small_count = queries_for(client, small.get_absolute_url())
    large_count = queries_for(client, large.get_absolute_url())
    assert small_count == large_count
    assert large_count <= 2


def test_home_page_query_count_is_constant(client, settings, writer, reviewer, editor):
    settings.NEWSROOM_PAGE_CACHE_SECONDS = 0
    publish_story(writer, reviewer, editor, title="One")
    one = queries_for(client, "/")
    for n in range(4):
        publish_story(writer, reviewer, editor, title=f"More {n}")
    assert queries_for(client, "/") == one


def test_cached_story_page_costs_no_query(client, settings, writer, reviewer, editor):
    settings.NEWSROOM_PAGE_CACHE_SECONDS = 300
    story = publish_story(writer, reviewer, editor, title="Cached")
    client.get(story.get_absolute_url())
    assert queries_for(client, story.get_absolute_url()) == 0


def test_cached_home_page_costs_no_query(client, settings, writer, reviewer, editor):
    settings.NEWSROOM_PAGE_CACHE_SECONDS = 300
    publish_story(writer, reviewer, editor, title="Cached")
    client.get("/")
    assert queries_for(client, "/") == 0
