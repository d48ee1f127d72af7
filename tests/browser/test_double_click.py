"""A double click in a real Chromium on the desk's buttons that create or change something:
one comment, one reply, one review, one preview link, one reply e-mail, one publication,
and a page that says it was saved, not an error."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from audit.models import Event
from stories import services
from stories.models import Comment, CommentThread, PreviewLink, Review, Story
from tests.factories import SourceFactory, approved_hash, latest_hash, make_story
from tests.public.helpers import approve, publish_story

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

BODY = "Ferry crossings rose 12% in July [@ferry-log]. Fares are unchanged [@ferry-log]."


@pytest.fixture
def story(writer, reviewer, editor):
    for user in (writer, reviewer, editor):
        user.is_staff = True
        user.save()
    SourceFactory(key="ferry-log", title="Crossings by month")
    story = make_story(writer, title="Ferry crossings up", body=BODY)
    services.story_submit(story_id=story.pk, user=writer)
    return story


def double_click(page, button, done: str) -> int:
    """Double-click `button` for real; the number of form POSTs the browser sent (Chromium
    sends one while an identical one is pending; other browsers and retries send two)."""
    posts = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    page.locator(button).dblclick()
    page.wait_for_selector(f"text={done}")
    page.wait_for_load_state("networkidle")
    print(f"{button}: {len(posts)} POST(s) sent")
    return len(posts)


def test_double_clicked_add_comment_and_reply_save_once(live_server, page_factory, story,
                                                        writer, reviewer):
    page = page_factory(user=reviewer, live_server=live_server)
    page.goto(f"{live_server.url}/admin/stories/story/{story.pk}/review/")
    page.fill("#comment-quote", "rose 12% in July")
    page.fill("#comment-text", "Which month's log?")
    sent = double_click(page, ".comment-start input[type=submit]", "Comment added.")
    assert sent >= 1
    assert CommentThread.objects.count() == 1
    assert page.locator(".errornote, .messagelist .error").count() == 0

    page = page_factory(user=writer, live_server=live_server)
    page.goto(f"{live_server.url}/admin/stories/story/{story.pk}/review/")
    page.fill(".comment-reply textarea", "The July log, page 3.")
    double_click(page, ".comment-reply input[type=submit]", "Reply added.")
    assert Comment.objects.count() == 2
    assert page.locator(".messagelist .error").count() == 0


# The same form sent twice as it stands, as a retrying network or a second click in a browser
# that does not drop it sends it: both answers say it was saved, and it was saved once.
RESEND = """async (selector) => {
  const form = document.querySelector(selector);
  const send = () => fetch(form.action || location.href, {method: "POST",
                                                          body: new FormData(form)});
  const answers = [await send(), await send()];  // one after the other: SQLite serialises
  return Promise.all(answers.map(async a => [a.status, await a.text()]));
}"""


@pytest.mark.parametrize("form, fill, saved", [
    (".comment-start", {"#comment-quote": "rose 12% in July", "#comment-text": "Which log?"},
     "Comment added."),
    (".review-form", {"textarea[name=comment]": "Close; check the fares line."},
     "Your review is recorded (comment)"),
])
def test_a_desk_form_sent_twice_from_the_browser_is_saved_once(
        live_server, page_factory, story, reviewer, form, fill, saved):
    page = page_factory(user=reviewer, live_server=live_server)
    page.goto(f"{live_server.url}/admin/stories/story/{story.pk}/review/")
    page.check("input[name=decision][value=comment]")
    for field, value in fill.items():
        page.fill(field, value)
    answers = page.evaluate(RESEND, form)
    assert [status for status, _ in answers] == [200, 200]
    assert all(saved in text for _, text in answers)
    assert CommentThread.objects.count() + Review.objects.filter(decision="comment").count() == 1


def test_double_clicked_review_comment_is_recorded_once(live_server, page_factory, story,
                                                        reviewer):
    page = page_factory(user=reviewer, live_server=live_server)
    page.goto(f"{live_server.url}/admin/stories/story/{story.pk}/review/")
    page.check("input[name=decision][value=comment]")
    page.fill("textarea[name=comment]", "Close; check the fares line.")
    double_click(page, ".review-form input[type=submit]", "Your review is recorded (comment)")
    assert Review.objects.filter(decision="comment").count() == 1
    assert page.locator(".errornote, .messagelist .error").count() == 0


def test_double_clicked_preview_link_and_publish(live_server, page_factory, story, reviewer,
                                                 editor):
    page = page_factory(user=editor, live_server=live_server)
    page.goto(f"{live_server.url}/admin/stories/story/{story.pk}/workflow/")
    expires = timezone.localtime() + timedelta(days=2)
    page.fill("input[name=preview-expires_at]", expires.strftime("%Y-%m-%dT%H:%M"))
    double_click(page, "input[value='Create preview link']", "Preview link created")
    assert PreviewLink.objects.count() == 1
    assert page.locator(".messagelist .error").count() == 0

    approve(Story.objects.get(pk=story.pk), reviewer)
    assert approved_hash(story)
    page.goto(f"{live_server.url}/admin/stories/story/{story.pk}/workflow/")
    double_click(page, "input[value='Publish or schedule']", "Published")
    assert Story.objects.get(pk=story.pk).state == "published"
    assert Event.objects.filter(story=story, action="publish").count() == 1


def test_double_clicked_reply_to_a_reader_is_e_mailed_once(live_server, page_factory, writer,
                                                           reviewer, editor):
    editor.is_staff = True
    editor.save()
    live = publish_story(writer, reviewer, editor)
    report = services.report_create(slug=live.slug, ordinal=1, email="reader@example.org",
                                    note="The figure in this claim is wrong.")
    page = page_factory(user=editor, live_server=live_server)
    page.goto(f"{live_server.url}/admin/stories/errorreport/{report.pk}/change/")
    page.fill("textarea[name=reply-message]", "Thank you: we are checking the figure.")
    double_click(page, "input[value='Send reply']", "Reply sent to the reader.")
    assert len([m for m in mail.outbox if m.to == ["reader@example.org"]]) == 1
    assert page.locator(".messagelist .error").count() == 0
    assert latest_hash(live)
