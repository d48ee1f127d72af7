import pytest
from django.core.cache import cache

from stories import services
from stories.tasks import page_published
from tests.factories import SourceFactory
from tests.public.helpers import publish_story, republish

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _cache_on(settings):
    settings.NEWSROOM_PAGE_CACHE_SECONDS = 300


@pytest.fixture
def story(writer, reviewer, editor):
    return publish_story(writer, reviewer, editor, body="Five cranes arrived [@c1].",
                         sources=[SourceFactory(key="c1")])


def text(client, url) -> str:
    return client.get(url).content.decode()


def test_story_page_is_served_from_cache(client, story):
    assert "Five cranes" in text(client, story.get_absolute_url())
    type(story.live_revision).objects.filter(pk=story.live_revision_id).update(
        html="<p>Changed behind the cache's back</p>")
    assert "Five cranes" in text(client, story.get_absolute_url())


def test_cached_page_gets_a_fresh_nonce_each_time(client, story):
    first = client.get(story.get_absolute_url())
    second = client.get(story.get_absolute_url())
    nonce = second.content.decode().split('type="application/ld+json" nonce="')[1].split('"')[0]
    assert nonce != "__csp_nonce_placeholder__"
    assert f"'nonce-{nonce}'" in second["Content-Security-Policy"]
    assert first.content != second.content


def test_correction_invalidates_story_and_home(client, story, writer, reviewer, editor,
                                               django_capture_on_commit_callbacks):
    assert "Five cranes" in text(client, story.get_absolute_url())
    text(client, "/")
    with django_capture_on_commit_callbacks(execute=True):
        republish(story, writer, reviewer, editor, title="Three cranes arrive",
                  body="Three cranes arrived [@c1].", note="Corrected the number of cranes.")
    page = text(client, story.get_absolute_url())
    assert "Three cranes arrived" in page and "Corrected the number of cranes." in page
    assert "Three cranes arrive" in text(client, "/")


def test_retraction_invalidates_story_and_home(client, story, editor,
                                               django_capture_on_commit_callbacks):
    text(client, story.get_absolute_url())
    text(client, "/")
    with django_capture_on_commit_callbacks(execute=True):
        services.story_retract(story_id=story.pk, user=editor, reason="Forged source.")
    assert "Forged source." in text(client, story.get_absolute_url())
    assert "Retracted" in text(client, "/")


def test_publish_invalidates_home(client, story, writer, reviewer, editor,
                                  django_capture_on_commit_callbacks):
    text(client, "/")
    with django_capture_on_commit_callbacks(execute=True):
        publish_story(writer, reviewer, editor, title="A second story")
    assert "A second story" in text(client, "/")


def test_page_published_task_drops_cached_pages(client, story):
    text(client, story.get_absolute_url())
    type(story.live_revision).objects.filter(pk=story.live_revision_id).update(
        html="<p>Rebuilt after the task</p>")
    page_published(story.pk)
    assert "Rebuilt after the task" in text(client, story.get_absolute_url())


def test_publish_runs_the_invalidation_task_on_commit(story, writer, reviewer, editor,
                                                       django_capture_on_commit_callbacks):
    generation = cache.get("page:generation") or 0
    with django_capture_on_commit_callbacks(execute=True):
        republish(story, writer, reviewer, editor, body="Four cranes arrived [@c1].")
    assert (cache.get("page:generation") or 0) > generation


def test_zero_seconds_turns_the_cache_off(client, settings, story):
    settings.NEWSROOM_PAGE_CACHE_SECONDS = 0
    text(client, story.get_absolute_url())
    type(story.live_revision).objects.filter(pk=story.live_revision_id).update(
        html="<p>Fresh every time</p>")
    assert "Fresh every time" in text(client, story.get_absolute_url())


def test_signed_in_staff_bypass_the_cache(client, story, editor):
    text(client, story.get_absolute_url())
    type(story.live_revision).objects.filter(pk=story.live_revision_id).update(
        html="<p>Staff see this</p>")
    client.force_login(editor)
    assert "Staff see this" in text(client, story.get_absolute_url())
