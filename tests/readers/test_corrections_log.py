"""The public corrections log (/corrections/ and its feed), newest first, cacheable."""

import pytest
from django.urls import reverse

from stories import frontend_cache, services
from tests.public.helpers import publish_story, republish
from tests.security.html_checks import feed_problems, html_problems

pytestmark = pytest.mark.django_db


def test_the_log_lists_corrections_updates_and_retractions_newest_first(client, writer,
                                                                         reviewer, editor):
    first = publish_story(writer, reviewer, editor, title="Cranes arrive")
    second = publish_story(writer, reviewer, editor, title="Ferry fares rise")
    republish(first, writer, reviewer, editor, note="The crane count was wrong.",
              title="Cranes arrive, three of them")
    republish(second, writer, reviewer, editor, note="Added the council's reply.",
              note_kind="update", title="Ferry fares rise again")
    services.story_retract(story_id=first.pk, user=editor, reason="The report was withdrawn.")
    page = client.get(reverse("corrections")).content.decode()
    order = [page.index(text) for text in ("The report was withdrawn.",
                                           "Added the council&#x27;s reply.",
                                           "The crane count was wrong.")]
    assert order == sorted(order)
    assert "Retraction" in page and "Update" in page and "Correction" in page
    assert "Ferry fares rise again" in page


def test_the_log_is_empty_before_any_correction_and_a_first_publication_is_none(client,
                                                                               live_story):
    page = client.get(reverse("corrections")).content.decode()
    assert "No corrections yet." in page


def test_the_log_is_cacheable_and_answers_304(client, live_story, writer, reviewer, editor):
    republish(live_story, writer, reviewer, editor, title="Harbour cranes arrive late")
    response = client.get(reverse("corrections"))
    assert "s-maxage" in response["Cache-Control"] and "public" in response["Cache-Control"]
    again = client.get(reverse("corrections"), HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304


def test_a_new_correction_changes_the_logs_etag(client, live_story, writer, reviewer, editor):
    before = client.get(reverse("corrections"))["ETag"]
    republish(live_story, writer, reviewer, editor, title="Harbour cranes arrive late")
    assert client.get(reverse("corrections"))["ETag"] != before


def test_the_feed_lists_each_entry_with_story_and_note(client, live_story, writer, reviewer,
                                                       editor):
    republish(live_story, writer, reviewer, editor, note="Fixed <b>the</b> date.",
              title="Harbour cranes arrive late")
    response = client.get(reverse("corrections-feed"))
    body = response.content
    assert response.status_code == 200 and b"<rss" in body
    assert b"Correction: Harbour cranes arrive late" in body
    assert feed_problems(body) == []


def test_publishing_a_correction_purges_the_log_from_the_edge(live_story):
    paths = frontend_cache.story_paths(live_story)
    assert reverse("corrections") in paths and reverse("corrections-feed") in paths


def test_hostile_notes_are_text_on_the_log(client, live_story, writer, reviewer, editor):
    payload = "<script>alert(1)</script><img src=x onerror=alert(2)>"
    republish(live_story, writer, reviewer, editor, note=payload,
              title="Harbour cranes arrive late")
    services.story_retract(story_id=live_story.pk, user=editor, reason=payload)
    page = client.get(reverse("corrections")).content.decode()
    assert html_problems(page) == []
    assert feed_problems(client.get(reverse("corrections-feed")).content) == []
