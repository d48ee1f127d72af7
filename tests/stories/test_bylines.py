"""A byline keeps its people: a co-author who never acted cannot be deleted out of it."""

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import ProtectedError
from django.urls import reverse

from tests.factories import SourceFactory, UserFactory, make_story
from tests.public.helpers import publish_story

pytestmark = pytest.mark.django_db


@pytest.fixture
def co_author(db):
    # Added to the byline by the writer; never signs in, never acts: no audit event names them.
    return UserFactory(username="coauthor", first_name="Dana", last_name="Okafor",
                       roles=["Writers"])


@pytest.fixture
def story(writer, reviewer, editor, co_author):
    return publish_story(writer, reviewer, editor, body="Five cranes arrived [@c1].",
                         sources=[SourceFactory(key="c1")], authors=[co_author])


@pytest.fixture
def superuser(db):
    return get_user_model().objects.create_superuser("chief", "chief@example.org", "pw-chief-1")


def still_there(user) -> bool:
    return get_user_model().objects.filter(pk=user.pk).exists()


def test_the_admin_refuses_to_delete_a_co_author_and_says_why(client, superuser, story,
                                                               co_author):
    client.force_login(superuser)
    url = reverse("admin:auth_user_delete", args=[co_author.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert "Cannot delete this user" in page.text
    assert "on the byline of 1 story" in page.text
    assert "Deactivate coauthor" in page.text
    client.post(url, {"post": "yes"})
    assert still_there(co_author)
    assert "Dana Okafor" in client.get(story.get_absolute_url()).text


def test_bulk_delete_in_the_admin_refuses_and_names_the_co_author(client, superuser, story,
                                                                  co_author):
    someone = UserFactory(username="temp-account")
    client.force_login(superuser)
    selected = {"action": "delete_selected", "_selected_action": [co_author.pk, someone.pk]}
    page = client.post(reverse("admin:auth_user_changelist"), selected)
    assert page.status_code == 403
    assert "Nothing was deleted." in page.text
    assert "coauthor: They are on the byline of 1 story (1 published)" in page.text
    assert "Are you sure" not in page.text
    client.post(reverse("admin:auth_user_changelist"), {**selected, "post": "yes"})
    assert still_there(co_author) and still_there(someone)


def test_deleting_a_co_author_in_code_is_refused(story, co_author):
    # Refused from inside the delete's transaction: the caller's block is rolled back.
    with pytest.raises(ProtectedError), transaction.atomic():
        co_author.delete()
    with pytest.raises(ProtectedError), transaction.atomic():
        get_user_model().objects.filter(pk=co_author.pk).delete()
    assert story.authors.filter(pk=co_author.pk).exists()


def test_a_draft_co_author_is_kept_too(writer, co_author):
    make_story(writer, title="Quay wall repairs", authors=[co_author])
    with pytest.raises(ProtectedError), transaction.atomic():
        co_author.delete()


def test_someone_taken_off_every_byline_can_be_deleted(client, superuser, writer, co_author):
    story = make_story(writer, title="Quay wall repairs", authors=[co_author])
    story.authors.remove(co_author)
    client.force_login(superuser)
    client.post(reverse("admin:auth_user_delete", args=[co_author.pk]), {"post": "yes"})
    assert not still_there(co_author)


def test_a_deactivated_co_authors_byline_still_leads_to_their_page(client, story, co_author):
    # Deactivation is what the admin offers instead of deleting: a former colleague's stories
    # stay theirs, and the byline's link must not become a dead end.
    co_author.is_active = False
    co_author.save()
    page = client.get(story.get_absolute_url()).text
    assert 'href="/authors/coauthor/"' in page
    author_page = client.get("/authors/coauthor/")
    assert author_page.status_code == 200
    assert "Dana Okafor" in author_page.text and story.title in author_page.text


def test_a_name_leaving_a_direction_control_open_does_not_reverse_the_page(client, story,
                                                                           co_author, reviewer):
    # A name typed with U+202E left open (in the admin's user form) would reverse the rest of
    # the byline and the "Reviewed by" line; the one function that makes a display name drops
    # the controls a name leaves open, as titles do, and keeps the ones it closes.
    co_author.first_name, co_author.last_name = "Dana \u202e", "Okafor"
    co_author.save()
    reviewer.first_name, reviewer.last_name = "\u2067Rana", "\u202bحداد\u202c"
    reviewer.save()
    page = client.get(story.get_absolute_url()).content.decode()
    assert "\u202e" not in page and "\u2067" not in page
    assert "Dana  Okafor" in page
    assert "Rana \u202bحداد\u202c" in page
