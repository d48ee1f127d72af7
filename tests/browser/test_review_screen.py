"""The reviewer's screen in a real Chromium: work carried between passes."""

import pytest

from stories import services
from stories.models import Review, Story
from tests.factories import SourceFactory, make_story

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

BODY = ("Ferry crossings rose 12% in July [@ferry-log]. The operator added a second boat "
        "[@ferry-log].\n\nFares are unchanged since 2023 [@fare-table].")


@pytest.fixture
def story(writer):
    SourceFactory(key="ferry-log", title="Crossings by month, 2026")
    SourceFactory(key="fare-table", title="Fare table, valid from 1 January")
    story = make_story(writer, title="Ferry crossings up by an eighth", body=BODY)
    services.story_submit(story_id=story.pk, user=writer)
    return story


def test_a_reviewer_who_comments_then_approves_keeps_every_note(
        live_server, page_factory, story, reviewer):
    reviewer.is_staff = True
    reviewer.save()
    page = page_factory(user=reviewer, live_server=live_server)
    page.goto(f"{live_server.url}/admin/stories/story/{story.pk}/review/")
    note = "Log page 3, July row.\nThe release says 12.4%: rounded down."
    page.select_option("#verdict-1", "supported")
    page.fill("#note-1", note)
    page.select_option("#verdict-2", "needs_source")
    page.fill("#note-2", "Which boat? The log does not name it.")
    page.check("input[name=decision][value=comment]")
    page.get_by_role("button", name="Submit review").click()
    page.wait_for_selector("text=Your review is recorded (comment)")

    # The second pass opens with the first pass's work.
    assert page.input_value("#verdict-1") == "supported"
    assert page.input_value("#note-1") == note
    assert page.input_value("#verdict-2") == "needs_source"
    page.select_option("#verdict-2", "supported")
    page.select_option("#verdict-3", "supported")
    page.check("input[name=decision][value=approve]")
    page.get_by_role("button", name="Submit review").click()
    page.wait_for_selector("text=Your review is recorded (approve)")

    assert Story.objects.get(pk=story.pk).state == "approved"
    approval = Review.objects.get(story=story, decision="approve")
    notes = dict(approval.checks.values_list("claim__ordinal", "note"))
    assert notes == {1: note, 2: "Which boat? The log does not name it.", 3: ""}


def test_a_long_claim_in_the_comment_form_does_not_widen_the_review_screen(
        live_server, page_factory, writer, reviewer):
    reviewer.is_staff = True
    reviewer.save()
    SourceFactory(key="ferry-log")
    long_claim = "The night ferry from Eastmere to the outer islands is running again " * 3
    story = make_story(writer, title="Night ferry", body=f"{long_claim}[@ferry-log].")
    services.story_submit(story_id=story.pk, user=writer)
    page = page_factory(user=reviewer, live_server=live_server, width=1280)
    page.goto(f"{live_server.url}/admin/stories/story/{story.pk}/review/")
    # The claim picker was as wide as its longest claim: the page scrolled sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280


def test_a_long_unbroken_note_does_not_widen_the_workflow_page(live_server, page_factory, story,
                                                               writer, reviewer):
    writer.is_staff = True
    writer.save()
    services.review_submit(story_id=story.pk, reviewer=reviewer, decision="comment",
                           base_revision=Story.objects.get(pk=story.pk).latest_revision
                           .content_hash, comment="x" * 3000)
    page = page_factory(user=writer, live_server=live_server, width=1280)
    page.goto(f"{live_server.url}/admin/stories/story/{story.pk}/workflow/")
    page.locator(".timeline").wait_for()
    # The audit timeline's details cell held the comment on one line, 20,000px wide.
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280


@pytest.mark.parametrize("width", [1280, 390])
def test_a_100k_character_note_is_refused_on_the_screen_with_every_word_kept(
        live_server, page_factory, story, reviewer, width):
    reviewer.is_staff = True
    reviewer.save()
    page = page_factory(width=width, user=reviewer, live_server=live_server)
    page.goto(f"{live_server.url}/admin/stories/story/{story.pk}/review/")
    pasted = "\u202eNote " + "€\u200f" * 50_000  # a paste: 100,006 characters, bidi marks
    page.select_option("#verdict-1", "supported")
    page.locator("#note-1").evaluate("(t, v) => { t.value = v; }", pasted)
    page.fill("#note-2", "Which boat?")
    page.check("input[name=decision][value=comment]")
    page.get_by_role("button", name="Submit review").click()
    page.wait_for_selector("text=a note holds at most 10,000")
    assert "100,006 characters" in page.locator("body").inner_text()
    assert page.input_value("#note-1") == pasted
    assert page.input_value("#note-2") == "Which boat?"
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert not Review.objects.filter(story=story).exists()
