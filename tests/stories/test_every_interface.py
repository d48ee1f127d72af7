"""Every interface (admin, API, task, command) holds the sign-off promise: approving needs the
revision read, publishing the revision approved, and a live page changes only through a
reviewed revision. Each attempt to get around it is refused and audited exactly once."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.utils import timezone

from audit.models import Event
from sources.models import Source
from stories import services
from stories.models import Revision, Story
from tests.api.conftest import client_for
from tests.factories import SourceFactory, UserFactory, approved_hash, latest_hash
from tests.public.helpers import approve, publish_story

BODY = "The port handled 4.2 million containers in 2024 [@port-annual]."
EDITED = "The port handled 9.9 million containers in 2024 [@port-annual]."


@pytest.fixture
def world(db, writer, other_writer, reviewer, second_reviewer, editor):
    """A live story (revision 1) and an edit of it in review (revision 2), read by a reviewer
    before the writer changed it again (revision 3, now in review)."""
    cache.clear()
    for user in (writer, other_writer, reviewer, second_reviewer, editor):
        user.is_staff = True
        user.save()
    source = SourceFactory(key="port-annual", title="Port annual report 2024",
                           url="https://port.example.org/annual")
    story = publish_story(writer, reviewer, editor, body=BODY, sources=[source])
    services.story_update(story_id=story.pk, user=writer, base_revision=latest_hash(story),
                          body=EDITED)
    services.story_submit(story_id=story.pk, user=writer)
    read = latest_hash(story)
    services.story_withdraw(story_id=story.pk, user=writer)
    services.story_update(story_id=story.pk, user=writer, base_revision=read,
                          body=EDITED + " Unreviewed sentence.")
    services.story_submit(story_id=story.pk, user=writer)
    return {"story": Story.objects.get(pk=story.pk), "read": read, "source": source,
            "writer": writer, "other_writer": other_writer, "reviewer": reviewer,
            "second_reviewer": second_reviewer, "editor": editor}


def live_view(client, story) -> tuple[str, dict]:
    cache.clear()
    page = client.get(f"/stories/{story.slug}/").content.decode()
    article = page[page.index('<article class="story"'):page.index("</article>")]
    api = client.get(f"/api/v1/public/stories/{story.slug}/").json()
    return article, {k: v for k, v in api.items() if k != "updated_at"}


def claim_ids(story) -> list[dict]:
    return [{"claim": c.pk, "verdict": "supported"}
            for c in Story.objects.get(pk=story.pk).latest_revision.claims.all()]


def api_approve_what_was_read_before_the_last_edit(w, client):
    response = client_for(w["second_reviewer"]).post(
        f"/api/v1/stories/{w['story'].pk}/reviews/",
        {"decision": "approve", "revision": w["read"], "checks": claim_ids(w["story"])},
        format="json")
    return response.status_code, "approve"


def api_approve_as_the_author(w, client):
    response = client_for(w["writer"]).post(
        f"/api/v1/stories/{w['story'].pk}/reviews/",
        {"decision": "approve", "revision": latest_hash(w["story"]),
         "checks": claim_ids(w["story"])}, format="json")
    return response.status_code, "approve"


def admin_approve_what_was_read_before_the_last_edit(w, client):
    client.force_login(w["second_reviewer"])
    story = w["story"]
    data = {"decision": "approve", "revision": w["read"], "comment": ""}
    for claim in story.latest_revision.claims.all():
        data[f"verdict-{claim.ordinal}"] = "supported"
    response = client.post(f"/admin/stories/story/{story.pk}/review/", data)
    assert "The story changed since you opened this screen" in response.text
    return 412, "approve"


def api_publish_an_approval_older_than_the_one_in_force(w, client):
    story = w["story"]
    old_approval = approved_hash(story)  # revision 1's, still recorded as approved? no: None
    approve(story, w["second_reviewer"])
    response = client_for(w["editor"]).post(
        f"/api/v1/stories/{story.pk}/publish/",
        {"revision": old_approval or w["read"], "note": "Updated."}, format="json")
    return response.status_code, "publish"


def admin_publish_a_revision_the_editor_did_not_see(w, client):
    story = w["story"]
    approve(story, w["second_reviewer"])
    client.force_login(w["editor"])
    response = client.post(f"/admin/stories/story/{story.pk}/workflow/", {
        "op": "publish", "publish-note_kind": "correction", "publish-note": "Fixed.",
        "publish-revision": w["read"]}, follow=True)
    assert "not the one you saw" in response.text
    return 412, "publish"


def api_publish_as_a_writer(w, client):
    story = w["story"]
    approve(story, w["second_reviewer"])
    response = client_for(w["writer"]).post(
        f"/api/v1/stories/{story.pk}/publish/",
        {"revision": approved_hash(story), "note": "Updated."}, format="json")
    return response.status_code, "publish"


def schedule_then_swap_the_approved_revision(w) -> None:
    """Schedule revision 3, then point the approval at revision 2 behind the workflow's back
    and make it due."""
    story = w["story"]
    approve(story, w["second_reviewer"])
    services.story_publish(story_id=story.pk, user=w["editor"], revision=approved_hash(story),
                           publish_at=timezone.now() + timedelta(minutes=5),
                           note="Updated.", note_kind="update")
    forged = Revision.objects.filter(story=story, number=2).get()
    Story.objects.filter(pk=story.pk).update(approved_revision=forged, latest_revision=forged,
                                             publish_at=timezone.now() - timedelta(minutes=1))


def task_publishes_a_revision_swapped_in_after_scheduling(w, client):
    from stories.tasks import publish_due

    schedule_then_swap_the_approved_revision(w)
    publish_due.apply()
    publish_due.apply()
    return 409, "publish"


def command_publishes_a_revision_swapped_in_after_scheduling(w, client):
    schedule_then_swap_the_approved_revision(w)
    call_command("publish_due")
    call_command("publish_due")
    return 409, "publish"


def api_patch_a_cited_source_as_another_writer(w, client):
    response = client_for(w["other_writer"]).patch(
        f"/api/v1/sources/{w['source'].key}/", {"url": "https://evil.example/phish"},
        format="json", HTTP_IF_MATCH=f'"{w["source"].version}"')
    return response.status_code, "source_update"


def admin_edit_a_cited_source_as_another_writer(w, client):
    client.force_login(w["other_writer"])
    source = w["source"]
    response = client.post(f"/admin/sources/source/{source.pk}/change/", {
        "key": source.key, "url": "https://evil.example/phish", "title": "Phishing title",
        "outlet": source.outlet, "kind": source.kind, "author": "", "description": "",
        "notes": "", "published_on": ""})
    assert Source.objects.get(pk=source.pk).url == "https://port.example.org/annual"
    assert "only an editor" in response.text
    return 403, "source_update"


REFUSED = [
    (api_approve_what_was_read_before_the_last_edit, 412),
    (api_approve_as_the_author, 403),
    (admin_approve_what_was_read_before_the_last_edit, 412),
    (api_publish_an_approval_older_than_the_one_in_force, 412),
    (admin_publish_a_revision_the_editor_did_not_see, 412),
    (api_publish_as_a_writer, 403),
    (task_publishes_a_revision_swapped_in_after_scheduling, 409),
    (command_publishes_a_revision_swapped_in_after_scheduling, 409),
    (api_patch_a_cited_source_as_another_writer, 403),
    (admin_edit_a_cited_source_as_another_writer, 403),
]


@pytest.mark.parametrize(("attempt", "expected"), REFUSED, ids=[a.__name__ for a, _ in REFUSED])
def test_an_attempt_around_the_sign_off_is_refused_audited_once_and_changes_no_live_page(
        world, client, attempt, expected):
    before = live_view(client, world["story"])
    events = Event.objects.count()
    status, action = attempt(world, client)
    assert status == expected
    refusals = Event.objects.filter(pk__gt=events, action=f"{action}.denied")
    assert refusals.count() == 1
    assert live_view(client, world["story"]) == before


ALLOWED_BUT_NOT_LIVE = {
    "api_patch_by_the_author": lambda w: client_for(w["writer"]).patch(
        f"/api/v1/stories/{w['story'].pk}/", {"title": "A new headline", "dek": "New dek."},
        format="json", HTTP_IF_MATCH=f'"{latest_hash(w["story"])}"'),
    "api_source_edit_by_an_editor": lambda w: client_for(w["editor"]).patch(
        f"/api/v1/sources/{w['source'].key}/", {"title": "Retitled report"}, format="json",
        HTTP_IF_MATCH=f'"{w["source"].version}"'),
    "service_source_list_change": lambda w: services.story_update(
        story_id=w["story"].pk, user=w["editor"], base_revision=latest_hash(w["story"]),
        source_keys=["port-annual", make_source("second-source").key]),
    "api_restore_of_an_unreviewed_revision": lambda w: services.story_restore(
        story_id=w["story"].pk, user=w["writer"],
        revision_id=Revision.objects.get(story=w["story"], number=2).pk),
}


def make_source(key):
    return SourceFactory(key=key)


@pytest.mark.parametrize("change", list(ALLOWED_BUT_NOT_LIVE))
def test_a_permitted_change_reaches_readers_only_once_reviewed_and_published(
        world, client, change):
    before = live_view(client, world["story"])
    ALLOWED_BUT_NOT_LIVE[change](world)
    assert live_view(client, world["story"]) == before
    story = Story.objects.get(pk=world["story"].pk)
    if story.state == "in_review":
        services.story_withdraw(story_id=story.pk, user=world["writer"])
    services.story_update(story_id=story.pk, user=world["writer"],
                          base_revision=latest_hash(story))
    services.story_submit(story_id=story.pk, user=world["writer"])
    approve(story, UserFactory(username="third-reviewer", roles=["Reviewers"]))
    services.story_publish(story_id=story.pk, user=world["editor"],
                           revision=approved_hash(story), note="Updated.", note_kind="update")
    assert live_view(client, world["story"]) != before
