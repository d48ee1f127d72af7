"""Numbers people type or a form posts are read in ASCII digits only: another script's digit
("٣", Arabic-Indic three) or a word is refused saying what was given, never read as 3 or as
"-1"."""

import uuid

import pytest
from django.urls import reverse

from stories.models import CommentThread, Story
from tests.api.conftest import client_for, story_in
from tests.factories import SourceFactory, latest_hash, make_story

pytestmark = pytest.mark.django_db

ARABIC_THREE = "\u0663"


def staff(client, user):
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    client.force_login(user)
    return client


@pytest.fixture
def story(writer, reviewer, editor):
    return story_in("in_review", author=writer, reviewer=reviewer, editor=editor)


@pytest.mark.parametrize("claim", ["abc", ARABIC_THREE, "-1", "9223372036854775808"])
def test_a_comment_on_a_claim_id_that_is_not_one_says_the_value_given(client, story, reviewer,
                                                                      claim):
    url = reverse("admin:stories_story_comments", args=[story.pk])
    page = staff(client, reviewer).post(url, {
        "op": "start", "text": "Which table?", "revision": latest_hash(story), "claim": claim,
        "submission": str(uuid.uuid4())}, follow=True).content.decode()
    assert f"“{claim}” is not a claim id" in page
    assert "Claim id -1" not in page
    assert not CommentThread.objects.exists()


def test_a_reply_to_a_thread_named_in_another_scripts_digits_finds_no_thread(client, story,
                                                                             reviewer):
    from stories import services

    services.comment_start(story_id=story.pk, user=reviewer, text="Source?",
                           revision=latest_hash(story), quote="4.2 million containers")
    thread = CommentThread.objects.get()
    response = staff(client, reviewer).post(
        reverse("admin:stories_story_comments", args=[story.pk]),
        {"op": "reply", "thread": chr(0x0660 + thread.pk) if thread.pk < 10 else "x",
         "text": "Here."})
    assert response.status_code == 404


def test_api_a_comment_claim_in_another_scripts_digits_is_refused(story, reviewer):
    claim = story.latest_revision.claims.get(ordinal=1)
    digits = "".join(chr(0x0660 + int(d)) for d in str(claim.pk))
    answer = client_for(reviewer).post(f"/api/v1/stories/{story.pk}/comments/", {
        "text": "Which table?", "claim": digits, "revision": latest_hash(story)}, format="json")
    assert answer.status_code == 400
    assert answer.json()["errors"]["claim"] == ["A valid integer is required."]
    assert not CommentThread.objects.exists()


def story_change_data(story, number) -> dict:
    entry = story.source_entries.get()
    return {"title": story.title, "slug": story.slug, "dek": "", "body": story.body,
            "base_revision": latest_hash(story), "authors": [a.pk for a in story.authors.all()],
            "source_entries-TOTAL_FORMS": "1", "source_entries-INITIAL_FORMS": "1",
            "source_entries-MIN_NUM_FORMS": "0", "source_entries-MAX_NUM_FORMS": "1000",
            "source_entries-0-id": entry.pk, "source_entries-0-story": story.pk,
            "source_entries-0-source": entry.source_id, "source_entries-0-number": number}


@pytest.mark.parametrize("number", [ARABIC_THREE, "\uff13", "3.0"])
def test_a_source_number_in_other_digits_is_refused_on_the_story_form(client, writer, number):
    source = SourceFactory()
    story = make_story(writer, body=f"Cranes arrived [@{source.key}].", sources=[source])
    response = staff(client, writer).post(
        reverse("admin:stories_story_change", args=[story.pk]), story_change_data(story, number))
    assert response.status_code == 400
    assert "Enter a whole number." in response.content.decode()
    assert Story.objects.get().latest_revision.number == 1


def test_a_source_number_in_ascii_digits_is_still_read(client, writer):
    source = SourceFactory()
    story = make_story(writer, body=f"Cranes arrived [@{source.key}].", sources=[source])
    response = staff(client, writer).post(
        reverse("admin:stories_story_change", args=[story.pk]),
        {**story_change_data(story, " 1 "), "body": story.body + " More."})
    assert response.status_code == 302, response.content.decode()[:2000]


def test_api_a_reply_to_a_thread_named_in_another_scripts_digits_is_not_found(story, reviewer,
                                                                            writer):
    from stories import services

    thread = services.comment_start(story_id=story.pk, user=reviewer, text="Source?",
                                    revision=latest_hash(story), quote="4.2 million containers")
    digits = "".join(chr(0x0660 + int(d)) for d in str(thread.pk))
    answer = client_for(writer).post(
        f"/api/v1/stories/{story.pk}/comments/{digits}/replies/", {"text": "Here."},
        format="json")
    assert answer.status_code == 404
    assert thread.comments.count() == 1


def test_revisions_compared_by_ids_in_another_scripts_digits_are_not_chosen(client, writer):
    story = make_story(writer, body="Cranes.")
    first = story.latest_revision
    from stories import services

    services.story_update(story_id=story.pk, user=writer, body="Cranes arrived.")
    second = Story.objects.get().latest_revision
    wide = "".join(chr(0x0660 + int(d)) for d in str(first.pk))
    page = staff(client, writer).get(
        reverse("admin:stories_story_diff", args=[story.pk]),
        {"a": wide, "b": second.pk}, follow=True).content.decode()
    assert "Choose two revisions of this story to compare." in page
