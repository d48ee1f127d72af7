"""A direction control a story's body leaves open is the writer's to fix (a warning where they
write and where it is reviewed), and never reverses what readers are shown after its block."""

import pytest
from django.urls import reverse
from selectolax.lexbor import LexborHTMLParser

from audit.text import open_direction_controls
from stories import services
from tests.factories import SourceFactory, make_story
from tests.public.helpers import publish_story

pytestmark = pytest.mark.django_db

RLO, PDF = "\u202e", "\u202c"
WARNING = ("Line 1, column 12: a right-to-left override (U+202E) is left open to the end of "
           "its paragraph")


def body_for(one, two) -> str:
    return (f"Fares rose {RLO}ten percent [@{one.key}]. The ferry ran late.\n\n"
            f"The next paragraph is read as typed [@{two.key}].")


def test_the_published_page_ends_the_override_with_its_paragraph(client, writer, reviewer,
                                                                  editor):
    one, two = SourceFactory(), SourceFactory()
    story = publish_story(writer, reviewer, editor, body=body_for(one, two), sources=[one, two])
    page = client.get(story.get_absolute_url()).content.decode()
    paragraphs = LexborHTMLParser(page).css("article .story-body p, article p")
    first = next(p for p in paragraphs if "Fares rose" in p.text())
    assert first.html.endswith(f"The ferry ran late.{PDF}</p>")
    assert all(open_direction_controls(p.text()) == [] for p in paragraphs)
    assert "The next paragraph is read as typed" in page
    assert story.live_revision.body == body_for(one, two)  # the Markdown as the writer typed it


def test_the_review_screen_warns_and_ends_the_override_with_its_paragraph(client, writer,
                                                                          reviewer):
    one, two = SourceFactory(), SourceFactory()
    story = make_story(writer, body=body_for(one, two), sources=[one, two])
    services.story_submit(story_id=story.pk, user=writer)
    reviewer.is_staff = True
    reviewer.save()
    client.force_login(reviewer)
    page = client.get(reverse("admin:stories_story_review", args=[story.pk])).content.decode()
    assert WARNING in page
    assert f"The ferry ran late.{PDF}</p>" in page


def test_the_writers_change_form_and_the_editor_check_give_the_warning(client, writer):
    one, two = SourceFactory(), SourceFactory()
    story = make_story(writer, body=body_for(one, two), sources=[one, two])
    writer.is_staff = True
    writer.save()
    client.force_login(writer)
    page = client.get(reverse("admin:stories_story_change", args=[story.pk])).content.decode()
    assert WARNING in page
    assert story.latest_revision.body == body_for(one, two)
    assert any(w["code"] == "open_direction_control" for w in story.latest_revision.warnings)
