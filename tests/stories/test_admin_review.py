from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audit.models import Event
from sources.models import Snapshot
from stories import services
from stories.models import ClaimCheck, PreviewLink, Review, Story
from stories.services import CheckInput
from tests.factories import SourceFactory, UserFactory, approved_hash, latest_hash, make_story

BODY = (
    "Exports rose 6% in March [@a]. Imports fell by a third [@b, p. 4].\n\n"
    "The port hired 40 crane drivers [@a]."
)
EDITED = (
    "Exports rose 6% in March [@a]. Imports fell by a third [@b, p. 4].\n\n"
    "The port hired 45 crane drivers [@a]."
)


def staff(*users):
    for user in users:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    return users[0] if len(users) == 1 else users


@pytest.fixture
def sources(db):
    return [SourceFactory(key="a", title="Customs monthly bulletin"),
            SourceFactory(key="b", title="Port authority annual report")]


@pytest.fixture
def story(writer, sources):
    return make_story(writer, title="Exports climb at the harbour", body=BODY)


def review_url(story):
    return reverse("admin:stories_story_review", args=[story.pk])


def workflow_url(story):
    return reverse("admin:stories_story_workflow", args=[story.pk])


def ordinals(story):
    revision = Story.objects.get(pk=story.pk).latest_revision
    return list(revision.claims.order_by("ordinal").values_list("ordinal", flat=True))


def all_supported(story, **extra):
    data = {f"verdict-{o}": "supported" for o in ordinals(story)}
    data["revision"] = Story.objects.get(pk=story.pk).latest_revision.content_hash
    return {**data, **extra}


def submitted(story, writer):
    services.story_submit(story_id=story.pk, user=writer)
    return Story.objects.get(pk=story.pk)


def approved(story, writer, reviewer):
    submitted(story, writer)
    services.review_submit(
        story_id=story.pk, base_revision=latest_hash(story), reviewer=reviewer, decision="approve",
        checks=[CheckInput(claim=o, verdict="supported") for o in ordinals(story)],
    )
    return Story.objects.get(pk=story.pk)


def sent_back_and_edited(story, writer, reviewer, body=EDITED):
    """Round one: every claim checked supported, changes requested; then the writer edits."""
    submitted(story, writer)
    services.review_submit(
        story_id=story.pk, base_revision=latest_hash(story),
        reviewer=reviewer, decision="request_changes",
        comment="Check the crane figure.",
        checks=[CheckInput(claim=o, verdict="supported") for o in ordinals(story)],
    )
    services.story_update(story_id=story.pk, user=writer, body=body)
    return submitted(story, writer)


# --- the reviewer's screen -----------------------------------------------------------------


def test_review_screen_shows_claims_highlighted_with_their_sources(client, story, writer,
                                                                   reviewer):
    submitted(story, writer)
    client.force_login(staff(reviewer))
    response = client.get(review_url(story))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="claim claim-unchecked" id="claim-1"' in html
    assert "Customs monthly bulletin" in html
    assert "Not yet checked" in html
    assert "Submit review" in html
    assert "style=" not in html.split('id="content-main"')[1]


def test_reviewer_approves_with_all_claims_supported_and_approval_is_pinned(
        client, story, writer, reviewer):
    submitted(story, writer)
    client.force_login(staff(reviewer))
    response = client.post(review_url(story), all_supported(story, decision="approve"),
                           follow=True)
    assert response.status_code == 200
    assert "Your review is recorded (approve). The story is approved." in response.text
    story.refresh_from_db()
    assert story.state == "approved"
    review = Review.objects.get(story=story, decision="approve")
    assert review.content_hash == story.latest_revision.content_hash
    assert story.approved_revision_id == story.latest_revision_id
    assert 'class="claim claim-supported" id="claim-1"' in response.text


def test_approving_with_a_missing_check_shows_the_error_and_keeps_the_input(
        client, story, writer, reviewer):
    submitted(story, writer)
    client.force_login(staff(reviewer))
    data = all_supported(story, decision="approve", comment="Figures match the bulletin.")
    data.pop("verdict-3")
    data["note-1"] = "Bulletin, table 2"
    response = client.post(review_url(story), data)
    assert response.status_code == 200
    assert "Every claim must be checked and supported before approval" in response.text
    assert ">Bulletin, table 2</textarea>" in response.text
    assert "Figures match the bulletin." in response.text
    assert '<option value="supported" selected>' in response.text
    story.refresh_from_db()
    assert story.state == "in_review"
    assert not Review.objects.filter(story=story).exists()


def test_request_changes_without_a_comment_is_a_form_error(client, story, writer, reviewer):
    submitted(story, writer)
    client.force_login(staff(reviewer))
    response = client.post(review_url(story), all_supported(story, decision="request_changes"))
    assert response.status_code == 200
    assert "Say what needs to change." in response.text
    assert Story.objects.get(pk=story.pk).state == "in_review"


def test_a_claim_note_past_the_limit_is_a_form_error_keeping_everything_typed(
        client, story, writer, reviewer):
    submitted(story, writer)
    client.force_login(staff(reviewer))
    long_note = "Checked against table 2. " * 499 + "Checked against table 2."  # 12,499
    data = all_supported(story, decision="approve", comment="Figures match the bulletin.")
    data["note-2"] = long_note
    data["note-1"] = "Bulletin, table 2"

    response = client.post(review_url(story), data)

    assert response.status_code == 200
    assert "The note on claim 2 has 12,499 characters; a note holds at most 10,000." in (
        response.text)
    assert f">{long_note}</textarea>" in response.text
    assert ">Bulletin, table 2</textarea>" in response.text
    assert "Figures match the bulletin." in response.text
    assert Story.objects.get(pk=story.pk).state == "in_review"
    assert not Review.objects.filter(story=story).exists()
    assert not ClaimCheck.objects.filter(claim__revision__story=story).exists()


def test_a_claim_note_with_a_nul_character_is_a_form_error_keeping_everything_typed(
        client, story, writer, reviewer):
    # The per-claim notes are read from the screen's own fields, not a Django form field that
    # refuses NUL: one was saved on SQLite, and PostgreSQL refuses the row (a 500).
    submitted(story, writer)
    client.force_login(staff(reviewer))
    data = all_supported(story, decision="approve", comment="Figures match the bulletin.")
    data["note-2"] = "Table\x002"

    response = client.post(review_url(story), data)

    assert response.status_code == 200
    assert "The note on claim 2: Null characters are not allowed." in response.text
    assert "Figures match the bulletin." in response.text
    assert not Review.objects.filter(story=story).exists()
    assert not ClaimCheck.objects.filter(claim__revision__story=story).exists()


def test_a_review_comment_past_the_limit_is_a_form_error_keeping_it(
        client, story, writer, reviewer):
    submitted(story, writer)
    client.force_login(staff(reviewer))
    comment = "x" * 20_001

    response = client.post(review_url(story), all_supported(
        story, decision="request_changes", comment=comment, **{"note-1": "Table 2"}))

    assert response.status_code == 200
    assert "The comment has 20,001 characters; a comment holds at most 20,000." in response.text
    assert comment in response.text
    assert ">Table 2</textarea>" in response.text
    assert not Review.objects.filter(story=story).exists()


def test_author_cannot_approve_and_the_attempt_is_audited(client, story, writer):
    submitted(story, writer)
    writer.groups.add(*reviewer_groups())
    client.force_login(staff(writer))
    response = client.post(review_url(story), all_supported(story, decision="approve"))
    assert response.status_code == 403
    assert "Authors cannot review their own story." in response.text
    assert Story.objects.get(pk=story.pk).state == "in_review"
    assert Event.objects.filter(story=story, action="approve.denied", actor=writer).exists()


def reviewer_groups():
    from django.contrib.auth.models import Group

    return Group.objects.filter(name="Reviewers")


def test_author_sees_the_review_screen_read_only(client, story, writer):
    submitted(story, writer)
    client.force_login(staff(writer))
    response = client.get(review_url(story))
    assert response.status_code == 200
    assert "You are viewing this story read-only" in response.text
    assert "Submit review" not in response.text


def test_approving_a_story_that_changed_since_the_screen_opened_is_refused(
        client, story, writer, reviewer):
    submitted(story, writer)
    client.force_login(staff(reviewer))
    data = all_supported(story, decision="approve")
    services.story_update(story_id=story.pk, user=writer, body=EDITED)
    submitted(story, writer)
    response = client.post(review_url(story), data)
    assert response.status_code == 200
    assert "The story changed since you opened this screen" in response.text
    assert Story.objects.get(pk=story.pk).state == "in_review"


def test_unchanged_checks_are_offered_and_accepted_in_one_click(
        client, story, writer, reviewer, second_reviewer):
    sent_back_and_edited(story, writer, reviewer)
    client.force_login(staff(second_reviewer))
    page = client.get(review_url(story))
    assert "Checked supported by First Reviewer on" in page.text
    assert "(revision 1)" in page.text
    assert "Accept all unchanged checks (2)" in page.text

    revision = Story.objects.get(pk=story.pk).latest_revision
    response = client.post(review_url(story), {
        "revision": revision.content_hash, "decision": "approve", "accept_carried": "on",
        "verdict-3": "supported",
    }, follow=True)
    assert "The story is approved." in response.text
    checks = ClaimCheck.objects.filter(claim__revision=revision)
    carried = checks.exclude(carried_from=None)
    assert sorted(c.claim.ordinal for c in carried) == [1, 2]
    assert all(c.carried_from.claim.revision.number == 1 for c in carried)
    assert checks.get(claim__ordinal=3).carried_from is None


def test_a_changed_claim_is_marked_new(client, story, writer, reviewer, second_reviewer):
    sent_back_and_edited(story, writer, reviewer)
    client.force_login(staff(second_reviewer))
    response = client.get(review_url(story))
    rows = response.text.split('class="claim-row')
    changed = next(row for row in rows if "45 crane drivers" in row and "claim-head" in row)
    unchanged = next(row for row in rows if "Exports rose" in row and "claim-head" in row)
    assert "New or changed" in changed
    assert "New or changed" not in unchanged


def _story_with_claims(writer, n):
    body = "\n\n".join(f"Shipment number {i} arrived on time [@a]." for i in range(n))
    story = make_story(writer, title=f"Shipments {n}", body=body)
    return story


def test_review_screen_has_a_constant_number_of_queries(client, sources, writer, reviewer,
                                                        second_reviewer):
    counts = {}
    for n in (10, 200):
        story = _story_with_claims(writer, n)
        edited = Story.objects.get(pk=story.pk).body + "\n\nOne more shipment came late [@b]."
        sent_back_and_edited(story, writer, reviewer, body=edited)
        assert len(ordinals(story)) == n + 1
        client.force_login(staff(second_reviewer))
        client.get(review_url(story))  # warm caches (content types, sessions)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(review_url(story))
        assert response.status_code == 200
        assert response.text.count("Checked supported by First Reviewer") == n
        counts[n] = len(queries)
    assert counts[10] == counts[200]


def test_review_screen_reads_the_claims_once_for_rows_hints_warnings_and_comments(
        client, sources, writer, reviewer):
    story = submitted(_story_with_claims(writer, 3), writer)
    client.force_login(staff(reviewer))
    client.get(review_url(story))
    with CaptureQueriesContext(connection) as queries:
        response = client.get(review_url(story))
    assert response.status_code == 200
    assert response.text.count('class="claim-row') == 3
    assert "Claim 3: Shipment number 2 arrived on time" in response.text  # the comment panel
    claim_reads = [q["sql"] for q in queries.captured_queries
                   if 'FROM "stories_claim" ' in q["sql"]]
    assert len(claim_reads) == 1, claim_reads


# --- dashboards ------------------------------------------------------------------------------


def test_reviewer_dashboard_lists_assigned_stories_first_and_flags_overdue(
        client, sources, writer, reviewer, editor):
    plain = submitted(make_story(writer, title="Ferry timetable changes", body=BODY), writer)
    assigned = submitted(make_story(writer, title="Dredging contract awarded", body=BODY),
                         writer)
    services.story_assign(story_id=assigned.pk, user=editor, reviewer=reviewer,
                          due_at=timezone.now() - timedelta(hours=2))
    own = make_story(reviewer, title="Reviewer's own draft", body=BODY)
    submitted(own, reviewer)
    client.force_login(staff(reviewer))
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    waiting = response.text.split('id="dashboard-waiting"')[1].split('id="dashboard-')[0]
    assert waiting.index("Dredging contract awarded") < waiting.index("Ferry timetable changes")
    assert "Overdue" in waiting
    assert "Reviewer&#x27;s own draft" not in waiting
    assert reverse("admin:stories_story_review", args=[plain.pk]) in waiting


def test_writer_dashboard_lists_their_stories_with_states(client, sources, writer,
                                                          other_writer):
    mine = make_story(writer, title="Tugboat strike ends", body=BODY)
    submitted(mine, writer)
    make_story(other_writer, title="Someone else's story", body=BODY)
    client.force_login(staff(writer))
    response = client.get(reverse("admin:index"))
    assert 'id="dashboard-mine"' in response.text
    assert "Tugboat strike ends" in response.text
    assert "In review" in response.text
    assert "Someone else" not in response.text
    assert 'id="dashboard-waiting"' not in response.text
    assert 'id="dashboard-ready"' not in response.text


def test_editor_dashboard_lists_ready_and_scheduled_stories(client, sources, writer, reviewer,
                                                            editor):
    ready = approved(make_story(writer, title="Grain terminal opens", body=BODY), writer,
                     reviewer)
    later = approved(make_story(writer, title="Canal toll rises", body=BODY), writer, reviewer)
    services.story_publish(story_id=later.pk, revision=approved_hash(later), user=editor,
                           publish_at=timezone.now() + timedelta(days=1))
    client.force_login(staff(editor))
    response = client.get(reverse("admin:index"))
    ready_html = response.text.split('id="dashboard-ready"')[1].split('id="dashboard-')[0]
    scheduled_html = response.text.split('id="dashboard-scheduled"')[1]
    assert "Grain terminal opens" in ready_html and "Canal toll rises" not in ready_html
    assert "Canal toll rises" in scheduled_html
    assert reverse("admin:stories_story_workflow", args=[ready.pk]) in ready_html


def test_editor_dashboard_flags_a_scheduled_story_whose_time_has_passed(
        client, sources, writer, reviewer, editor):
    late = approved(make_story(writer, title="Ferry timetable changes", body=BODY), writer,
                    reviewer)
    soon = approved(make_story(writer, title="Dredging starts", body=BODY), writer, reviewer)
    for story in (late, soon):
        services.story_publish(story_id=story.pk, revision=approved_hash(story), user=editor,
                               publish_at=timezone.now() + timedelta(hours=1))
    # The scheduler was down: the first story's time came and went an hour ago.
    Story.objects.filter(pk=late.pk).update(publish_at=timezone.now() - timedelta(hours=1))
    client.force_login(staff(editor))
    scheduled = client.get(reverse("admin:index")).text.split('id="dashboard-scheduled"')[1]
    rows = {title: scheduled.split(title)[1].split("</tr>")[0]
            for title in ("Ferry timetable changes", "Dredging starts")}
    assert "Not live yet: its time has passed" in rows["Ferry timetable changes"]
    assert "Not live yet" not in rows["Dredging starts"]


# --- the workflow page -----------------------------------------------------------------------


def test_editor_assigns_a_reviewer_with_a_due_date(client, story, writer, reviewer, editor):
    submitted(story, writer)
    client.force_login(staff(editor))
    response = client.post(workflow_url(story), {
        "op": "assign", "assign-reviewer": reviewer.pk, "assign-due_at": "2031-05-04T12:00",
    }, follow=True)
    assert response.status_code == 200
    assert "First Reviewer is asked to review this story." in response.text
    assignment = story.assignments.get()
    assert assignment.reviewer == reviewer and assignment.due_at.year == 2031
    assert "due 4 May 2031" in response.text


def test_editor_publishes_from_the_workflow_page(client, story, writer, reviewer, editor):
    approved(story, writer, reviewer)
    client.force_login(staff(editor))
    page = client.get(workflow_url(story))
    assert f'name="publish-revision" value="{approved_hash(story)}"' in page.text
    response = client.post(workflow_url(story), {
        "op": "publish", "publish-note_kind": "correction",
        "publish-revision": approved_hash(story)}, follow=True)
    assert "Published." in response.text
    story.refresh_from_db()
    assert story.state == "published"
    assert story.live_revision_id == story.approved_revision_id
    assert ">publish<" in response.text  # the audit timeline


def test_editor_schedules_from_the_workflow_page(client, story, writer, reviewer, editor):
    approved(story, writer, reviewer)
    client.force_login(staff(editor))
    when = timezone.localtime() + timedelta(days=2)
    response = client.post(workflow_url(story), {
        "op": "publish", "publish-publish_at": when.strftime("%Y-%m-%dT%H:%M"),
        "publish-note_kind": "correction", "publish-revision": approved_hash(story),
    }, follow=True)
    assert "Scheduled for" in response.text
    assert Story.objects.get(pk=story.pk).state == "scheduled"


def test_publish_at_a_time_already_past_says_it_was_published_now(
        client, story, writer, reviewer, editor):
    approved(story, writer, reviewer)
    client.force_login(staff(editor))
    when = timezone.localtime() - timedelta(days=1)

    response = client.post(workflow_url(story), {
        "op": "publish", "publish-publish_at": when.strftime("%Y-%m-%d %H:%M"),
        "publish-note_kind": "correction", "publish-revision": approved_hash(story),
    }, follow=True)

    assert (f"The time given, {when:%d %b %Y %H:%M %Z}, had already passed, so the story was "
            "published now, at ") in response.text
    assert Story.objects.get(pk=story.pk).state == "published"


@pytest.mark.parametrize(("op", "field", "message"), [
    ("publish", "note",
     "The note has 6,249 characters; a correction or update note holds at most 5,000."),
    ("retract", "reason",
     "The reason has 6,249 characters; a retraction reason holds at most 5,000.")])
def test_a_public_note_past_the_limit_is_a_form_error_keeping_it(
        client, story, writer, reviewer, editor, op, field, message):
    approved(story, writer, reviewer)
    services.story_publish(story_id=story.pk, revision=approved_hash(story), user=editor)
    if op == "publish":
        services.story_update(story_id=story.pk, user=writer, body=EDITED)
        approved(story, writer, reviewer)
    client.force_login(staff(editor))
    text = "We corrected the figure. " * 250  # 6,250 characters

    response = client.post(workflow_url(story), {
        "op": op, f"{op}-{field}": text, "publish-note_kind": "correction",
        "publish-revision": approved_hash(story)})

    assert response.status_code == 200
    assert message in response.text
    assert text.strip() in response.text
    assert Story.objects.get(pk=story.pk).state == ("approved" if op == "publish"
                                                    else "published")


def test_republishing_without_a_note_shows_the_error(client, story, writer, reviewer, editor):
    approved(story, writer, reviewer)
    services.story_publish(story_id=story.pk, revision=approved_hash(story), user=editor)
    services.story_update(story_id=story.pk, user=writer, body=EDITED)
    approved(story, writer, reviewer)
    client.force_login(staff(editor))
    response = client.post(workflow_url(story), {"op": "publish",
                                                 "publish-note_kind": "correction",
                                                 "publish-revision": approved_hash(story)})
    assert response.status_code == 200
    assert "add a correction or update note readers will see" in response.text
    assert Story.objects.get(pk=story.pk).state == "approved"


def test_publishing_a_revision_other_than_the_one_the_editor_saw_is_refused(
        client, story, writer, reviewer, editor):
    approved(story, writer, reviewer)
    seen = approved_hash(story)
    services.story_update(story_id=story.pk, user=writer, base_revision=latest_hash(story),
                          body=EDITED)
    approved(story, writer, reviewer)
    client.force_login(staff(editor))
    response = client.post(workflow_url(story), {
        "op": "publish", "publish-note_kind": "correction", "publish-revision": seen},
        follow=True)
    assert "not the one you saw. Nothing was published" in response.text
    assert Story.objects.get(pk=story.pk).live_revision_id is None
    assert Event.objects.filter(story=story, action="publish.denied").count() == 1


def test_publishing_without_naming_the_revision_is_refused(client, story, writer, reviewer,
                                                            editor):
    approved(story, writer, reviewer)
    client.force_login(staff(editor))
    response = client.post(workflow_url(story), {"op": "publish",
                                                 "publish-note_kind": "correction"})
    assert "Name the approved revision you are publishing" in response.text
    assert Story.objects.get(pk=story.pk).live_revision_id is None


def test_editor_retracts_with_a_reason(client, story, writer, reviewer, editor):
    approved(story, writer, reviewer)
    services.story_publish(story_id=story.pk, revision=approved_hash(story), user=editor)
    client.force_login(staff(editor))
    response = client.post(workflow_url(story), {
        "op": "retract", "retract-reason": "The customs figures were misread.",
    }, follow=True)
    assert "Retracted" in response.text
    story.refresh_from_db()
    assert story.state == "retracted"
    assert story.retraction_reason == "The customs figures were misread."


def test_retracting_a_story_that_is_not_published_is_an_error_message(
        client, story, writer, editor):
    client.force_login(staff(editor))
    response = client.post(workflow_url(story), {"op": "retract", "retract-reason": "Wrong."},
                           follow=True)
    assert response.status_code == 200
    assert ("This story is a draft, so it cannot be retracted: only a story that is published "
            "can.") in response.text
    assert Story.objects.get(pk=story.pk).state == "draft"


def test_writer_cannot_publish_from_the_workflow_page(client, story, writer, reviewer):
    approved(story, writer, reviewer)
    client.force_login(staff(writer))
    response = client.post(workflow_url(story), {"op": "publish",
                                                 "publish-note_kind": "correction"})
    assert response.status_code == 403
    assert "Only editors can do this." in response.text
    assert Event.objects.filter(story=story, action="publish.denied").exists()


def test_author_submits_and_withdraws_from_the_workflow_page(client, story, writer):
    client.force_login(staff(writer))
    page = client.get(workflow_url(story))
    assert "Submit for review" in page.text
    response = client.post(workflow_url(story), {"op": "submit"}, follow=True)
    assert "Submitted for review." in response.text
    assert Story.objects.get(pk=story.pk).state == "in_review"
    response = client.post(workflow_url(story), {"op": "withdraw"}, follow=True)
    assert "Withdrawn to draft." in response.text
    assert Story.objects.get(pk=story.pk).state == "draft"


def test_workflow_page_is_refused_to_writers_who_are_not_authors(client, story, other_writer):
    client.force_login(staff(other_writer))
    assert client.get(workflow_url(story)).status_code == 403
    assert Event.objects.filter(story=story, action="workflow.denied", actor=other_writer).exists()


def test_editor_creates_a_preview_link_and_sees_its_full_address(client, story, editor):
    client.force_login(staff(editor))
    expires = timezone.localtime() + timedelta(days=3)
    response = client.post(workflow_url(story), {
        "op": "preview", "preview-revision": story.latest_revision_id,
        "preview-expires_at": expires.strftime("%Y-%m-%dT%H:%M"),
        "preview-label": "Outside legal reader",
    }, follow=True)
    assert "Preview link created for revision 1." in response.text
    link = PreviewLink.objects.get()
    assert f"http://testserver/preview/{link.token}/" in response.text
    assert "Outside legal reader" in response.text


def test_preview_link_in_the_past_is_a_form_error(client, story, editor):
    client.force_login(staff(editor))
    response = client.post(workflow_url(story), {
        "op": "preview", "preview-revision": story.latest_revision_id,
        "preview-expires_at": "2001-01-01T10:00",
    })
    assert response.status_code == 200
    assert "Choose an expiry time in the future." in response.text
    assert not PreviewLink.objects.exists()


def test_editor_revokes_a_preview_link(client, story, editor):
    link = services.preview_link_create(revision_id=story.latest_revision_id, user=editor,
                                        expires_at=timezone.now() + timedelta(days=1),
                                        label="Expert on port logistics")
    client.force_login(staff(editor))
    response = client.post(workflow_url(story), {"op": "revoke", "revoke-link": link.pk},
                           follow=True)
    assert "Preview link revoked" in response.text
    link.refresh_from_db()
    assert link.revoked_at is not None
    assert link.token not in response.text


def test_revoking_a_revoked_preview_link_again_is_refused_once_and_changes_nothing(
        client, story, editor):
    link = services.preview_link_create(revision_id=story.latest_revision_id, user=editor,
                                        expires_at=timezone.now() + timedelta(days=1))
    client.force_login(staff(editor))
    client.post(workflow_url(story), {"op": "revoke", "revoke-link": link.pk})
    revoked_at = PreviewLink.objects.get(pk=link.pk).revoked_at
    response = client.post(workflow_url(story), {"op": "revoke", "revoke-link": link.pk},
                           follow=True)  # the button pressed twice, or the form sent again
    assert response.status_code == 200
    assert "already revoked" in response.text
    assert PreviewLink.objects.get(pk=link.pk).revoked_at == revoked_at
    assert Event.objects.filter(action="preview_link_revoke").count() == 1
    assert Event.objects.filter(story=story, action="preview_link_revoke.denied").count() == 1


def test_workflow_page_shows_reviews_and_the_audit_timeline(client, story, writer, reviewer,
                                                            editor):
    submitted(story, writer)
    services.review_submit(story_id=story.pk, base_revision=latest_hash(story),
                           reviewer=reviewer, decision="request_changes",
                           comment="Source the crane figure.")
    client.force_login(staff(editor))
    response = client.get(workflow_url(story))
    assert "Request changes by First Reviewer on revision 1" in response.text
    assert "Source the crane figure." in response.text
    assert ">request_changes<" in response.text
    assert ">submit<" in response.text


def test_someone_without_a_role_is_refused_the_review_screen(client, story):
    nobody = staff(UserFactory(username="visitor"))
    client.force_login(nobody)
    assert client.get(review_url(story)).status_code == 403
    assert Event.objects.filter(story=story, action="review.denied", actor=nobody).exists()


def test_review_screen_says_when_a_snapshot_arrived_after_the_revision(client, story, sources,
                                                                      writer, reviewer):
    a = sources[0]
    Snapshot.objects.create(source=a, requested_url=a.url, final_url=a.url, status_code=200,
                            content_type="text/html", text="Customs data.")
    submitted(story, writer)
    client.force_login(staff(reviewer))
    response = client.get(review_url(story))
    assert "library copy changed since this revision: snapshot" in response.text
    assert "no snapshot" in response.text


def test_review_screen_links_each_source_snapshot_and_shows_evidence(client, story, sources,
                                                                     writer, reviewer):
    a = sources[0]
    snapshot = Snapshot.objects.create(
        source=a, requested_url=a.url, final_url=a.url, status_code=200,
        content_type="text/html", text="Customs data: exports rose 6% in March, led by grain.",
    )
    # Saving pins the snapshot that arrived since the story's first revision.
    services.story_update(story_id=story.pk, user=writer, base_revision=latest_hash(story))
    submitted(story, writer)
    client.force_login(staff(reviewer))
    response = client.get(review_url(story))
    assert reverse("snapshot-detail", args=[snapshot.pk]) in response.text
    assert f'href="{a.url}"' in response.text
    assert "Not checked yet" in response.text  # the source's link health
    first = response.text.split('id="check-1"')[1].split("</li>\n        \n")[0]
    assert "Source 1:" in first


def test_a_reviewer_who_requests_changes_lands_on_the_review_screen_with_the_message(
        client, story, writer, reviewer):
    submitted(story, writer)
    client.force_login(staff(reviewer))
    data = all_supported(story, decision="request_changes", comment="Cite the customs table.")
    response = client.post(review_url(story), data, follow=True)
    assert response.status_code == 200
    assert "Your review is recorded (request changes). The story is changes requested." in \
        response.text
    assert not Event.objects.filter(story=story, action__endswith=".denied").exists()


def test_a_reviewer_keeps_read_access_to_a_story_they_reviewed_once_published(
        client, story, writer, reviewer, editor):
    approved(story, writer, reviewer)
    services.story_publish(story_id=story.pk, revision=approved_hash(story), user=editor)
    client.force_login(staff(reviewer))
    response = client.get(review_url(story))
    assert response.status_code == 200
    assert "Submit review" not in response.text
    assert story.title in response.text


def test_submitting_a_story_with_citation_errors_says_why_with_links_to_each_line(
        client, writer):
    story = make_story(writer, title="Pilot boats", body="First line.\n\nShips waited [@nowhere].")
    client.force_login(staff(writer))
    response = client.post(workflow_url(story), {"op": "submit"}, follow=True)
    assert "Not submitted: fix the 1 citation error first." in response.text
    change = reverse("admin:stories_story_change", args=[story.pk])
    assert f'href="{change}?line=3#id_body">Line 3, column' in response.text
    assert Story.objects.get(pk=story.pk).state == "draft"
    refusals = Event.objects.filter(story=story, action="submit.denied")
    assert refusals.count() == 1
    assert refusals.get().details["refused"] == "invalid"


def test_the_admin_says_whose_desk_it_is(client, writer):
    client.force_login(staff(writer))
    page = client.get(reverse("admin:index")).text
    assert "Newsroom desk" in page and "Django administration" not in page


def test_view_on_site_of_a_draft_opens_its_preview_not_a_404(client, story, writer):
    client.force_login(staff(writer))
    page = client.get(reverse("admin:stories_story_change", args=[story.pk])).text
    preview = reverse("admin:stories_story_preview", args=[story.pk])
    view_on_site = page.split('class="viewsitelink"')[0].rsplit("<a ", 1)[1]
    assert f'href="{preview}"' in view_on_site
    assert client.get(preview).status_code == 200


def test_a_first_publication_is_recorded_as_neither_correction_nor_update(
        client, story, writer, reviewer, editor):
    approved(story, writer, reviewer)
    services.story_publish(story_id=story.pk, revision=approved_hash(story), user=editor)
    event = Event.objects.filter(story=story, action="publish").get()
    assert event.details["first"] is True and "kind" not in event.details


# --- the reviewer's work carried between passes -----------------------------------------------

LONG_NOTE = ("Bulletin, table 2, row 'Exports, March': +6.1%.\n"
             "The press release rounds it to 6%; " + "the bulletin is the primary source. " * 80)


def test_after_a_comment_review_the_screen_reopens_with_the_verdicts_and_notes(
        client, story, writer, reviewer):
    submitted(story, writer)
    client.force_login(staff(reviewer))
    data = all_supported(story, decision="comment", comment="Halfway through.")
    data["verdict-2"] = "needs_source"
    data["note-1"] = LONG_NOTE
    client.post(review_url(story), data)
    page = client.get(review_url(story)).text
    row1 = page.split('id="check-1"')[1].split("</li>\n<li")[0]
    row2 = page.split('id="check-2"')[1].split("</li>\n<li")[0]
    assert '<option value="supported" selected>' in row1
    assert '<option value="needs_source" selected>' in row2
    # The whole note, line break included, in a multi-line field with no length cap.
    import html

    assert f'rows="2">{html.escape(LONG_NOTE.strip())}</textarea>' in row1
    assert "maxlength" not in row1


def test_another_reviewers_verdicts_are_shown_but_not_prefilled(
        client, story, writer, reviewer, second_reviewer):
    submitted(story, writer)
    services.review_submit(
        story_id=story.pk, base_revision=latest_hash(story), reviewer=reviewer,
        decision="comment", checks=[CheckInput(claim=1, verdict="unsupported", note="No.")])
    client.force_login(staff(second_reviewer))
    row1 = client.get(review_url(story)).text.split('id="check-1"')[1].split("</li>\n<li")[0]
    assert "Last check on this revision: Unsupported by First Reviewer" in row1
    assert " selected>" not in row1
    assert 'rows="2"></textarea>' in row1


def test_approving_after_a_comment_review_keeps_the_notes(client, story, writer, reviewer):
    submitted(story, writer)
    client.force_login(staff(reviewer))
    client.post(review_url(story), all_supported(story, decision="comment",
                                                  **{"note-3": "Hiring notice, 12 May"}))
    client.post(review_url(story), all_supported(story, decision="approve",
                                                  **{"note-3": "Hiring notice, 12 May"}))
    story.refresh_from_db()
    assert story.state == "approved"
    approval = Review.objects.get(story=story, decision="approve")
    assert approval.checks.get(claim__ordinal=3).note == "Hiring notice, 12 May"
