from datetime import timedelta

import pytest
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


def test_a_source_edit_after_publish_reaches_the_page(client, writer, reviewer, editor):
    source = SourceFactory(title="Old title")
    story = publish_story(writer, reviewer, editor, sources=[source])
    assert "Old title" in page(client, story).split('<ol class="sources">')[1]
    source_services.source_update(source_id=source.pk, user=editor, title="New title")
    sources = page(client, story).split('<ol class="sources">')[1]
    assert "New title" in sources and "Old title" not in sources


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
