"""Comment threads over the API: the same services, refusals and anchors as the admin."""

import pytest

from audit.models import Event
from stories.models import Story
from tests.api.conftest import client_for, story_in
from tests.factories import latest_hash


@pytest.fixture
def story(writer, reviewer, editor):
    return story_in("in_review", author=writer, reviewer=reviewer, editor=editor)


def comments(story):
    return f"/api/v1/stories/{story.pk}/comments/"


def test_a_reviewer_comments_on_a_claim_by_its_id_and_the_writer_reads_it(
        story, writer, reviewer):
    claim = Story.objects.get(pk=story.pk).latest_revision.claims.get(ordinal=1)
    response = client_for(reviewer).post(comments(story), {
        "text": "Which table?", "claim": claim.pk, "revision": latest_hash(story)},
        format="json")
    assert response.status_code == 201, response.json()
    thread = response.json()
    assert (thread["claim"], thread["line"], thread["outdated"]) == (1, 1, False)
    listed = client_for(writer).get(comments(story)).json()["results"]
    assert [t["comments"][0]["text"] for t in listed] == ["Which table?"]
    assert listed[0]["comments"][0]["author_name"] == "First Reviewer"


def test_the_writer_replies_and_resolves(story, writer, reviewer):
    thread = client_for(reviewer).post(comments(story), {
        "text": "Source?", "quote": "4.2 million containers", "revision": latest_hash(story)},
        format="json").json()
    base = f"{comments(story)}{thread['id']}/"
    reply = client_for(writer).post(base + "replies/", {"text": "Annual report, p. 3"},
                                    format="json")
    assert reply.status_code == 201
    assert [c["text"] for c in reply.json()["comments"]] == ["Source?", "Annual report, p. 3"]
    resolved = client_for(writer).post(base + "resolve/")
    assert resolved.status_code == 200 and resolved.json()["resolved"] is True
    again = client_for(writer).post(base + "replies/", {"text": "More"}, format="json")
    assert again.status_code == 409
    assert "resolved" in again.json()["detail"]
    trail = client_for(writer).get(f"/api/v1/stories/{story.pk}/audit/").json()["results"]
    assert [e["action"] for e in trail if e["action"].endswith(".denied")] == [
        "comment_reply.denied"]


@pytest.mark.parametrize(("body", "status", "field"), [
    ({"text": "x", "quote": "not in the text"}, 400, "quote"),
    ({"text": "", "quote": "4.2 million"}, 400, "text"),
    ({"text": "x", "claim": 999999}, 400, "claim"),
    ({"text": "x", "quote": "4.2 million", "revision": "0" * 64}, 412, None),
    ({"text": "x", "quote": "4.2 million", "revision": ""}, 400, "revision"),
])
def test_bad_comments_are_refused_naming_the_field(story, reviewer, body, status, field):
    body = {"revision": latest_hash(story), **body}
    response = client_for(reviewer).post(comments(story), body, format="json")
    assert response.status_code == status, response.json()
    if field:
        assert field in response.json()["errors"]


def test_a_writer_may_not_start_a_thread_and_the_refusal_is_audited(story, writer):
    response = client_for(writer).post(comments(story), {
        "text": "x", "quote": "4.2 million", "revision": latest_hash(story)}, format="json")
    assert response.status_code == 403
    assert Event.objects.filter(story=story, action="comment_add.denied").count() == 1


def test_comments_are_not_reachable_anonymously(story, reviewer):
    client_for(reviewer).post(comments(story), {
        "text": "x", "quote": "4.2 million", "revision": latest_hash(story)}, format="json")
    assert client_for().get(comments(story)).status_code in (401, 403)
