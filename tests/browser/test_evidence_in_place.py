"""Evidence in place on the reviewer's screen, in a real Chromium."""

import pytest

from sources.models import Snapshot
from stories import services
from tests.factories import SourceFactory, make_story

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

FILLER = "The committee heard reports on ferry timetables and harbour lighting. " * 80
SOURCE_TEXT = (FILLER + "\nThe council approved 1.800.000 euros for dredging the harbour. "
               + FILLER)


@pytest.fixture
def story(writer):
    source = SourceFactory(key="minutes", title="Council minutes", url="https://example.org/m")
    Snapshot.objects.create(source=source, requested_url=source.url, final_url=source.url,
                            status_code=200, content_type="text/html", text=SOURCE_TEXT)
    story = make_story(writer, title="Dredging approved",
                       body="The council approved €1.8 million for dredging [@minutes].")
    services.story_submit(story_id=story.pk, user=writer)
    return story


def test_opening_a_claims_source_shows_it_marked_and_scrolled_to_the_first_match(
        live_server, page_factory, story, reviewer):
    reviewer.is_staff = True
    reviewer.save()
    page = page_factory(user=reviewer, live_server=live_server)
    page.goto(f"{live_server.url}/admin/stories/story/{story.pk}/review/")
    page.get_by_text("Show claim 1 in source 1").click()
    mark = page.locator("#ev-first-1-1")
    mark.wait_for()
    assert mark.inner_text() == "1.800.000"
    pane = page.locator(".evidence-pane .source-text")
    assert pane.evaluate("el => el.scrollTop") > 0
    box, frame = mark.bounding_box(), pane.bounding_box()
    assert frame["y"] <= box["y"] <= frame["y"] + frame["height"]
    # Script errors and CSP violations (a missing favicon is neither).
    assert page.evaluate("window.__csp") + [
        p for p in page.problems if not p.startswith("Failed to load resource")] == []
