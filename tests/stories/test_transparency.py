import json

import pytest
from django.core.management import call_command

from audit.models import TransparencyEntry
from stories import services, transparency
from tests.public.helpers import publish_story, republish

pytestmark = pytest.mark.django_db


def test_backfill_logs_stories_published_before_the_log(writer, reviewer, editor, monkeypatch,
                                                       capsys):
    monkeypatch.setattr(transparency, "log_revision", lambda **kwargs: None)
    story = publish_story(writer, reviewer, editor)
    republish(story, writer, reviewer, editor, body=story.body + " More.", note="Fixed.")
    services.story_retract(story_id=story.pk, user=editor, reason="Recanted.")
    monkeypatch.undo()
    assert not TransparencyEntry.objects.exists()
    call_command("transparency_backfill")
    assert "3 entries appended" in capsys.readouterr().out
    entries = [json.loads(e.data) for e in TransparencyEntry.objects.order_by("index")]
    assert [(e["kind"], e["revision"]) for e in entries] == [
        ("publish", 1), ("correction", 2), ("retraction", 2)]
    assert entries[1]["note"] == "Fixed." and entries[2]["reason"] == "Recanted."
    assert all("published_at" in e for e in entries)
    call_command("transparency_backfill")
    assert "0 entries appended" in capsys.readouterr().out
