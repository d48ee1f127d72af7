"""Costs that do not grow with the archive (issue 16): the same queries with 1 story as with
many, no list read or counted in full, deep and odd pages answered quickly and politely."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit import paging
from tests.factories import SourceFactory
from tests.public.helpers import publish_story, republish, sitemap_index, sitemap_urls
from tests.security.conftest import login

pytestmark = pytest.mark.django_db


def captured(client, url, *, warm=False):
    if warm:  # what a minute's caches keep (top stories, the sitemap's files) is filled first
        client.get(url)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response, [q["sql"] for q in queries.captured_queries]


def unbounded_counts(queries) -> list[str]:
    """Counting queries that are not over a LIMIT subquery: they read the whole list."""
    return [sql for sql in queries
            if sql.upper().startswith("SELECT COUNT(") and "LIMIT" not in sql.upper()]


@pytest.fixture
def archive(writer, reviewer, editor):
    """Grows one archive: each call publishes `n` more stories by the same author, all citing
    the same source."""
    cited = SourceFactory(key="port-annual")
    made = []

    def grow(n):
        for _ in range(n):
            made.append(publish_story(writer, reviewer, editor, title=f"Story {len(made)}",
                                      body="The port grew [@port-annual].", sources=[cited]))
        return made[-1]

    return grow


PUBLIC_LISTS = ["/", "/?page=2", "/authors/writer/", "/sources/port-annual/", "/feed/",
                "/sitemap.xml", "/search/?q=port", "/api/v1/public/stories/"]


@pytest.mark.parametrize("url", PUBLIC_LISTS)
def test_public_lists_run_the_same_queries_with_few_stories_and_with_many(
        client, settings, archive, url, monkeypatch):
    settings.NEWSROOM_PAGE_CACHE_SECONDS = 0
    monkeypatch.setattr("stories.views.HOME_PAGE_SIZE", 2)
    archive(3)  # enough for a second page
    few = len(captured(client, url, warm=True)[1])
    archive(5)
    assert len(captured(client, url, warm=True)[1]) == few


def test_a_sitemap_file_runs_the_same_queries_with_one_story_and_with_many(client, archive):
    archive(1)
    file = "/sitemap-stories-0.xml"
    one = len(captured(client, file)[1])
    archive(4)
    assert len(captured(client, file)[1]) == one
    assert len(sitemap_urls(client)) == 1 + 5  # the home page and every story


def test_the_sitemap_index_splits_the_stories_into_files_by_id(client, archive):
    from stories.sitemaps import STORIES_PER_FILE

    story = archive(1)
    response = client.get("/sitemap.xml")
    body = response.content.decode()
    assert "<sitemapindex" in body and "<lastmod>" in body
    assert f"/sitemap-stories-{story.pk // STORIES_PER_FILE}.xml" in body
    assert STORIES_PER_FILE <= 50_000  # the protocol's limit per file


def test_the_cached_sitemap_index_shows_a_retraction_on_the_next_request(
        client, archive, editor):
    from stories import services
    from stories.sitemaps import STORIES_PER_FILE

    story = archive(1)
    file = f"http://testserver/sitemap-stories-{story.pk // STORIES_PER_FILE}.xml"
    before = sitemap_index(client)[file]
    assert sitemap_index(client)[file] == before  # answered again, unchanged
    services.story_retract(story_id=story.pk, user=editor, reason="The figures were wrong.")
    assert sitemap_index(client)[file] > before


def test_the_cached_sitemap_index_names_a_new_file_once_a_story_lands_in_it(
        client, archive, monkeypatch):
    monkeypatch.setattr("stories.sitemaps.STORIES_PER_FILE", 1)
    first = archive(1)
    assert len(sitemap_index(client)) == 2  # the pages file and the first story's
    second = archive(1)
    assert f"http://testserver/sitemap-stories-{second.pk}.xml" in sitemap_index(client)
    assert f"http://testserver/sitemap-stories-{first.pk}.xml" in sitemap_index(client)


def test_the_sitemap_index_names_the_address_it_was_asked_on(client, archive, settings):
    settings.ALLOWED_HOSTS = ["testserver", "news.example"]
    archive(1)
    sitemap_index(client)  # cached for testserver
    other = sitemap_index(client, HTTP_HOST="news.example")
    assert other and all(loc.startswith("http://news.example/") for loc in other)


def test_no_public_list_counts_or_reads_the_archive_whole(client, archive):
    archive(3)
    for url in PUBLIC_LISTS:
        assert unbounded_counts(captured(client, url)[1]) == [], url


def test_a_page_past_the_end_is_empty_and_says_so(client, archive):
    archive(1)
    for url in ("/?page=100000", "/?page=99999999999999999999", "/authors/writer/?page=5000",
                "/sources/port-annual/?page=5000"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "past the end of the list" in response.content.decode(), url


def test_odd_page_numbers_show_the_first_page(client, archive):
    archive(1)
    for url in ("/?page=-4", "/?page=abc", "/?page=", "/?page=1e9"):
        assert "Story 0" in client.get(url).content.decode(), url


def test_deep_pages_stop_at_the_list_limit(client, archive, monkeypatch, settings):
    settings.NEWSROOM_PAGE_CACHE_SECONDS = 0
    monkeypatch.setattr("stories.views.HOME_PAGE_SIZE", 1)
    monkeypatch.setattr(paging, "LIMIT", 2)
    archive(3)
    page = client.get("/?page=3").content.decode()
    assert "Page 2" in page  # clamped to the deepest page served
    assert 'rel="next"' not in page


def test_a_source_page_pages_its_citing_stories(client, archive, monkeypatch, settings):
    settings.NEWSROOM_PAGE_CACHE_SECONDS = 0
    monkeypatch.setattr("stories.views.HOME_PAGE_SIZE", 2)
    archive(3)
    first = client.get("/sources/port-annual/").content.decode()
    second = client.get("/sources/port-annual/?page=2").content.decode()
    assert "Story 2" in first and "Story 1" in first and "Story 0" not in first
    assert 'rel="next"' in first and "Story 0" in second


def test_the_review_trail_of_a_much_corrected_story_is_paged(
        client, writer, reviewer, editor, monkeypatch):
    monkeypatch.setattr("stories.views.HISTORY_PAGE_SIZE", 2)
    story = publish_story(writer, reviewer, editor, title="Corrected")
    url = f"{story.get_absolute_url()}history/"
    republish(story, writer, reviewer, editor, title="Corrected 1")
    two_versions = len(captured(client, url)[1])
    for n in range(2, 4):
        republish(story, writer, reviewer, editor, title=f"Corrected {n}")
    first, queries = captured(client, url)
    assert len(queries) == two_versions
    text = first.content.decode()
    assert text.count('class="trail-entry"') == 2 and "Current version" in text
    assert 'rel="next"' in text
    older = client.get(url + "?page=2").content.decode()
    assert older.count('class="trail-entry"') == 2 and "Current version" not in older
    assert "First published version." in older


ADMIN_LISTS = ["/admin/stories/story/", "/admin/stories/story/?state__exact=published",
               "/admin/stories/story/?q=Story", "/admin/stories/revision/",
               "/admin/sources/source/", "/admin/audit/event/"]


@pytest.mark.parametrize("url", ADMIN_LISTS)
def test_admin_changelists_never_count_a_whole_table(client, archive, editor, url):
    archive(2)
    login(client, editor)
    client.get(url)  # what a changelist caches (the audit action filter's list) is filled
    one = captured(client, url)[1]
    archive(3)
    many = captured(client, url)[1]
    assert unbounded_counts(many) == []
    assert len(many) == len(one)


def test_an_admin_changelist_past_its_count_limit_says_how_many_it_counted(
        client, archive, editor, monkeypatch):
    monkeypatch.setattr(paging.BoundedPaginator, "limit", 2)
    archive(3)
    login(client, editor)
    page = client.get("/admin/stories/story/").content.decode()
    assert re.search(r"2\s+stories", page)


API_LISTS = ["/api/v1/stories/", "/api/v1/stories/?state=published", "/api/v1/sources/",
             "/api/v1/sources/?health=ok", "/api/v1/public/stories/"]


@pytest.mark.parametrize("url", API_LISTS)
def test_api_lists_never_count_a_whole_table(client, archive, editor, url):
    archive(2)
    login(client, editor)
    client.get(url)  # what a changelist caches (the audit action filter's list) is filled
    one = captured(client, url)[1]
    archive(3)
    many = captured(client, url)[1]
    assert unbounded_counts(many) == []
    assert len(many) == len(one)


def test_api_pages_past_the_limit_answer_404_with_a_message(client, archive, editor,
                                                            monkeypatch):
    monkeypatch.setattr(paging.BoundedPaginator, "limit", 2)
    archive(3)
    login(client, editor)
    listed = client.get("/api/v1/stories/?page_size=1").json()
    assert listed["count"] == 2
    response = client.get("/api/v1/stories/?page_size=1&page=3")
    assert response.status_code == 404
    assert "filters" in response.json()["detail"]


def test_a_huge_api_page_size_is_cut_to_200(client, archive, editor):
    archive(1)
    login(client, editor)
    response = client.get("/api/v1/stories/?page_size=100000000")
    assert response.status_code == 200 and len(response.json()["results"]) == 1


@pytest.mark.parametrize("query", ["port " * 2500, "port" + " OR -\"(" * 900, "'&|!:*<->" * 50,
                                   "\\" * 5000])
def test_long_or_operator_laden_searches_are_bounded_and_safe(client, archive, query):
    archive(1)
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/search/", {"q": query})
    assert response.status_code == 200
    assert all(len(q["sql"]) < 20_000 for q in queries.captured_queries)
