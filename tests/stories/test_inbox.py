"""The inbox: what needs each user, from the audit trail, on the dashboard, a page and a badge."""

from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audit.models import Event
from sources import services as source_services
from stories import services
from stories.models import InboxMark, Story
from tests.factories import SourceFactory, approved_hash, latest_hash, make_story
from tests.public.helpers import approve
from tests.sources.fixture_server import Page, fixture_server

INBOX = reverse("admin:stories_story_inbox")


def staff(user):
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    return user


@pytest.fixture
def story(writer):
    SourceFactory(key="tide-table", title="Tide tables 2026")
    return make_story(writer, title="Spring tides flood the quay", body="The quay flooded "
                      "twice in March [@tide-table].")


def submitted(story, writer):
    services.story_submit(story_id=story.pk, user=writer)
    return story


def inbox_text(client, user) -> str:
    client.force_login(staff(user))
    return client.get(INBOX).text


def test_a_submitted_story_is_in_each_reviewers_inbox_with_a_link_to_the_review_screen(
        client, story, writer, reviewer):
    submitted(story, writer)
    page = inbox_text(client, reviewer)
    review = reverse("admin:stories_story_review", args=[story.pk])
    assert "Submitted for your review" in page
    assert f'<a href="{review}">Staff Writer submitted “Spring tides flood the quay” for ' \
           "review.</a>" in page
    assert "1 unread" in page


def test_the_header_badge_counts_unread_items_and_opening_the_story_marks_them_read(
        client, story, writer, reviewer):
    submitted(story, writer)
    client.force_login(staff(reviewer))
    dashboard = client.get(reverse("admin:index")).text
    assert 'class="inbox-badge">1<span class="visually-hidden"> unread</span>' in dashboard
    assert "inbox-unread" in dashboard.split('id="dashboard-inbox"')[1]
    client.get(reverse("admin:stories_story_review", args=[story.pk]))
    dashboard = client.get(reverse("admin:index")).text
    assert "inbox-badge" not in dashboard
    assert "Submitted for your review" in dashboard  # still listed, read
    assert "inbox-unread" not in dashboard.split('id="dashboard-inbox"')[1]


def test_a_writer_hears_of_changes_requested_approval_and_publication_not_their_own_steps(
        client, story, writer, reviewer, editor):
    submitted(story, writer)
    services.review_submit(story_id=story.pk, reviewer=reviewer, decision="request_changes",
                           comment="Which gauge?")
    services.story_update(story_id=story.pk, user=writer,
                          body="The Pier Road gauge flooded twice in March [@tide-table].")
    submitted(story, writer)
    approve(story, reviewer)
    services.story_publish(story_id=story.pk, revision=approved_hash(story), user=editor)
    page = inbox_text(client, writer)
    labels = [line.split("<strong>")[1].split("</strong>")[0]
              for line in page.split('class="inbox-label">')[1:]]
    assert labels == ["Published", "Approved", "Sent back to you"]  # newest first
    assert "First Reviewer asked for changes to “Spring tides flood the quay”: Which gauge?" \
        in page
    assert "Submitted for your review" not in page


def test_an_assigned_story_goes_to_the_assigned_reviewer_only(
        client, story, writer, reviewer, second_reviewer, editor):
    services.story_assign(story_id=story.pk, user=editor, reviewer=second_reviewer)
    submitted(story, writer)
    assert "Asked to review" in inbox_text(client, second_reviewer)
    assert "Submitted for your review" in inbox_text(client, second_reviewer)
    assert "Nothing needs you right now." in inbox_text(client, reviewer)


def test_an_editor_hears_a_story_is_ready_to_publish(client, story, writer, reviewer, editor):
    submitted(story, writer)
    approve(story, reviewer)
    page = inbox_text(client, editor)
    workflow = reverse("admin:stories_story_workflow", args=[story.pk])
    assert (f'<a href="{workflow}">First Reviewer approved “Spring tides flood the quay”: it is '
            "ready to publish.</a>") in page


def test_a_scheduled_story_past_its_time_is_flagged_overdue(
        client, story, writer, reviewer, editor):
    submitted(story, writer)
    approve(story, reviewer)
    services.story_publish(story_id=story.pk, revision=approved_hash(story), user=editor,
                           publish_at=timezone.now() + timedelta(hours=1))
    Story.objects.filter(pk=story.pk).update(publish_at=timezone.now() - timedelta(hours=1))
    for user in (writer, editor):
        page = inbox_text(client, user)
        assert "Scheduled and overdue" in page
        assert "is not live yet: is the scheduler (Celery beat) running?" in page


def test_a_writer_hears_once_when_a_source_they_cite_breaks(
        client, settings, story, writer, other_writer, django_capture_on_commit_callbacks):
    settings.SOURCE_FETCH_ALLOW_PRIVATE = True
    writer.email, other_writer.email = "writer@example.org", "other@example.org"
    writer.save(), other_writer.save()
    with fixture_server({"/tides": Page("<h1>Gone</h1>", status=410)}) as (base, _):
        from sources.models import Source

        source = Source.objects.get(key="tide-table")
        Source.objects.filter(pk=source.pk).update(url=f"{base}/tides")
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            source_services.source_check_link(source_id=source.pk)
        with django_capture_on_commit_callbacks(execute=True):
            source_services.source_check_link(source_id=source.pk)  # still broken: no news
    page = inbox_text(client, writer)
    assert page.count("Source problem") == 1
    assert "Source tide-table, cited in “Spring tides flood the quay”, is broken." in page
    assert [m.to for m in mail.outbox] == [["writer@example.org"]]
    change = reverse("admin:stories_story_change", args=[story.pk])
    assert f"Open it: http://testserver{change}" in mail.outbox[0].body
    assert "Nothing needs you right now." in inbox_text(client, other_writer)


def test_review_requests_are_emailed_with_a_direct_link(
        story, writer, reviewer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        submitted(story, writer)
    (message,) = mail.outbox
    assert message.to == [reviewer.email]
    assert message.subject == "[Newsroom] Submitted for your review: Spring tides flood the quay"
    review = reverse("admin:stories_story_review", args=[story.pk])
    assert f"Open it: http://testserver{review}" in message.body


def test_mark_all_read(client, story, writer, reviewer):
    submitted(story, writer)
    client.force_login(staff(reviewer))
    response = client.post(INBOX, follow=True)
    assert "Marked 1 story read." in response.text
    assert "0 unread" in response.text
    assert InboxMark.objects.get(user=reviewer, story=story).read_through == \
        Event.objects.latest("id").pk


def test_nobody_hears_of_stories_they_may_not_see(client, story, writer, other_writer,
                                                  reviewer):
    submitted(story, writer)
    services.review_submit(story_id=story.pk, reviewer=reviewer, decision="request_changes",
                           comment="Which gauge?")
    assert "Nothing needs you right now." in inbox_text(client, other_writer)


def test_the_inbox_costs_a_fixed_number_of_queries(client, writer, reviewer, editor):
    SourceFactory(key="tide-table")
    client.force_login(staff(reviewer))

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(INBOX).status_code == 200
        return len(queries)

    make_story(writer, title="One", body="A [@tide-table].")
    for story in Story.objects.all():
        services.story_submit(story_id=story.pk, user=writer)
    few = count()
    for n in range(5):
        story = make_story(writer, title=f"Story {n}", body="A [@tide-table].")
        services.story_submit(story_id=story.pk, user=writer)
    assert count() == few
    assert latest_hash(story)
