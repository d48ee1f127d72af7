"""Comment threads beside their text in the writer's editor: gutter marks, outdated ones apart,
a click opens the thread, and the marks follow their words while the writer types."""

import pytest

from stories import services
from tests.browser.conftest import axe_violations
from tests.browser.test_editor import errors, open_form
from tests.factories import SourceFactory, latest_hash, make_story

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

BODY = ("The ferry timetable changes in May [@ferries].\n"
        "\n"
        "Fares rise by 4% for season tickets [@ferries].\n"
        "\n"
        "The night crossing is withdrawn until the autumn [@ferries].\n")

# Each gutter mark: its text, class, the threads it opens, and the editor line beside it.
MARKS = """() => {
  const view = document.querySelector('textarea[data-editor=story]').newsroomEditor;
  return [...document.querySelectorAll('.nr-comment-gutter .nr-comment-mark')].map(m => {
    const r = m.getBoundingClientRect();
    const pos = view.posAtCoords({x: view.contentDOM.getBoundingClientRect().left + 2,
                                  y: r.top + r.height / 2});
    return {text: m.textContent, outdated: m.classList.contains('nr-comment-outdated'),
            threads: m.dataset.threads, line: view.state.doc.lineAt(pos).number};
  });
}"""


@pytest.fixture
def threads(writer, reviewer):
    SourceFactory(key="ferries")
    story = make_story(writer, title="Ferry changes", body=BODY, sources=["ferries"])
    services.story_submit(story_id=story.pk, user=writer)
    gone = services.comment_start(story_id=story.pk, user=reviewer, text="Which crossing?",
                                  revision=latest_hash(story), quote="The night crossing")
    services.story_withdraw(story_id=story.pk, user=writer)
    services.story_update(story_id=story.pk, user=writer,
                          body=BODY.replace("The night crossing", "The late sailing"))
    services.story_submit(story_id=story.pk, user=writer)
    fares = services.comment_start(story_id=story.pk, user=reviewer, text="4% of what?",
                                   revision=latest_hash(story), quote="Fares rise by 4%")
    return story, fares, gone


def test_threads_show_as_gutter_marks_on_their_lines_outdated_apart(
        live_server, page_factory, writer, threads):
    story, fares, gone = threads
    page = open_form(page_factory, live_server, writer, story)
    page.wait_for_selector(".nr-comment-gutter .nr-comment-mark")
    marks = sorted(page.evaluate(MARKS), key=lambda m: m["line"])
    assert marks == [
        {"text": "1", "outdated": False, "threads": f"comment-{fares.pk}", "line": 3},
        {"text": "!", "outdated": True, "threads": f"comment-{gone.pk}", "line": 5},
    ]
    assert page.locator(".cm-line.nr-commented-line").count() == 2
    assert page.locator(".nr-comment-passage").inner_text() == "Fares rise by 4%"
    assert "outdated" in page.locator(".nr-comment-outdated").get_attribute("title")
    assert errors(page) == []
    assert axe_violations(page) == []


def test_clicking_a_mark_opens_its_thread(live_server, page_factory, writer, threads):
    story, fares, _ = threads
    page = open_form(page_factory, live_server, writer, story, height=600)
    page.locator(".nr-comment-gutter .nr-comment-mark").first.click()
    thread = page.locator(f"#comment-{fares.pk}")
    assert "thread-current" in thread.get_attribute("class")
    page.wait_for_function(
        f"() => {{ const r = document.getElementById('comment-{fares.pk}')"
        ".getBoundingClientRect(); return r.top >= 0 && r.top < innerHeight; }")
    assert page.evaluate("document.activeElement.id") == f"reply-{fares.pk}"
    assert "4% of what?" in thread.inner_text()


def test_a_mark_follows_its_words_while_the_writer_types(live_server, page_factory, writer,
                                                         threads):
    story, fares, gone = threads
    page = open_form(page_factory, live_server, writer, story)
    page.locator(".nr-editor .cm-content").click()
    page.keyboard.press("Control+Home")
    page.keyboard.type("A new first paragraph.\n\n")
    page.wait_for_function("() => document.querySelectorAll('.nr-comment-mark').length === 2")
    lines = {m["threads"]: m["line"] for m in page.evaluate(MARKS)}
    assert lines == {f"comment-{fares.pk}": 5, f"comment-{gone.pk}": 7}


def test_the_comments_section_sits_below_the_story_form_not_behind_it(live_server, page_factory,
                                                                      writer, threads):
    story, _, _ = threads
    page = open_form(page_factory, live_server, writer, story)
    form = page.locator("#story_form").bounding_box()
    heading = page.locator("#comments-title").bounding_box()
    # Beside the admin's floated form, the heading's coloured box spanned the whole form and
    # showed as empty bars between its fieldsets.
    assert heading["y"] >= form["y"] + form["height"]
    assert heading["height"] < 80
