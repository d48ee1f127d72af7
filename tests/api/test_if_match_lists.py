"""If-Match with a list of entity tags (RFC 9110 13.1.1): the edit goes ahead when any of them
is the current one, and is refused (412) when none is, on stories and sources alike."""

import pytest

from stories.models import Story
from tests.api.conftest import client_for
from tests.factories import SourceFactory, approved_hash, latest_hash

SOURCE = "/api/v1/sources/port-annual/"


def test_a_source_edit_whose_if_match_lists_the_current_tag_second_is_saved(writer):
    SourceFactory(key="port-annual")
    client = client_for(writer)
    etag = client.get(SOURCE)["ETag"]
    response = client.patch(SOURCE, {"outlet": "Port"}, format="json",
                            HTTP_IF_MATCH=f'"0000", {etag}')
    assert response.status_code == 200
    assert response.json()["outlet"] == "Port"


def test_a_source_edit_whose_if_match_lists_no_current_tag_is_refused(writer):
    SourceFactory(key="port-annual", outlet="Harbour")
    response = client_for(writer).patch(SOURCE, {"outlet": "Port"}, format="json",
                                        HTTP_IF_MATCH='"0000", "1111"')
    assert response.status_code == 412
    assert client_for(writer).get(SOURCE).json()["outlet"] == "Harbour"


def test_a_story_edit_whose_if_match_lists_the_current_tag_second_is_saved(make, writer):
    story = make("draft")
    client = client_for(writer)
    etag = client.get(f"/api/v1/stories/{story.pk}/")["ETag"]
    response = client.patch(f"/api/v1/stories/{story.pk}/", {"dek": "Three new cranes."},
                            format="json", HTTP_IF_MATCH=f'"0000", {etag}')
    assert response.status_code == 200
    assert response.json()["dek"] == "Three new cranes."


def test_a_story_edit_whose_if_match_lists_no_current_tag_is_refused(make, writer):
    story = make("draft")
    response = client_for(writer).patch(f"/api/v1/stories/{story.pk}/", {"dek": "Mine."},
                                        format="json", HTTP_IF_MATCH='"0000", "1111"')
    assert response.status_code == 412


# --- the workflow's POSTs read the same list, against the revision each one acts on -------

STALE = '"' + "0" * 64 + '"'


def _claims(client, story):
    return client.get(f"/api/v1/stories/{story.pk}/claims/").json()


def _approval(claims):
    return {"decision": "approve",
            "checks": [{"claim": c["id"], "verdict": "supported"} for c in claims["claims"]]}


def test_an_approval_whose_if_match_lists_the_revision_read_second_is_recorded(make, reviewer):
    story = make("in_review")
    client = client_for(reviewer)
    claims = _claims(client, story)
    response = client.post(f"/api/v1/stories/{story.pk}/reviews/", _approval(claims),
                           format="json", HTTP_IF_MATCH=f'{STALE}, "{claims["revision"]}"')
    assert response.status_code == 201, response.json()
    assert response.json()["story_state"] == "approved"


def test_a_review_whose_if_match_lists_no_current_revision_is_refused(make, reviewer):
    story = make("in_review")
    client = client_for(reviewer)
    response = client.post(f"/api/v1/stories/{story.pk}/reviews/",
                           _approval(_claims(client, story)), format="json",
                           HTTP_IF_MATCH=f'{STALE}, "{"1" * 64}"')
    assert response.status_code == 412
    assert response.json()["revision"] == latest_hash(story)
    assert not story.reviews.exists()


def test_a_review_body_revision_wins_over_an_if_match_naming_the_current_one(make, reviewer):
    story = make("in_review")
    client = client_for(reviewer)
    body = {**_approval(_claims(client, story)), "revision": "0" * 64}
    response = client.post(f"/api/v1/stories/{story.pk}/reviews/", body, format="json",
                           HTTP_IF_MATCH=f'"{latest_hash(story)}"')
    assert response.status_code == 412
    assert not story.reviews.exists()


def test_a_comment_whose_if_match_lists_the_latest_revision_second_is_saved(make, reviewer):
    story = make("in_review")
    response = client_for(reviewer).post(
        f"/api/v1/stories/{story.pk}/comments/", {"text": "Source?", "quote": "4.2 million"},
        format="json", HTTP_IF_MATCH=f'{STALE}, "{latest_hash(story)}"')
    assert response.status_code == 201, response.json()
    assert story.comment_threads.count() == 1


def test_a_comment_whose_if_match_lists_no_latest_revision_is_refused(make, reviewer):
    story = make("in_review")
    response = client_for(reviewer).post(
        f"/api/v1/stories/{story.pk}/comments/", {"text": "Source?", "quote": "4.2 million"},
        format="json", HTTP_IF_MATCH=f'{STALE}, "{"1" * 64}"')
    assert response.status_code == 412
    assert not story.comment_threads.exists()


def test_a_publish_whose_if_match_lists_the_approved_revision_second_goes_live(make, editor):
    story = make("approved")
    response = client_for(editor).post(f"/api/v1/stories/{story.pk}/publish/", {},
                                       format="json",
                                       HTTP_IF_MATCH=f'{STALE}, "{approved_hash(story)}"')
    assert response.status_code == 200, response.json()
    assert response.json()["state"] == "published"


def test_a_publish_whose_if_match_lists_no_approved_revision_is_refused(make, editor):
    story = make("approved")
    response = client_for(editor).post(f"/api/v1/stories/{story.pk}/publish/", {},
                                       format="json", HTTP_IF_MATCH=f'{STALE}, "{"1" * 64}"')
    assert response.status_code == 412
    assert response.json()["revision"] == approved_hash(story)
    assert Story.objects.get(pk=story.pk).state == "approved"


# "*" names no revision: a plain review comment needs none, everything else says to name one.

def test_a_review_comment_with_if_match_star_is_recorded(make, reviewer):
    story = make("in_review")
    response = client_for(reviewer).post(f"/api/v1/stories/{story.pk}/reviews/",
                                         {"decision": "comment", "comment": "Check the total."},
                                         format="json", HTTP_IF_MATCH="*")
    assert response.status_code == 201


@pytest.mark.parametrize("state, path, body", [
    ("in_review", "reviews/", {"decision": "approve", "checks": []}),
    ("in_review", "comments/", {"text": "Source?", "quote": "4.2 million"}),
    ("approved", "publish/", {}),
])
def test_if_match_star_names_no_revision_and_answers_400_naming_it(make, editor, reviewer,
                                                                   state, path, body):
    story = make(state)
    user = editor if path == "publish/" else reviewer
    response = client_for(user).post(f"/api/v1/stories/{story.pk}/{path}", body,
                                     format="json", HTTP_IF_MATCH="*")
    assert response.status_code == 400
    assert "revision" in response.json()["errors"]
