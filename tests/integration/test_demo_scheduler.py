"""`make demo`'s scheduler: a real Celery worker with beat on the embedded (filesystem) broker
publishes a scheduled story when it is due, with no Redis anywhere."""

import os
from datetime import timedelta

import pytest
from django.utils import timezone

from stories import services
from stories.models import Story
from tests.factories import UserFactory, approved_hash, make_story
from tests.integration.test_celery_worker import (
    ready_worker,
    roles,
    shared_sqlite,
    wait_for,
    worker_env,
)
from tests.public.helpers import approve

pytestmark = [pytest.mark.celery_worker,
              pytest.mark.django_db(transaction=True, serialized_rollback=True)]

__all__ = ["roles", "shared_sqlite"]


@pytest.fixture
def demo_worker(shared_sqlite, roles, settings, tmp_path):
    queue = tmp_path / "queue"
    queue.mkdir()
    (tmp_path / "queue-control").mkdir()
    env = worker_env(settings, "filesystem://", CELERY_FILESYSTEM_DIR=str(queue),
                     NEWSROOM_PUBLISH_DUE_SECONDS="1")
    log = tmp_path / "worker.log"
    with ready_worker(log, env, "-B", "--pool=solo", "--loglevel=INFO",
                      "-s", str(tmp_path / "beat-schedule"),
                      "--hostname", f"demo-{os.getpid()}@%h"):
        yield log


def test_a_scheduled_story_goes_live_on_time_without_redis(demo_worker):
    writer = UserFactory(username="demo-writer", roles=["Writers"])
    reviewer = UserFactory(username="demo-reviewer", roles=["Reviewers"])
    editor = UserFactory(username="demo-editor", roles=["Editors"])
    story = make_story(writer, body="Cranes arrived on Monday.")
    services.story_submit(story_id=story.pk, user=writer)
    approve(story, reviewer)
    services.story_publish(story_id=story.pk, user=editor, revision=approved_hash(story),
                           publish_at=timezone.now() + timedelta(seconds=3))
    assert Story.objects.get(pk=story.pk).state == "scheduled"
    live = wait_for(lambda: Story.objects.filter(pk=story.pk, state="published").exists(),
                    "beat to publish the story", timeout=60)
    assert live, demo_worker.read_text(errors="replace")
    assert Story.objects.get(pk=story.pk).live_revision_id is not None
