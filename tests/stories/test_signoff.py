"""Sign-off means what it says: approval is of the text read, publishing of the revision seen,
and a live page changes only through a reviewed revision (issue 11's attacks, reproduced)."""

import json

import pytest

from audit.models import Event
from sources import services as source_services
from sources.models import Snapshot
from stories import canonical, services
from stories.models import Revision, State, Story
from tests.api.conftest import client_for
from tests.factories import (
    SourceFactory,
    UserFactory,
    approved_hash,
    latest_hash,
    make_story,
    tamper_revision,
)
from tests.public.helpers import approve, publish_story

BODY = "The port handled 4.2 million containers in 2024 [@port-annual]."


@pytest.fixture(autouse=True)
def _fresh_cache():
    # Ids repeat between tests; a page cached by an earlier test must not answer for this one.
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def source(db):
    return SourceFactory(key="port-annual", title="Port annual report 2024",
                         outlet="Harbour Authority", url="https://port.example.org/annual")


@pytest.fixture
def in_review(writer, source):
    story = make_story(writer, body=BODY, sources=[source])
    services.story_submit(story_id=story.pk, user=writer)
    return Story.objects.get(pk=story.pk)


def claims_of(client, story) -> dict:
    return client.get(f"/api/v1/stories/{story.pk}/claims/").json()


def supported(claims: dict) -> list[dict]:
    return [{"claim": c["id"], "verdict": "supported"} for c in claims["claims"]]


def denied(story, action: str) -> int:
    return Event.objects.filter(story=story, action=f"{action}.denied").count()


# --- approving requires the revision read --------------------------------------------------


def test_api_approval_of_text_changed_since_the_reviewer_read_it_is_412(
        in_review, writer, reviewer):
    api = client_for(reviewer)
    read = claims_of(api, in_review)  # revision A
    client_for(writer).patch(f"/api/v1/stories/{in_review.pk}/",
                             {"body": BODY.replace("4.2", "9.9")}, format="json",
                             HTTP_IF_MATCH=f'"{read["revision"]}"')
    client_for(writer).post(f"/api/v1/stories/{in_review.pk}/submit/")  # revision B

    response = api.post(f"/api/v1/stories/{in_review.pk}/reviews/",
                        {"decision": "approve", "revision": read["revision"],
                         "checks": supported(read)}, format="json")

    assert response.status_code == 412
    current = Story.objects.get(pk=in_review.pk).latest_revision
    assert response.json()["revision"] == current.content_hash
    assert "changed since you read it" in response.json()["detail"]
    assert Story.objects.get(pk=in_review.pk).approved_revision is None
    assert denied(in_review, "approve") == 1


@pytest.mark.parametrize("how", ["revision", "base_revision", "If-Match"])
def test_api_approval_names_the_revision_read_in_any_of_its_forms(in_review, reviewer, how):
    api = client_for(reviewer)
    read = claims_of(api, in_review)
    body = {"decision": "approve", "checks": supported(read)}
    headers = {}
    if how == "If-Match":
        headers["HTTP_IF_MATCH"] = f'"{read["revision"]}"'
    else:
        body[how] = read["revision"]
    response = api.post(f"/api/v1/stories/{in_review.pk}/reviews/", body, format="json",
                        **headers)
    assert response.status_code == 201, response.json()
    assert Story.objects.get(pk=in_review.pk).state == State.APPROVED


@pytest.mark.parametrize("decision", ["approve", "comment"])
def test_api_approval_or_checks_without_the_revision_read_are_400_naming_it(
        in_review, reviewer, decision):
    api = client_for(reviewer)
    read = claims_of(api, in_review)
    response = api.post(f"/api/v1/stories/{in_review.pk}/reviews/",
                        {"decision": decision, "checks": supported(read)}, format="json")
    assert response.status_code == 400
    assert "revision" in response.json()["errors"]
    assert not Story.objects.get(pk=in_review.pk).reviews.exists()


def test_api_checks_name_claims_by_id_and_refuse_a_claim_of_another_revision(
        in_review, writer, reviewer):
    api = client_for(reviewer)
    old = claims_of(api, in_review)
    services.story_withdraw(story_id=in_review.pk, user=writer)
    services.story_update(story_id=in_review.pk, user=writer, base_revision=old["revision"],
                          body=BODY + " Cranes arrived in May [@port-annual].")
    services.story_submit(story_id=in_review.pk, user=writer)
    new = claims_of(api, in_review)
    response = api.post(f"/api/v1/stories/{in_review.pk}/reviews/",
                        {"decision": "comment", "revision": new["revision"],
                         "checks": supported(old)}, format="json")
    assert response.status_code == 400
    assert "is not a claim of revision 2" in response.json()["detail"]


# --- publishing requires the revision approved ----------------------------------------------


def test_api_publish_of_a_revision_other_than_the_one_seen_is_412(in_review, writer, reviewer,
                                                                 editor):
    approve(in_review, reviewer)
    seen = approved_hash(in_review)
    services.story_update(story_id=in_review.pk, user=writer, base_revision=seen,
                          body=BODY + " Edited.")
    services.story_submit(story_id=in_review.pk, user=writer)
    approve(in_review, UserFactory(username="reviewer-b", roles=["Reviewers"]))

    response = client_for(editor).post(f"/api/v1/stories/{in_review.pk}/publish/",
                                       {"revision": seen}, format="json")

    assert response.status_code == 412
    assert response.json()["revision"] == approved_hash(in_review)
    assert Story.objects.get(pk=in_review.pk).live_revision is None
    assert denied(in_review, "publish") == 1


def test_api_publish_without_naming_the_revision_is_400(in_review, reviewer, editor):
    approve(in_review, reviewer)
    response = client_for(editor).post(f"/api/v1/stories/{in_review.pk}/publish/", {},
                                       format="json")
    assert response.status_code == 400
    assert "revision" in response.json()["errors"]
    assert Story.objects.get(pk=in_review.pk).live_revision is None


def test_a_revision_row_altered_behind_the_app_cannot_be_approved_or_published(
        in_review, reviewer, editor):
    revision = in_review.latest_revision
    tamper_revision(revision.pk, body="Forged text [@port-annual].")
    checks = [services.CheckInput(claim=c.ordinal, verdict="supported")
              for c in revision.claims.all()]
    with pytest.raises(services.RevisionAltered):
        services.review_submit(story_id=in_review.pk, reviewer=reviewer, decision="approve",
                               base_revision=revision.content_hash, checks=checks)
    assert denied(in_review, "approve") == 1
    assert Story.objects.get(pk=in_review.pk).state == State.IN_REVIEW


def test_api_answers_409_for_an_altered_approved_revision(in_review, reviewer, editor):
    approve(in_review, reviewer)
    tamper_revision(in_review.latest_revision_id, title="Forged headline")
    response = client_for(editor).post(f"/api/v1/stories/{in_review.pk}/publish/",
                                       {"revision": approved_hash(in_review)}, format="json")
    assert response.status_code == 409
    assert "no longer matches the content hash" in response.json()["detail"]
    assert Story.objects.get(pk=in_review.pk).live_revision is None


def test_publish_due_publishes_only_the_revision_that_was_scheduled(in_review, reviewer, editor):
    from datetime import timedelta

    from django.utils import timezone

    approve(in_review, reviewer)
    services.story_publish(story_id=in_review.pk, user=editor, revision=approved_hash(in_review),
                           publish_at=timezone.now() + timedelta(hours=1))
    # Someone points the approval at another revision behind the workflow's back.
    other = Revision.objects.create(story=in_review, number=99, title="Forged",
                                    content_hash="0" * 64, hash_version=2)
    Story.objects.filter(pk=in_review.pk).update(approved_revision=other, latest_revision=other)
    assert services.publish_due(now=timezone.now() + timedelta(hours=2)) == []
    assert services.publish_due(now=timezone.now() + timedelta(hours=3)) == []
    assert Story.objects.get(pk=in_review.pk).live_revision is None
    assert denied(in_review, "publish") == 1


# --- the admin story form never saves blind ----------------------------------------------


@pytest.mark.parametrize("base", ["", None])
def test_admin_story_form_without_its_base_revision_is_refused_and_keeps_the_text(
        client, writer, source, base):
    story = make_story(writer, body=BODY, sources=[source])
    client.force_login(writer)
    writer.is_staff = True
    writer.save()
    data = {"title": story.title, "slug": story.slug, "dek": "", "body": "My new paragraph.",
            "authors": [writer.pk], "source_entries-TOTAL_FORMS": "0",
            "source_entries-INITIAL_FORMS": "0"}
    if base is not None:
        data["base_revision"] = base
    response = client.post(f"/admin/stories/story/{story.pk}/change/", data)
    assert response.status_code == 400
    assert "did not say which version of the story it started from" in response.text
    assert "My new paragraph." in response.text
    assert Story.objects.get(pk=story.pk).latest_revision.number == 1


# --- citations are pinned with the text ----------------------------------------------------


def test_a_revision_hash_covers_its_sources_metadata(writer, source):
    story = make_story(writer, body=BODY, sources=[source])
    first = Story.objects.get(pk=story.pk).latest_revision
    source_services.source_update(source_id=source.pk, user=writer, title="Renamed report")
    services.story_update(story_id=story.pk, user=writer, base_revision=first.content_hash)
    second = Story.objects.get(pk=story.pk).latest_revision
    assert (second.title, second.dek, second.body) == (first.title, first.dek, first.body)
    assert second.content_hash != first.content_hash
    assert second.pins[0].title == "Renamed report" and first.pins[0].title == source.title
    assert second.computed_hash() == second.content_hash


def test_the_content_hash_is_sha256_of_the_documented_canonical_bytes(writer, source):
    story = make_story(writer, body=BODY, sources=[source])
    revision = Story.objects.get(pk=story.pk).latest_revision
    raw = json.loads(canonical.canonical_bytes(title=revision.title, dek=revision.dek,
                                               body=revision.body,
                                               sources=revision.pinned_sources))
    assert raw["v"] == 2 and raw["sources"][0]["url"] == "https://port.example.org/annual"
    assert set(raw["sources"][0]) == set(canonical.PINNED_FIELDS)


def test_a_library_edit_never_reaches_the_live_page_api_json_ld_or_csl(
        client, writer, reviewer, editor, source):
    story = publish_story(writer, reviewer, editor, body=BODY, sources=[source])
    source_services.source_update(source_id=source.pk, user=editor, title="Phishing title",
                                  outlet="Evil Wire", url="https://evil.example/phish")
    page = client.get(f"/stories/{story.slug}/").content.decode()
    api = client.get(f"/api/v1/public/stories/{story.slug}/").json()
    csl = client_for(editor).get(f"/api/v1/stories/{story.pk}/csl/").json()
    for text in (page, json.dumps(api), json.dumps(csl)):
        assert "evil.example" not in text and "Phishing title" not in text
    assert api["sources"][0]["title"] == "Port annual report 2024"
    assert api["revision"] == story.live_revision.content_hash


def test_staff_see_which_live_stories_cite_an_outdated_copy_and_carry_it_for_review(
        client, writer, reviewer, editor, source):
    story = publish_story(writer, reviewer, editor, body=BODY, sources=[source])
    source_services.source_update(source_id=source.pk, user=editor,
                                  url="https://port.example.org/annual-2024")
    editor.is_staff = True
    editor.save()
    client.force_login(editor)
    source_page = client.get(f"/admin/sources/source/{source.pk}/change/").content.decode()
    assert "the live page shows an older copy of this source (link changed since)" in source_page
    story_page = client.get(f"/admin/stories/story/{story.pk}/change/").content.decode()
    assert "changed since revision 1 pinned it" in story_page
    detail = client_for(editor).get(f"/api/v1/stories/{story.pk}/").json()
    assert detail["sources"][0]["outdated"] == ["link"]

    services.story_update(story_id=story.pk, user=editor, base_revision=latest_hash(story))
    story.refresh_from_db()
    assert story.latest_revision.number == 2 and story.live_revision.number == 1
    assert story.latest_revision.pins[0].url == "https://port.example.org/annual-2024"
    live = client.get(f"/stories/{story.slug}/").content.decode()
    assert "annual-2024" not in live  # only after review and publication with a note
    services.story_submit(story_id=story.pk, user=writer)
    approve(story, UserFactory(username="reviewer-c", roles=["Reviewers"]))
    services.story_publish(story_id=story.pk, user=editor, revision=approved_hash(story),
                           note="Updated the link to the report.", note_kind="update")
    live = client.get(f"/stories/{story.slug}/").content.decode()
    assert "https://port.example.org/annual-2024" in live
    assert "Updated the link to the report." in live


def test_the_live_page_links_the_snapshot_the_revision_pinned_not_a_newer_one(
        client, writer, reviewer, editor, source):
    pinned = Snapshot.objects.create(source=source, requested_url=source.url, status_code=200,
                                     final_url=source.url, sha256="a" * 64)
    story = publish_story(writer, reviewer, editor, body=BODY, sources=[source])
    newer = Snapshot.objects.create(source=source, requested_url=source.url, status_code=200,
                                    final_url=source.url, sha256="b" * 64)
    page = client.get(f"/stories/{story.slug}/").content.decode()
    assert f"/sources/snapshots/{pinned.pk}/" in page
    assert f"/sources/snapshots/{newer.pk}/" not in page


@pytest.mark.parametrize(("role", "allowed"), [
    ("author", True), ("other_writer", False), ("reviewer", False), ("editor", True),
])
def test_who_may_change_what_a_cited_source_says(writer, other_writer, reviewer, editor, source,
                                                 role, allowed):
    make_story(writer, body=BODY, sources=[source])
    user = {"author": writer, "other_writer": other_writer, "reviewer": reviewer,
            "editor": editor}[role]
    response = client_for(user).patch(f"/api/v1/sources/{source.key}/",
                                      {"url": "https://evil.example/phish"}, format="json",
                                      HTTP_IF_MATCH=f'"{source.version}"')
    assert response.status_code == (200 if allowed else 403)
    source.refresh_from_db()
    assert (source.url == "https://evil.example/phish") is allowed
    refusals = Event.objects.filter(action="source_update.denied").count()
    assert refusals == (0 if allowed else 1)
    if not allowed:
        assert "only an editor" in response.json()["detail"]


def test_anyone_on_staff_may_edit_a_cited_sources_internal_notes(writer, other_writer, source):
    make_story(writer, body=BODY, sources=[source])
    response = client_for(other_writer).patch(f"/api/v1/sources/{source.key}/",
                                              {"notes": "Paywalled; PDF in the drive."},
                                              format="json",
                                              HTTP_IF_MATCH=f'"{source.version}"')
    assert response.status_code == 200


def test_existing_revisions_keep_their_version_1_hash_after_pinning(writer, source):
    story = make_story(writer, body=BODY, sources=[source])
    revision = Story.objects.get(pk=story.pk).latest_revision
    legacy = canonical.content_hash(title=revision.title, dek=revision.dek, body=revision.body,
                                    sources=[{"key": "port-annual"}], version=1)
    tamper_revision(revision.pk, content_hash=legacy, hash_version=1)
    revision.refresh_from_db()
    assert revision.computed_hash() == legacy


@pytest.mark.parametrize("endpoint", ["reviews", "publish"])
def test_revision_sent_under_both_names_is_one_revision_never_a_500(in_review, reviewer, editor,
                                                                   endpoint):
    user = reviewer if endpoint == "reviews" else editor
    body = {"decision": "comment", "revision": "a" * 64, "base_revision": "b" * 64}
    response = client_for(user).post(f"/api/v1/stories/{in_review.pk}/{endpoint}/", body,
                                     format="json")
    assert response.status_code in (409, 412)
    assert response.json()["detail"]
