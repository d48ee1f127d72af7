"""Comments anchored to text: started by reviewers and editors, answered and resolved by the
desk, following their words across revisions, audited, never public."""

import pytest
from django.urls import reverse

from audit.models import Event
from stories import services
from stories.models import Comment, CommentThread, Story
from tests.factories import SourceFactory, latest_hash, make_story
from tests.public.helpers import approve

BODY = ("The ferry ran 212 crossings in July [@ferry-log].\n\n"
        "Passengers waited forty minutes on average at the north slip.")


@pytest.fixture
def story(writer):
    SourceFactory(key="ferry-log", title="Crossings by month")
    story = make_story(writer, title="Ferry queues lengthen", body=BODY)
    services.story_submit(story_id=story.pk, user=writer)
    return story


def staff(user):
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    return user


def start(story, user, text="Which slip?", **anchor):
    anchor = anchor or {"quote": "forty minutes on average"}
    return services.comment_start(story_id=story.pk, user=user, text=text,
                                  revision=latest_hash(story), **anchor)


def claim_id(story, ordinal=1):
    return Story.objects.get(pk=story.pk).latest_revision.claims.get(ordinal=ordinal).pk


def comments_url(story):
    return reverse("admin:stories_story_comments", args=[story.pk])


def review_url(story):
    return reverse("admin:stories_story_review", args=[story.pk])


def change_url(story):
    return reverse("admin:stories_story_change", args=[story.pk])


def test_a_reviewer_comments_on_a_passage_and_the_writer_sees_it_by_its_line(
        client, story, writer, reviewer):
    thread = start(story, reviewer)
    client.force_login(staff(writer))
    page = client.get(change_url(story)).text
    item = page.split(f'id="comment-{thread.pk}"')[1].split("</li>\n    \n")[0]
    assert f'href="{change_url(story)}?line=3#id_body">Line 3</a>' in item
    assert "<q>forty minutes on average</q>" in item
    assert "Which slip?" in item and "First Reviewer" in item


def test_a_comment_on_a_claim_links_to_the_claim(client, story, writer, reviewer):
    thread = start(story, reviewer, claim_id=claim_id(story))
    client.force_login(staff(reviewer))
    page = client.get(review_url(story)).text
    item = page.split(f'id="comment-{thread.pk}"')[1]
    assert f'href="{review_url(story)}#claim-1">Claim 1</a>, line 1' in item


def test_the_writer_replies_and_resolves_and_each_step_is_audited_once(
        client, story, writer, reviewer):
    thread = start(story, reviewer)
    client.force_login(staff(writer))
    response = client.post(comments_url(story), {
        "op": "reply", "thread": thread.pk, "text": "The north slip: see the\r\noperator's log.",
        "next": change_url(story)}, follow=True)
    assert "Reply added." in response.text
    assert "The north slip: see the<br>operator&#x27;s log." in response.text
    response = client.post(comments_url(story), {"op": "resolve", "thread": thread.pk,
                                                  "next": change_url(story)}, follow=True)
    assert "Comment resolved." in response.text
    assert "Resolved by Staff Writer" in response.text
    actions = list(Event.objects.filter(story=story, action__startswith="comment")
                   .values_list("action", flat=True))
    assert actions == ["comment_add", "comment_reply", "comment_resolve"]


def test_a_comment_follows_its_words_into_the_next_revision_and_is_outdated_when_they_change(
        client, story, writer, reviewer):
    kept = start(story, reviewer, text="Source for the average?")
    changed = start(story, reviewer, text="Is 212 right?", claim_id=claim_id(story))
    services.story_update(story_id=story.pk, user=writer, body=(
        "A new first paragraph.\n\nThe ferry ran 214 crossings in July [@ferry-log].\n\n"
        "Passengers waited forty minutes on average at the north slip."))
    client.force_login(staff(writer))
    page = client.get(change_url(story)).text
    kept_item = page.split(f'id="comment-{kept.pk}"')[1].split('id="comment-')[0]
    changed_item = page.split(f'id="comment-{changed.pk}"')[1].split('id="comment-')[0]
    assert "Line 5</a>" in kept_item and "Outdated" not in kept_item
    assert "Outdated</span> The text changed since revision 1" in changed_item


def test_a_passage_that_is_not_in_the_text_is_refused_with_the_reason_and_the_input_kept(
        client, story, reviewer):
    client.force_login(staff(reviewer))
    response = client.post(comments_url(story), {
        "op": "start", "revision": latest_hash(story), "quote": "fifty minutes",
        "text": "Check this", "next": review_url(story)}, follow=True)
    assert "“fifty minutes” is not in revision 1" in response.text
    assert ">fifty minutes</textarea>" in response.text
    assert ">Check this</textarea>" in response.text
    assert not CommentThread.objects.exists()
    assert Event.objects.filter(story=story, action="comment_add.denied").count() == 0


@pytest.mark.parametrize("op", ["start", "reply"])
def test_a_comment_with_a_nul_character_is_refused_with_the_text_kept(client, story, writer,
                                                                      reviewer, op):
    # The comment forms read the text straight from the request (no form field to refuse NUL):
    # PostgreSQL cannot store it, so the save was a 500 there.
    thread = start(story, reviewer)
    client.force_login(staff(reviewer))
    response = client.post(comments_url(story), {
        "op": op, "thread": thread.pk, "revision": latest_hash(story),
        "quote": "forty minutes on average", "text": "Which\x00 slip?",
        "next": review_url(story)}, follow=True)
    assert response.status_code == 200
    assert "Null characters are not allowed." in response.text
    assert ">Which" in response.text
    assert Comment.objects.count() == 1 and CommentThread.objects.count() == 1


def test_an_empty_comment_is_refused(story, reviewer):
    with pytest.raises(services.InvalidInput, match="Write the comment."):
        start(story, reviewer, text="  ")


def test_commenting_on_a_revision_that_is_no_longer_the_latest_is_refused_and_audited(
        client, story, writer, editor):
    read = latest_hash(story)
    services.story_update(story_id=story.pk, user=writer, body=BODY + "\n\nOne more line.")
    client.force_login(staff(editor))
    response = client.post(comments_url(story), {
        "op": "start", "revision": read, "quote": "forty minutes", "text": "Which slip?",
        "next": review_url(story)}, follow=True)
    assert "The story changed since you read it" in response.text
    assert ">Which slip?</textarea>" in response.text
    assert Event.objects.filter(story=story, action="comment_add.denied").count() == 1


def test_a_writer_cannot_start_a_comment_and_the_attempt_is_audited(client, story, writer):
    client.force_login(staff(writer))
    response = client.post(comments_url(story), {
        "op": "start", "revision": latest_hash(story), "quote": "forty minutes",
        "text": "Note to self", "next": change_url(story)}, follow=True)
    assert response.status_code == 200
    assert "Only reviewers and editors start comments" in response.text
    assert Event.objects.filter(story=story, action="comment_add.denied").count() == 1


def test_a_writer_of_another_story_cannot_reply(client, story, reviewer, other_writer):
    thread = start(story, reviewer)
    with pytest.raises(services.ActionDenied):
        services.comment_reply(thread_id=thread.pk, user=other_writer, text="Hello")
    assert not Comment.objects.filter(author=other_writer).exists()


def test_a_resolved_comment_takes_no_reply(story, writer, reviewer):
    thread = start(story, reviewer)
    services.comment_resolve(thread_id=thread.pk, user=writer)
    with pytest.raises(services.ThreadResolved):
        services.comment_reply(thread_id=thread.pk, user=writer, text="One more thing")


@pytest.mark.parametrize("second", ["reply", "resolve"])
def test_acting_on_a_resolved_comment_is_refused_once_in_the_storys_trail(
        client, story, writer, reviewer, second):
    thread = start(story, reviewer)
    client.force_login(staff(writer))
    client.post(comments_url(story), {"op": "resolve", "thread": thread.pk})
    response = client.post(comments_url(story), {"op": second, "thread": thread.pk,
                                                 "text": "One more thing"}, follow=True)
    assert "resolved" in response.text
    assert Event.objects.filter(story=story, action=f"comment_{second}.denied").count() == 1
    assert Event.objects.filter(action__endswith=".denied").count() == 1


def test_comments_never_reach_readers(client, story, writer, reviewer, editor):
    start(story, reviewer, text="PRIVATE-NOTE-7 about the slip")
    approve(story, reviewer)
    from tests.factories import approved_hash

    services.story_publish(story_id=story.pk, revision=approved_hash(story), user=editor)
    story.refresh_from_db()
    for url in (story.get_absolute_url(), f"{story.get_absolute_url()}history/", "/feed/",
                f"/api/v1/public/stories/{story.slug}/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "PRIVATE-NOTE-7" not in response.content.decode(), url


def test_the_writer_hears_of_a_new_comment_in_their_inbox(client, story, writer, reviewer):
    thread = start(story, reviewer)
    client.force_login(staff(writer))
    page = client.get(reverse("admin:stories_story_inbox")).text
    assert f'href="{change_url(story)}#comment-{thread.pk}"' in page
    assert "First Reviewer on “Ferry queues lengthen”: Which slip?" in page
