"""A form sent twice (a double click, a resent request) records once: each creating form carries
a submission token, and the API's creating POSTs take the same token as an Idempotency-Key."""

import uuid
from datetime import timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from audit import submissions
from audit.models import Event
from sources.models import Source
from stories import services
from stories.models import Comment, CommentThread, PreviewLink, Review, Story
from stories.services.reports import ReportClosed
from tests.api.conftest import client_for, story_in
from tests.factories import latest_hash
from tests.public.helpers import approve, publish_story

pytestmark = pytest.mark.django_db


@pytest.fixture
def story(writer, reviewer, editor):
    return story_in("in_review", author=writer, reviewer=reviewer, editor=editor)


def staff(client, user):
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    client.force_login(user)
    return client


def twice(client, url, data):
    first, second = client.post(url, data, follow=True), client.post(url, data, follow=True)
    return first, second


def comment_data(story, token, text="Which table is 4.2 million from?"):
    return {"op": "start", "text": text, "revision": latest_hash(story),
            "quote": "4.2 million containers", "submission": token}


def test_every_creating_desk_form_carries_a_fresh_submission_token(client, story, reviewer):
    page = staff(client, reviewer).get(reverse("admin:stories_story_review", args=[story.pk]))
    again = client.get(reverse("admin:stories_story_review", args=[story.pk]))
    tokens = page.text.count('name="submission"')
    assert tokens >= 2  # the review form and the new-comment form
    assert page.text.split('name="submission" value="')[1][:36] != \
        again.text.split('name="submission" value="')[1][:36]


def test_a_comment_sent_twice_with_its_token_is_saved_once_and_no_error_is_shown(
        client, story, reviewer):
    url = reverse("admin:stories_story_comments", args=[story.pk])
    staff(client, reviewer)
    first, second = twice(client, url, comment_data(story, str(uuid.uuid4())))
    assert "Comment added." in first.text and "Comment added." in second.text
    assert 'class="error"' not in second.text
    assert second.text.count("Which table is 4.2 million from?") == 1
    assert Event.objects.filter(action="comment_add").count() == 1


def test_two_comments_with_their_own_tokens_are_both_saved(client, story, reviewer):
    url = reverse("admin:stories_story_comments", args=[story.pk])
    staff(client, reviewer)
    client.post(url, comment_data(story, str(uuid.uuid4())))
    client.post(url, comment_data(story, str(uuid.uuid4())))
    assert CommentThread.objects.count() == 2


def test_a_reply_sent_twice_with_its_token_is_saved_once(client, story, writer, reviewer):
    thread = services.comment_start(story_id=story.pk, user=reviewer, text="Source?",
                                    revision=latest_hash(story), quote="4.2 million containers")
    url = reverse("admin:stories_story_comments", args=[story.pk])
    staff(client, writer)
    data = {"op": "reply", "thread": thread.pk, "text": "Annual report, p. 3",
            "submission": str(uuid.uuid4())}
    first, second = twice(client, url, data)
    assert "Reply added." in second.text
    assert list(Comment.objects.filter(thread=thread).values_list("text", flat=True)) == [
        "Source?", "Annual report, p. 3"]
    assert Event.objects.filter(action="comment_reply").count() == 1


def test_a_review_comment_sent_twice_with_its_token_is_recorded_once(client, story, reviewer):
    url = reverse("admin:stories_story_review", args=[story.pk])
    staff(client, reviewer)
    data = {"decision": "comment", "comment": "Looks close; check the total.",
            "revision": latest_hash(story), "submission": str(uuid.uuid4())}
    first, second = twice(client, url, data)
    assert "Your review is recorded (comment)" in second.text
    assert Review.objects.filter(decision="comment").count() == 1
    assert Event.objects.filter(action="comment").count() == 1


def test_a_token_another_user_sent_is_refused_and_nothing_is_recorded(story, reviewer,
                                                                      second_reviewer):
    token = str(uuid.uuid4())
    services.review_submit(story_id=story.pk, reviewer=reviewer, decision="comment",
                           comment="One.", submission=token)
    with pytest.raises(services.InvalidInput) as refused:
        services.review_submit(story_id=story.pk, reviewer=second_reviewer, decision="comment",
                               comment="Two.", submission=token)
    assert "reload" in str(refused.value.message_dict["submission"]).lower()
    assert Review.objects.count() == 1


def test_a_preview_link_form_sent_twice_makes_one_link(client, story, editor):
    staff(client, editor)
    expires = timezone.localtime() + timedelta(days=3)
    data = {"op": "preview", "preview-revision": story.latest_revision_id,
            "preview-expires_at": expires.strftime("%Y-%m-%dT%H:%M"),
            "preview-label": "Outside legal reader", "submission": str(uuid.uuid4())}
    first, second = twice(client, reverse("admin:stories_story_workflow", args=[story.pk]),
                          data)
    assert "Preview link created for revision 1." in second.text
    assert PreviewLink.objects.count() == 1
    assert Event.objects.filter(action="preview_link").count() == 1


def test_a_reply_to_a_reader_sent_twice_is_e_mailed_once(
        client, writer, reviewer, editor, django_capture_on_commit_callbacks):
    live = publish_story(writer, reviewer, editor)
    report = services.report_create(slug=live.slug, ordinal=1, email="reader@example.org",
                                    note="The figure in this claim is wrong.")
    staff(client, editor)
    url = reverse("admin:stories_errorreport_change", args=[report.pk])
    data = {"op": "reply", "reply-message": "Thank you: we are checking.",
            "submission": str(uuid.uuid4())}
    with django_capture_on_commit_callbacks(execute=True):
        first, second = twice(client, url, data)
    assert "Reply sent to the reader." in second.text
    assert len([m for m in mail.outbox if m.to == ["reader@example.org"]]) == 1
    assert Event.objects.filter(action="report_reply").count() == 1


# --- the API: an optional Idempotency-Key header ------------------------------------------


def test_api_review_resent_with_the_same_idempotency_key_answers_the_first_review(
        story, reviewer):
    api, key = client_for(reviewer), str(uuid.uuid4())
    body = {"decision": "comment", "comment": "Check the total."}
    first = api.post(f"/api/v1/stories/{story.pk}/reviews/", body, format="json",
                     HTTP_IDEMPOTENCY_KEY=key)
    second = api.post(f"/api/v1/stories/{story.pk}/reviews/", body, format="json",
                      HTTP_IDEMPOTENCY_KEY=key)
    assert first.status_code == 201 and second.status_code == 201, second.json()
    assert second.json()["id"] == first.json()["id"]
    assert Event.objects.filter(action="comment").count() == 1


def test_api_review_without_a_key_is_recorded_each_time_it_is_sent(story, reviewer):
    api = client_for(reviewer)
    body = {"decision": "comment", "comment": "Check the total."}
    for _ in range(2):
        assert api.post(f"/api/v1/stories/{story.pk}/reviews/", body,
                        format="json").status_code == 201
    assert Review.objects.filter(decision="comment").count() == 2


def test_api_comment_resent_with_the_same_idempotency_key_is_one_thread(story, reviewer):
    api, key = client_for(reviewer), str(uuid.uuid4())
    body = {"text": "Source?", "quote": "4.2 million containers", "revision": latest_hash(story)}
    answers = [api.post(f"/api/v1/stories/{story.pk}/comments/", body, format="json",
                        HTTP_IDEMPOTENCY_KEY=key) for _ in range(2)]
    assert [a.status_code for a in answers] == [201, 201]
    assert answers[0].json()["id"] == answers[1].json()["id"]
    assert CommentThread.objects.count() == 1


def test_api_an_idempotency_key_that_is_not_a_uuid_is_refused_naming_the_header(story,
                                                                                reviewer):
    answer = client_for(reviewer).post(f"/api/v1/stories/{story.pk}/reviews/",
                                       {"decision": "comment", "comment": "x"}, format="json",
                                       HTTP_IDEMPOTENCY_KEY="twice")
    assert answer.status_code == 400
    assert "Idempotency-Key" in str(answer.json())
    assert not Review.objects.exists()


# --- actions the state machine already refuses the second time ------------------------------


def _story(state, writer, reviewer, editor):
    return story_in(state, author=writer, reviewer=reviewer, editor=editor)


def _approve(story, reviewer):
    approve(story, reviewer)


REPEATS = {
    "submit": ("draft", lambda s, w, r, e: services.story_submit(story_id=s.pk, user=w)),
    "withdraw": ("in_review", lambda s, w, r, e: services.story_withdraw(story_id=s.pk,
                                                                          user=w)),
    "request_changes": ("in_review", lambda s, w, r, e: services.review_submit(
        story_id=s.pk, reviewer=r, decision="request_changes", comment="Add the page.")),
    "approve": ("in_review", lambda s, w, r, e: _approve(s, r)),
    "publish": ("approved", lambda s, w, r, e: services.story_publish(
        story_id=s.pk, user=e, revision=s.approved_revision.content_hash)),
    "schedule": ("approved", lambda s, w, r, e: services.story_publish(
        story_id=s.pk, user=e, revision=s.approved_revision.content_hash,
        publish_at=timezone.now() + timedelta(days=1))),
    "retract": ("published", lambda s, w, r, e: services.story_retract(
        story_id=s.pk, user=e, reason="The figures were invented.")),
}


@pytest.mark.parametrize("action", list(REPEATS))
def test_an_action_done_twice_is_refused_the_second_time_and_audited_once(
        action, writer, reviewer, editor):
    state, act = REPEATS[action]
    story = _story(state, writer, reviewer, editor)
    act(story, writer, reviewer, editor)
    story.refresh_from_db()
    with pytest.raises(services.IllegalTransition):
        act(story, writer, reviewer, editor)
    assert Event.objects.filter(story=story, action=action).count() == 1
    assert Event.objects.filter(story=story, action__endswith=".denied").count() == 1


def test_a_comment_resolved_twice_is_refused_the_second_time(story, writer, reviewer):
    thread = services.comment_start(story_id=story.pk, user=reviewer, text="Source?",
                                    revision=latest_hash(story), quote="4.2 million containers")
    services.comment_resolve(thread_id=thread.pk, user=writer)
    with pytest.raises(services.ThreadResolved):
        services.comment_resolve(thread_id=thread.pk, user=writer)
    assert Event.objects.filter(action="comment_resolve").count() == 1
    assert Event.objects.filter(action="comment_resolve.denied").count() == 1


def test_a_report_dismissed_twice_is_refused_and_a_correction_opened_twice_is_one(
        writer, reviewer, editor):
    live = publish_story(writer, reviewer, editor)
    first = services.report_create(slug=live.slug, ordinal=1, note="The figure is wrong here.")
    second = services.report_create(slug=live.slug, ordinal=1, note="The figure is wrong too.")
    services.report_dismiss(report_id=first.pk, user=editor, reason="The figure is right.")
    with pytest.raises(ReportClosed):
        services.report_dismiss(report_id=first.pk, user=editor, reason="Again.")
    services.report_open_correction(report_id=second.pk, user=editor)
    services.report_open_correction(report_id=second.pk, user=editor)
    assert Event.objects.filter(action="report_dismiss").count() == 1
    assert Event.objects.filter(action="report_correct").count() == 1


def test_a_second_approval_by_the_same_reviewer_is_refused_when_two_are_needed(
        settings, story, reviewer):
    settings.NEWSROOM_REQUIRED_APPROVALS = 2
    approve(story, reviewer)
    with pytest.raises(services.AlreadyApproved) as refused:
        approve(story, reviewer)
    assert "already approved revision 1" in str(refused.value)
    assert "another reviewer" in str(refused.value)
    assert Review.objects.filter(decision="approve").count() == 1
    assert Event.objects.filter(action="approve").count() == 1
    assert Event.objects.filter(action="approve.denied").count() == 1


def test_the_review_screen_says_a_second_approval_is_not_needed_from_the_same_reviewer(
        client, settings, story, reviewer):
    settings.NEWSROOM_REQUIRED_APPROVALS = 2
    approve(story, reviewer)
    claims = story.latest_revision.claims.values_list("ordinal", flat=True)
    data = {"decision": "approve", "revision": latest_hash(story),
            "submission": str(uuid.uuid4()), **{f"verdict-{o}": "supported" for o in claims}}
    page = staff(client, reviewer).post(reverse("admin:stories_story_review", args=[story.pk]),
                                        data)
    assert page.status_code == 200
    assert "You already approved revision 1" in page.text
    assert Review.objects.filter(decision="approve").count() == 1


def test_api_the_same_idempotency_key_on_another_story_is_refused_not_answered(
        story, writer, reviewer, editor):
    other = story_in("in_review", author=writer, reviewer=reviewer, editor=editor,
                     title="Another story")
    api, key = client_for(reviewer), str(uuid.uuid4())
    body = {"text": "Source?", "quote": "4.2 million containers"}
    first = api.post(f"/api/v1/stories/{story.pk}/comments/",
                     {**body, "revision": latest_hash(story)}, format="json",
                     HTTP_IDEMPOTENCY_KEY=key)
    again = api.post(f"/api/v1/stories/{other.pk}/comments/",
                     {**body, "revision": latest_hash(other)}, format="json",
                     HTTP_IDEMPOTENCY_KEY=key)
    assert first.status_code == 201
    assert again.status_code == 400 and "already sent" in str(again.json())
    assert CommentThread.objects.count() == 1


# --- a replay says it is one: Idempotent-Replayed: true ------------------------------------


def _creating_post(name, story, writer, reviewer, editor):
    """(user, url, body, status) of one of the API's creating POSTs that take a key."""
    if name == "review":
        return reviewer, f"/api/v1/stories/{story.pk}/reviews/", \
            {"decision": "comment", "comment": "Check the total."}, 201
    if name == "comment":
        return reviewer, f"/api/v1/stories/{story.pk}/comments/", \
            {"text": "Source?", "quote": "4.2 million containers",
             "revision": latest_hash(story)}, 201
    if name == "story":
        return writer, "/api/v1/stories/", \
            {"title": "Harbour cranes arrive", "body": "The port handled 4.2 million."}, 201
    if name == "reply":
        thread = services.comment_start(story_id=story.pk, user=reviewer, text="Source?",
                                        revision=latest_hash(story),
                                        quote="4.2 million containers")
        return writer, f"/api/v1/stories/{story.pk}/comments/{thread.pk}/replies/", \
            {"text": "The annual report, p. 4."}, 201
    live = publish_story(writer, reviewer, editor)
    report = services.report_create(slug=live.slug, ordinal=1, email="reader@example.org",
                                    note="The figure in this claim is wrong.")
    return editor, f"/api/v1/reports/{report.pk}/reply/", \
        {"message": "Thank you: we are checking."}, 200


CREATING_POSTS = ["review", "comment", "reply", "report_reply", "story"]


@pytest.mark.parametrize("name", CREATING_POSTS)
def test_api_a_replay_answers_like_the_first_request_and_says_it_is_a_replay(
        name, story, writer, reviewer, editor):
    user, url, body, code = _creating_post(name, story, writer, reviewer, editor)
    api, key = client_for(user), str(uuid.uuid4())
    first = api.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY=key)
    again = api.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert (first.status_code, again.status_code) == (code, code), again.json()
    assert again.json() == first.json()
    assert "Idempotent-Replayed" not in first
    assert again["Idempotent-Replayed"] == "true"


@pytest.mark.parametrize("name", CREATING_POSTS)
def test_api_a_request_without_a_key_or_with_a_fresh_one_is_no_replay(
        name, story, writer, reviewer, editor):
    user, url, body, code = _creating_post(name, story, writer, reviewer, editor)
    api = client_for(user)
    plain = api.post(url, body, format="json")
    fresh = api.post(url, {**body, "text": "Another."} if "text" in body else body,
                     format="json", HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()))
    assert (plain.status_code, fresh.status_code) == (code, code), fresh.json()
    assert "Idempotent-Replayed" not in plain and "Idempotent-Replayed" not in fresh


def test_a_preview_link_created_twice_with_its_token_is_one_link_marked_replayed(story, editor):
    expires = timezone.now() + timedelta(days=2)
    token = str(uuid.uuid4())
    first, again = (services.preview_link_create(
        revision_id=story.latest_revision_id, user=editor, expires_at=expires,
        submission=token) for _ in range(2))
    assert first.pk == again.pk
    assert not submissions.replayed(first) and submissions.replayed(again)
    assert PreviewLink.objects.count() == 1


# --- creating a story or a source over the API ---------------------------------------------


def test_api_a_story_resent_with_the_same_idempotency_key_is_one_draft(writer):
    api, key = client_for(writer), str(uuid.uuid4())
    body = {"title": "Harbour cranes arrive", "body": "The port handled 4.2 million."}
    first, again = (api.post("/api/v1/stories/", body, format="json", HTTP_IDEMPOTENCY_KEY=key)
                    for _ in range(2))
    assert (first.status_code, again.status_code) == (201, 201), again.json()
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["slug"] == "harbour-cranes-arrive"
    assert again["ETag"] == first["ETag"]
    assert Story.objects.count() == 1
    assert Event.objects.filter(action="revision").count() == 1


def test_api_a_story_resent_without_a_key_is_a_second_draft(writer):
    api = client_for(writer)
    body = {"title": "Harbour cranes arrive", "body": "The port handled 4.2 million."}
    slugs = [api.post("/api/v1/stories/", body, format="json").json()["slug"] for _ in range(2)]
    assert slugs == ["harbour-cranes-arrive", "harbour-cranes-arrive-2"]


SOURCE = {"key": "reuters-wu", "url": "https://www.reuters.com/markets/asia/example",
          "title": "Port operator raises capex plan", "outlet": "Reuters"}


def test_api_a_source_resent_with_the_same_idempotency_key_answers_the_source_it_added(writer):
    api, key = client_for(writer), str(uuid.uuid4())
    first, again = (api.post("/api/v1/sources/", SOURCE, format="json",
                             HTTP_IDEMPOTENCY_KEY=key) for _ in range(2))
    assert (first.status_code, again.status_code) == (201, 201), again.json()
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first
    assert Source.objects.count() == 1
    assert Event.objects.filter(action="source_create").count() == 1
    assert not Event.objects.filter(action="source_create.denied").exists()


@pytest.mark.parametrize("key", [None, "fresh"])
def test_api_a_source_key_already_in_the_library_is_still_refused_without_the_first_key(
        writer, key):
    api = client_for(writer)
    api.post("/api/v1/sources/", SOURCE, format="json", HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()))
    headers = {"HTTP_IDEMPOTENCY_KEY": str(uuid.uuid4())} if key else {}
    again = api.post("/api/v1/sources/", SOURCE, format="json", **headers)
    assert again.status_code == 400
    assert again.json()["errors"]["key"] == ['The key "reuters-wu" is already taken.']
    assert "Idempotent-Replayed" not in again
    assert Source.objects.count() == 1


def test_api_a_source_key_refused_frees_its_idempotency_key_for_a_corrected_resend(writer):
    api, key = client_for(writer), str(uuid.uuid4())
    api.post("/api/v1/sources/", SOURCE, format="json")
    refused = api.post("/api/v1/sources/", SOURCE, format="json", HTTP_IDEMPOTENCY_KEY=key)
    fixed = api.post("/api/v1/sources/", {**SOURCE, "key": "reuters-wu-2",
                                          "url": "https://www.reuters.com/other"},
                     format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert (refused.status_code, fixed.status_code) == (400, 201), fixed.json()
    assert "Idempotent-Replayed" not in fixed
    assert Source.objects.count() == 2


# --- the admin's add forms: a resent "Add story" / "Add source" makes one ------------------

STORY_ADD = {"title": "Harbour cranes arrive", "slug": "harbour-cranes-arrive", "dek": "",
             "body": "The port handled 4.2 million.", "source_entries-TOTAL_FORMS": "0",
             "source_entries-INITIAL_FORMS": "0", "source_entries-MIN_NUM_FORMS": "0",
             "source_entries-MAX_NUM_FORMS": "1000"}
SOURCE_ADD = {"key": "harbour-board", "title": "Harbour board minutes",
              "url": "https://harbour.example.org/minutes/may", "outlet": "Harbour Board",
              "author": "", "published_on": "", "kind": "report", "description": "",
              "notes": "", **{f"{p}-{n}": v for p in ("snapshots", "link_checks")
                              for n, v in (("TOTAL_FORMS", "0"), ("INITIAL_FORMS", "0"),
                                           ("MIN_NUM_FORMS", "0"), ("MAX_NUM_FORMS", "0"))}}


def add_token(client, url) -> str:
    page = client.get(url).text
    return page.split('name="submission" value="')[1][:36]


@pytest.mark.parametrize("name", ["story", "source"])
def test_an_admin_add_form_carries_a_fresh_token_and_its_change_form_none(client, writer,
                                                                          name):
    staff(client, writer)
    model = "stories_story" if name == "story" else "sources_source"
    url = reverse(f"admin:{model}_add")
    assert add_token(client, url) != add_token(client, url)
    client.post(url, {**(STORY_ADD if name == "story" else SOURCE_ADD),
                      "submission": add_token(client, url)})
    made = (Story if name == "story" else Source).objects.get()
    change = client.get(reverse(f"admin:{model}_change", args=[made.pk]))
    assert change.status_code == 200 and 'name="submission"' not in change.text


def test_the_add_story_form_sent_twice_makes_one_story_and_opens_it_saying_so(client,
                                                                               writer):
    staff(client, writer)
    url = reverse("admin:stories_story_add")
    data = {**STORY_ADD, "submission": add_token(client, url)}
    first, again = client.post(url, data), client.post(url, data, follow=True)
    story = Story.objects.get()
    assert first.status_code == 302
    assert again.redirect_chain[-1][0] == reverse("admin:stories_story_change", args=[story.pk])
    assert ("The story “Harbour cranes arrive” was already added: this form was sent twice, "
            "and only the first was saved.") in again.text
    assert "already the address of another story" not in again.text
    assert Event.objects.filter(action="revision").count() == 1
    assert story.latest_revision.number == 1
    assert LogEntry.objects.count() == 1


def test_two_add_story_forms_with_their_own_tokens_are_refused_the_second_slug(client,
                                                                               writer):
    staff(client, writer)
    url = reverse("admin:stories_story_add")
    client.post(url, {**STORY_ADD, "submission": add_token(client, url)})
    second = client.post(url, {**STORY_ADD, "submission": add_token(client, url)})
    assert second.status_code == 400
    assert "already the address of another story" in second.text
    assert Story.objects.count() == 1


def test_the_add_source_form_sent_twice_adds_one_source_and_opens_it_saying_so(client,
                                                                                writer):
    staff(client, writer)
    url = reverse("admin:sources_source_add")
    data = {**SOURCE_ADD, "submission": add_token(client, url)}
    first, again = client.post(url, data), client.post(url, data, follow=True)
    source = Source.objects.get()
    assert first.status_code == 302
    assert again.redirect_chain[-1][0] == reverse("admin:sources_source_change",
                                                  args=[source.pk])
    assert "The source “" in again.text and "was already added" in again.text
    assert "already taken" not in again.text and "already in the library" not in again.text
    assert Event.objects.filter(action="source_create").count() == 1


def test_another_add_source_form_with_a_taken_key_is_refused_as_before(client, writer):
    staff(client, writer)
    url = reverse("admin:sources_source_add")
    client.post(url, {**SOURCE_ADD, "submission": add_token(client, url)})
    second = client.post(url, {**SOURCE_ADD, "submission": add_token(client, url)})
    assert second.status_code == 400
    assert "already in the library" in second.text
    assert Source.objects.count() == 1


def test_a_token_from_another_users_add_form_is_not_answered_with_their_story(
        client, writer, other_writer):
    staff(client, writer)
    url = reverse("admin:stories_story_add")
    token = add_token(client, url)
    client.post(url, {**STORY_ADD, "submission": token})
    staff(client, other_writer)
    again = client.post(url, {**STORY_ADD, "slug": "", "submission": token})
    assert again.status_code == 400
    assert "already sent for something else" in again.text
    assert Story.objects.count() == 1


def image_add_data(client, url, token=None) -> dict:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.stories.test_uploads import image_bytes

    return {"file": SimpleUploadedFile("quay.png", image_bytes(80, 45),
                                       content_type="image/png"),
            "alt": "Cranes on the east quay", "caption": "", "credit": "", "credit_source": "",
            "submission": token or add_token(client, url)}


def test_the_add_figure_form_sent_twice_uploads_one_image_and_opens_it_saying_so(client,
                                                                                  writer):
    from stories.models import Image

    staff(client, writer)
    url = reverse("admin:stories_image_add")
    token = add_token(client, url)
    first = client.post(url, image_add_data(client, url, token))
    again = client.post(url, image_add_data(client, url, token), follow=True)
    image = Image.objects.get()
    assert first.status_code == 302
    assert again.redirect_chain[-1][0] == reverse("admin:stories_image_change", args=[image.pk])
    assert (f"The image “image:{image.pk} Cranes on the east quay” was already added: this "
            "form was sent twice, and only the first was saved.") in again.text
    assert Event.objects.filter(action="image_upload").count() == 1
    assert LogEntry.objects.count() == 1


def test_two_add_figure_forms_with_their_own_tokens_upload_two_images(client, writer):
    from stories.models import Image

    staff(client, writer)
    url = reverse("admin:stories_image_add")
    client.post(url, image_add_data(client, url))
    client.post(url, image_add_data(client, url))
    assert Image.objects.count() == 2


def test_the_figure_change_form_carries_no_submission_token(client, writer):
    from stories.models import Image

    staff(client, writer)
    url = reverse("admin:stories_image_add")
    assert add_token(client, url) != add_token(client, url)
    client.post(url, image_add_data(client, url))
    change = client.get(reverse("admin:stories_image_change", args=[Image.objects.get().pk]))
    assert change.status_code == 200 and 'name="submission"' not in change.text
