import xml.etree.ElementTree as ET

import pytest
from django.db import connection
from django.urls import reverse

from sources.models import Snapshot
from stories import selectors, services
from tests.factories import SourceFactory
from tests.public.helpers import publish_story, sitemap_urls

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return response.content.decode()


def test_home_lists_published_stories_with_teaser_facts(client, writer, reviewer, editor):
    publish_story(writer, reviewer, editor, title="Cranes arrive", dek="Three of them.")
    page = text(client.get("/"))
    assert "Cranes arrive" in page and "Three of them." in page
    assert "Staff Writer" in page
    assert "Reviewed by First Reviewer" in page
    assert "2 Sources" in page


def listing(response) -> str:
    """The paginated listing alone (not today's top stories beside it)."""
    page = text(response)
    start = page.index('<div class="teasers">')
    return page[start:page.index("</div>", start)]


def test_home_paginates(client, writer, reviewer, editor, monkeypatch):
    monkeypatch.setattr("stories.views.HOME_PAGE_SIZE", 2)
    for n in range(3):
        publish_story(writer, reviewer, editor, title=f"Story number {n}")
    first, second = listing(client.get("/")), listing(client.get("/?page=2"))
    assert "Story number 2" in first and "Story number 0" not in first
    assert "Story number 0" in second
    assert "Story number 2" in listing(client.get("/?page=abc"))


def test_home_is_empty_without_stories(client, db):
    assert "Nothing published yet." in text(client.get("/"))


def test_every_public_page_links_the_transparency_log(client, db):
    # The log was reachable only from a published story's "In the public log" entry.
    response = client.get(reverse("home"))
    assert f'href="{reverse("transparency")}"' in response.text


def test_author_page_lists_their_published_stories(client, writer, reviewer, editor):
    publish_story(writer, reviewer, editor, title="Written by the writer")
    response = client.get(reverse("author-detail", args=["writer"]))
    assert response.status_code == 200
    assert "Staff Writer" in text(response) and "Written by the writer" in text(response)


def test_unknown_author_is_404(client, db):
    assert client.get(reverse("author-detail", args=["nobody"])).status_code == 404


def test_source_page_lists_citing_stories(client, writer, reviewer, editor):
    source = SourceFactory(key="port-report", title="Annual port report")
    publish_story(writer, reviewer, editor, title="Cranes arrive", sources=[source])
    response = client.get(reverse("source-detail", args=["port-report"]))
    assert response.status_code == 200
    assert "Annual port report" in text(response) and "Cranes arrive" in text(response)


def test_source_page_hides_internal_notes(client, writer, reviewer, editor):
    source = SourceFactory(key="noted", notes="Internal: the contact is nervous")
    publish_story(writer, reviewer, editor, sources=[source])
    assert "nervous" not in text(client.get(reverse("source-detail", args=["noted"])))


def test_snapshot_page_shows_archived_copy_frame(client, writer, reviewer, editor):
    source = SourceFactory(key="snap")
    snapshot = Snapshot.objects.create(source=source, requested_url=source.url, status_code=200,
                                       final_url=source.url, text="The port moved 3 cranes.")
    publish_story(writer, reviewer, editor, sources=[source])
    response = client.get(reverse("snapshot-detail", args=[snapshot.pk]))
    assert response.status_code == 200
    page = text(response)
    assert "This is an archived copy" in page
    assert "The port moved 3 cranes." in page
    assert source.url in page


def test_search_finds_published_stories_with_snippet(client, writer, reviewer, editor):
    source = SourceFactory(key="s1")
    publish_story(writer, reviewer, editor, title="Cranes arrive",
                  body="The gantry cranes came from Shanghai [@s1].", sources=[source])
    publish_story(writer, reviewer, editor, title="Unrelated", sources=[SourceFactory()])
    page = text(client.get("/search/", {"q": "gantry"}))
    assert "Cranes arrive" in page and "Unrelated" not in page
    assert "<mark>" in page.lower()
    assert "1 result for" in page


def test_search_pages_its_results_with_a_snippet_for_each_shown(client, writer, reviewer,
                                                                 editor, monkeypatch):
    monkeypatch.setattr("stories.selectors.SEARCH_PAGE_SIZE", 2)
    for n in range(3):
        publish_story(writer, reviewer, editor, title=f"Gantry number {n}",
                      body=f"Gantry {n} came from Shanghai [@g{n}].",
                      sources=[SourceFactory(key=f"g{n}")])
    first = text(client.get("/search/", {"q": "gantry"}))
    second = text(client.get("/search/", {"q": "gantry", "page": "2"}))
    assert first.count('class="snippet"') == 2 and second.count('class="snippet"') == 1
    assert "best match first: page 1." in first
    assert 'href="?q=gantry&amp;page=2">More results →</a>' in first
    assert 'href="?q=gantry&amp;page=1">← Better matches</a>' in second
    shown = {f"Gantry number {n}" for n in range(3) if f"Gantry number {n}" in first + second}
    assert len(shown) == 3  # every match on one page or the other


def test_search_escapes_the_query_and_snippets(client, writer, reviewer, editor):
    publish_story(writer, reviewer, editor, title="Cranes",
                  body="Use <b>bold</b> claims [@e1].", sources=[SourceFactory(key="e1")])
    page = text(client.get("/search/", {"q": "<script>x</script>"}))
    assert "<script>x</script>" not in page
    assert 'value="&lt;script&gt;x&lt;/script&gt;"' in page
    page = text(client.get("/search/", {"q": "bold"}))
    assert "1 result for “bold”." in page
    assert '<a href="/stories/cranes/">Cranes</a>' in page
    assert "Use &lt;b&gt;<mark>bold</mark>&lt;/b&gt; claims" in page
    assert "<b>bold</b>" not in page


def test_search_without_query_shows_form(client, db):
    response = client.get("/search/")
    assert response.status_code == 200 and 'name="q"' in text(response)


def test_search_ranks_on_postgresql(client, writer, reviewer, editor):
    if connection.vendor != "postgresql":
        pytest.skip("ranking and headlines are PostgreSQL features; SQLite uses the fallback")
    publish_story(writer, reviewer, editor, title="Harbour cranes",
                  body="Cranes, cranes and more cranes [@r1].", sources=[SourceFactory(key="r1")])
    publish_story(writer, reviewer, editor, title="Budget",
                  body="A budget that mentions a crane once [@r2].",
                  sources=[SourceFactory(key="r2")])
    hits = selectors.search_published("cranes")
    assert [h.item.revision.title for h in hits][0] == "Harbour cranes"
    assert "<mark>" in hits[0].snippet


def test_feed_lists_published_stories(client, writer, reviewer, editor):
    story = publish_story(writer, reviewer, editor, title="Cranes arrive", dek="Three of them.")
    response = client.get("/feed/")
    assert response.status_code == 200
    root = ET.fromstring(response.content)  # noqa: S314 - our own feed
    items = root.findall("./channel/item")
    assert [i.findtext("title") for i in items] == ["Cranes arrive"]
    assert items[0].findtext("link").endswith(story.get_absolute_url())
    assert items[0].findtext("description") == "Three of them."


def test_sitemap_lists_published_stories(client, writer, reviewer, editor):
    story = publish_story(writer, reviewer, editor)
    response = client.get("/sitemap.xml")
    assert response.status_code == 200 and "<sitemapindex" in text(response)
    assert f"http://testserver{story.get_absolute_url()}" in sitemap_urls(client)


def test_robots_txt_points_to_sitemap_without_db(client, django_assert_num_queries, db):
    with django_assert_num_queries(0):
        response = client.get("/robots.txt")
    assert response["Content-Type"].startswith("text/plain")
    assert "Sitemap: http://testserver/sitemap.xml" in text(response)
    assert "Disallow: /preview/" in text(response)


def test_favicon_ico_leads_browsers_to_the_site_icon(client, db):
    from django.contrib.staticfiles import finders

    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"] == "/static/newsroom/favicon.svg"
    with open(finders.find("newsroom/favicon.svg"), encoding="utf-8") as icon:
        assert icon.read().startswith("<svg")


def test_pages_name_the_site_icon(client, db):
    assert 'rel="icon" href="/static/newsroom/favicon.svg"' in text(client.get("/"))


def test_healthz_answers_ok(client, db):
    response = client.get("/healthz")
    # Each dependency by name (issue 12); tests/integration/test_redis_down.py has the rest.
    assert response.status_code == 200 and response.json()["status"] == "ok"


def test_pages_have_landmarks_and_skip_link(client, writer, reviewer, editor):
    story = publish_story(writer, reviewer, editor)
    for url in ("/", story.get_absolute_url(), reverse("story-history", args=[story.slug])):
        page = text(client.get(url))
        assert '<a class="skip-link" href="#main">' in page
        assert '<main id="main"' in page
        assert 'role="banner"' in page and 'role="contentinfo"' in page


def test_404_page_is_friendly(client, db, settings):
    settings.DEBUG = False
    response = client.get("/stories/missing/")
    assert response.status_code == 404
    assert "We can" in text(response)


def test_public_pages_refuse_post(client, writer, reviewer, editor):
    story = publish_story(writer, reviewer, editor)
    assert client.post(story.get_absolute_url()).status_code == 405


def test_retracted_story_is_marked_in_feed(client, writer, reviewer, editor):
    story = publish_story(writer, reviewer, editor, title="Cranes arrive")
    services.story_retract(story_id=story.pk, user=editor, reason="Wrong.")
    assert "Retracted: Cranes arrive" in text(client.get("/feed/"))


def test_json_ld_is_not_on_other_pages(client, writer, reviewer, editor):
    publish_story(writer, reviewer, editor)
    assert "application/ld+json" not in text(client.get("/"))
