"""Losing access mid-action lands on a page the user may see, saying why, audited once."""

import pytest
from django.urls import reverse

from audit.models import Event
from stories import services
from stories.models import Story
from tests.factories import SourceFactory, make_story
from tests.stories.test_admin_review import (
    all_supported,
    review_url,
    reviewer_groups,
    staff,
    submitted,
    workflow_url,
)

REASON = "Only the story&#x27;s authors, its reviewers and editors can open it."


@pytest.fixture
def story(writer, editor):
    SourceFactory(key="a")
    story = make_story(writer, title="Ferry fares", body="Fares rose 6% in March [@a].",
                       sources=["a"])
    services.story_update(story_id=story.pk, user=editor, authors=[writer])
    return Story.objects.get(pk=story.pk)


def came_from(url: str) -> dict:
    """What a browser sends with a click or a form on `url` (a same-site admin page)."""
    return {"HTTP_REFERER": f"http://testserver{url}"}


def test_writer_taken_off_the_authors_lands_on_the_story_list_saying_why(
        client, story, writer, other_writer):
    services.story_update(story_id=story.pk, user=writer, authors=[other_writer])
    story.authors.remove(writer)
    client.force_login(staff(writer))
    response = client.post(workflow_url(story), {"op": "submit"}, **came_from(workflow_url(story)))
    assert response.status_code == 302
    assert response.url == reverse("admin:stories_story_changelist")
    page = client.get(response.url)
    assert f"You can no longer open that page: {REASON}" in page.text
    assert Event.objects.filter(actor=writer, action__endswith=".denied").count() == 1
    assert Event.objects.get(actor=writer, action__endswith=".denied").action == "workflow.denied"
    assert Story.objects.get(pk=story.pk).state == "draft"


def test_saving_the_story_form_after_losing_authorship_says_why(client, story, writer,
                                                                other_writer):
    change = reverse("admin:stories_story_change", args=[story.pk])
    client.force_login(staff(writer))
    assert client.get(change).status_code == 200
    story.authors.set([other_writer])
    response = client.post(change, {"title": "Mine", "body": "x"}, **came_from(change),
                           follow=True)
    assert response.redirect_chain[-1][0] == reverse("admin:stories_story_changelist")
    assert REASON in response.text
    assert "Perhaps it was deleted" not in response.text
    assert list(Event.objects.filter(actor=writer, action__endswith=".denied")
                .values_list("action", flat=True)) == ["open.denied"]


def test_writer_whose_role_was_removed_lands_on_the_dashboard(client, story, writer):
    change = reverse("admin:stories_story_change", args=[story.pk])
    client.force_login(staff(writer))
    writer.groups.clear()
    response = client.post(change, {"title": "Mine"}, **came_from(change), follow=True)
    assert response.redirect_chain[-1][0] == reverse("admin:index")
    assert "You can no longer open that page" in response.text
    assert Event.objects.filter(actor=writer, action__endswith=".denied").count() == 1


def test_unassigned_reviewer_lands_on_the_story_list_saying_why(client, story, writer,
                                                                 reviewer, editor):
    services.story_assign(story_id=story.pk, user=editor, reviewer=reviewer)
    client.force_login(staff(reviewer))
    assert client.get(review_url(story)).status_code == 200  # a draft: seen as assigned
    story.assignments.all().delete()
    response = client.post(review_url(story), {"decision": "comment"},
                           **came_from(review_url(story)), follow=True)
    assert response.redirect_chain[-1][0] == reverse("admin:stories_story_changelist")
    assert REASON in response.text
    assert Event.objects.filter(actor=reviewer, action="review.denied").count() == 1


def test_a_refused_approval_stays_on_the_screen_with_what_was_typed(client, story, writer,
                                                                   editor):
    editor.groups.add(*reviewer_groups())
    services.story_update(story_id=story.pk, user=editor, body="Fares rose 7% in March [@a].")
    submitted(story, writer)
    client.force_login(staff(editor))
    ordinal = Story.objects.get(pk=story.pk).latest_revision.claims.get().ordinal
    response = client.post(review_url(story), all_supported(
        story, decision="approve", comment="Looks right to me.",
        **{f"note-{ordinal}": "Checked the\nfare table."}), **came_from(review_url(story)))
    assert response.status_code == 403
    assert "The attempt is recorded in the audit trail." in response.text
    assert "Looks right to me.</textarea>" in response.text  # the screen, as they left it
    assert "Checked the\nfare table.</textarea>" in response.text
    assert Event.objects.filter(actor=editor, action__endswith=".denied").count() == 1
    assert Story.objects.get(pk=story.pk).state == "in_review"


def test_a_refusal_with_a_referer_that_is_no_url_answers_the_403_page(client, story,
                                                                     other_writer):
    # The Referer is the browser's text; "http://[::1" made urlsplit raise (a 500).
    client.force_login(staff(other_writer))
    response = client.get(workflow_url(story), HTTP_REFERER="http://[::1")
    assert response.status_code == 403
    assert REASON in response.text


def test_a_guessed_address_still_answers_the_403_page(client, story, other_writer):
    client.force_login(staff(other_writer))
    response = client.get(workflow_url(story))
    assert response.status_code == 403
    assert REASON in response.text


@pytest.mark.parametrize("page", ["change", "workflow"])
def test_a_form_sent_after_signing_out_in_another_tab_says_on_the_sign_in_page_it_was_not_saved(
        client, story, writer, page):
    client.force_login(staff(writer))
    url = (reverse("admin:stories_story_change", args=[story.pk]) if page == "change"
           else workflow_url(story))
    client.get(url)
    client.logout()  # another tab's "Log out": the session is gone
    response = client.post(url, {"title": "Ferry fares", "op": "submit"}, follow=True,
                           **came_from(url))
    assert response.redirect_chain[-1][0].startswith(reverse("admin:login"))
    assert "You are signed out, so this was not saved" in response.content.decode()
    assert Story.objects.get(pk=story.pk).state == "draft"


def test_the_sign_in_page_opened_directly_says_nothing_about_an_unsaved_form(client, story):
    response = client.get(reverse("admin:stories_story_changelist"), follow=True)
    assert "was not saved" not in response.content.decode()
