"""`make demo`'s scheduler: a real Celery worker with beat on the embedded (filesystem) broker
publishes a scheduled story when it is due, with no Redis anywhere."""

import os
import signal
import subprocess
import sys
from datetime import timedelta

import pytest
from django.utils import timezone

from stories import services
from stories.models import Story
from tests.factories import UserFactory, approved_hash, make_story
from tests.integration.test_celery_worker import ROOT, database_url, roles, shared_sqlite, wait_for
from tests.public.helpers import approve

pytestmark = [pytest.mark.celery_worker,
              pytest.mark.django_db(transaction=True, serialized_rollback=True)]

__all__ = ["roles", "shared_sqlite"]


@pytest.fixture
def demo_worker(shared_sqlite, roles, settings, tmp_path):
    queue = tmp_path / "queue"
    (tmp_path / "queue-control").mkdir(parents=True)
    queue.mkdir()
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("CELERY_", "DATABASE_", "PYTEST_", "REDIS_"))}
    env.update({
        "DJANGO_SETTINGS_MODULE": "newsroom.settings",
        "CELERY_BROKER_URL": "filesystem://",
        "CELERY_FILESYSTEM_DIR": str(queue),
        "NEWSROOM_PUBLISH_DUE_SECONDS": "1",
        "DATABASE_URL": database_url(),
        "DATABASE_CONN_MAX_AGE": "0",
        "DJANGO_MEDIA_ROOT": str(settings.MEDIA_ROOT),
    })
    log = tmp_path / "worker.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "newsroom", "worker", "-B", "--pool=solo",
             "--loglevel=INFO", "-s", str(tmp_path / "beat-schedule"),
             "--hostname", f"demo-{os.getpid()}@%h"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: b" ready." in log.read_bytes() or process.poll() is not None,
                 "the demo worker to start")
        assert process.poll() is None, log.read_text(errors="replace")
        yield log
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


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
