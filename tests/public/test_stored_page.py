from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from sources import services as source_services
from sources.models import Snapshot
from stories import pages, services
from stories.models import Revision
from tests.factories import SourceFactory
from tests.public.helpers import publish_story

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _cache_off(settings):
    settings.NEWSROOM_PAGE_CACHE_SECONDS = 0


def page(client, story) -> str:
    response = client.get(story.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


def test_page_published_stores_the_page(writer, reviewer, editor,
                                        django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        story = publish_story(writer, reviewer, editor)
    revision = Revision.objects.get(pk=story.live_revision_id)
    assert revision.page["stamp"] and "Harbour cranes arrive" in revision.page["meta"]
    assert revision.teaser.partition("\n")[2].startswith('<article class="teaser')


def test_a_source_edit_after_publish_does_not_reach_the_page(client, writer, reviewer, editor):
    source = SourceFactory(title="Old title")
    story = publish_story(writer, reviewer, editor, sources=[source])
    assert "Old title" in page(client, story).split('<ol class="sources">')[1]
    source_services.source_update(source_id=source.pk, user=editor, title="New title",
                                  url="https://evil.example/phish")
    sources = page(client, story).split('<ol class="sources">')[1]
    assert "Old title" in sources and "New title" not in sources
    assert "evil.example" not in sources


def test_a_broken_link_found_after_publish_puts_the_archive_first(client, writer, reviewer,
                                                                   editor):
    source = SourceFactory()
    snapshot = Snapshot.objects.create(source=source, requested_url=source.url, status_code=200)
    Snapshot.objects.filter(pk=snapshot.pk).update(fetched_at=timezone.now() - timedelta(days=1))
    story = publish_story(writer, reviewer, editor, sources=[source])
    assert "reported broken" not in page(client, story)
    source.health = "broken"
    source.save()
    item = page(client, story).split('<li id="source-1"')[1]
    assert item.index(f"/sources/snapshots/{snapshot.pk}/") < item.index(f'href="{source.url}"')
    assert "reported broken" in item


def test_a_retraction_reaches_the_stored_page_without_the_task(client, writer, reviewer, editor):
    story = publish_story(writer, reviewer, editor)
    page(client, story)
    services.story_retract(story_id=story.pk, user=editor, reason="Forged source.")
    assert "Forged source." in page(client, story)


def test_an_author_change_reaches_the_stored_page(client, writer, other_writer, reviewer,
                                                  editor):
    story = publish_story(writer, reviewer, editor)
    page(client, story)
    services.story_update(story_id=story.pk, user=editor, authors=[writer, other_writer])
    assert other_writer.get_full_name() in page(client, story)


def test_public_api_detail_reads_the_stored_page(client, writer, reviewer, editor):
    story = publish_story(writer, reviewer, editor)
    data = client.get(f"/api/v1/public/stories/{story.slug}/").json()
    assert data == pages.api_detail(story.slug, origin="http://testserver")
    assert data["url"] == f"http://testserver{story.get_absolute_url()}"
    assert data["html"] == story.live_revision.html


# --- the per-process memo of stored pages (stories.pages._Memo) ------------------------------

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="the memo is keyed by PostgreSQL's row version (xmin); SQLite has none, so it is off")


@pytest.fixture
def memo(settings):
    settings.NEWSROOM_STORED_PAGE_MEMO_BYTES = 32 * 1024 * 1024
    pages.memo.clear()
    yield pages.memo
    pages.memo.clear()


def sql_for(client, url) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return [q["sql"] for q in captured.captured_queries]


@postgresql_only
@pytest.mark.parametrize("api", [False, True], ids=["page", "api"])
def test_a_second_view_does_not_read_the_body(client, settings, writer, reviewer, editor, memo,
                                              api):
    settings.NEWSROOM_PREPARED_STATEMENTS = False  # a server-bound query logs no SQL text
    story = publish_story(writer, reviewer, editor)
    url = f"/api/v1/public/stories/{story.slug}/" if api else story.get_absolute_url()
    client.get(url)  # builds the stored parts (a new row version), then reads them once more
    first = sql_for(client, url)
    assert any("r.html" in sql for sql in first)
    second = sql_for(client, url)
    assert len(second) == 1 and "html" not in second[0]


@postgresql_only
def test_a_rebuilt_page_is_not_served_from_the_memo(client, writer, reviewer, editor, memo):
    source = SourceFactory(title="Old title")
    story = publish_story(writer, reviewer, editor, sources=[source])
    for _ in range(3):
        assert "reported broken" not in page(client, story)
    # Link health is the one thing about a source the page follows live (titles are pinned).
    source.health = "broken"
    source.save()
    sources = page(client, story).split('<ol class="sources">')[1]
    assert "reported broken" in sources and "Old title" in sources


@postgresql_only
def test_an_edit_behind_the_services_back_is_not_served_from_the_memo(client, writer, reviewer,
                                                                       editor, memo):
    story = publish_story(writer, reviewer, editor)
    for _ in range(3):
        page(client, story)
    Revision.objects.filter(pk=story.live_revision_id).update(html="<p>Repaired in SQL</p>")
    assert "Repaired in SQL" in page(client, story)


def test_the_memo_is_bounded_by_bytes(settings):
    settings.NEWSROOM_STORED_PAGE_MEMO_BYTES = 100
    memo = pages._Memo()
    memo.put("a", b"a", 60)
    memo.put("b", b"b", 60)  # over the bound: the least recently used entry goes
    assert memo.get("a") is None and memo.get("b") == b"b"
    memo.put("c", b"c", 101)  # larger than the bound: not kept
    assert memo.get("c") is None
    settings.NEWSROOM_STORED_PAGE_MEMO_BYTES = 0
    memo.put("d", b"d", 1)
    assert memo.get("d") is None
