from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from audit.errors import Conflict
from audit.models import Event
from stories import services
from stories.models import Correction, Revision, State, Story
from stories.services import ActionDenied, CheckInput, IllegalTransition, InvalidInput
from tests.factories import SourceFactory, UserFactory, approved_hash, latest_hash, make_story

BODY = "Exports rose 6% in March [@a]. Imports fell by a third [@b, p. 4]."


@pytest.fixture
def sources(db):
    return [SourceFactory(key="a"), SourceFactory(key="b")]


@pytest.fixture
def story(writer, sources):
    return make_story(writer, body=BODY)


def supported(story):
    revision = Story.objects.get(pk=story.pk).latest_revision
    return [CheckInput(claim=c.ordinal, verdict="supported") for c in revision.claims.all()]


def approve(story, reviewer):
    return services.review_submit(story_id=story.pk, base_revision=latest_hash(story),
                                  reviewer=reviewer, decision="approve",
                                  checks=supported(story))


def in_review(story, writer):
    return services.story_submit(story_id=story.pk, user=writer)


def approved(story, writer, reviewer):
    in_review(story, writer)
    approve(story, reviewer)
    return Story.objects.get(pk=story.pk)


def published(story, writer, reviewer, editor):
    approved(story, writer, reviewer)
    return services.story_publish(story_id=story.pk, revision=approved_hash(story), user=editor)


def actions(story):
    return list(Event.objects.filter(story=story).values_list("action", flat=True))


# --- revisions ---------------------------------------------------------------------------


def test_story_create_stores_a_revision_with_claims_and_numbering(story):
    revision = story.latest_revision
    assert revision.number == 1
    assert revision.source_keys == ["a", "b"]
    assert [(c.ordinal, c.numbers, c.locators) for c in revision.claims.all()] == [
        (1, [1], [""]), (2, [2], ["p. 4"]),
    ]
    assert len(revision.content_hash) == 64


def test_story_create_appends_cited_keys_to_the_source_list_in_citation_order(writer, sources):
    story = make_story(writer, body="Imports fell [@b]. Exports rose [@a].")
    assert list(story.source_entries.values_list("source__key", flat=True)) == ["b", "a"]


def test_story_create_keeps_a_chosen_order_and_uncited_listed_sources(writer, sources):
    SourceFactory(key="c")
    story = make_story(writer, body=BODY, sources=["b", "c", "a"])
    assert story.latest_revision.source_keys == ["b", "c", "a"]
    assert story.latest_revision.claims.get(ordinal=1).numbers == [3]


def test_story_update_makes_a_new_immutable_revision(story, writer):
    services.story_update(story_id=story.pk, user=writer, body=BODY + " More text.")
    assert list(Revision.objects.filter(story=story).values_list("number", flat=True)) == [2, 1]
    assert Revision.objects.get(story=story, number=1).body == BODY


def test_story_update_without_changes_makes_no_revision(story, writer):
    services.story_update(story_id=story.pk, user=writer, body=BODY)
    assert story.revisions.count() == 1


def test_story_update_refuses_a_stale_base_naming_who_saved(story, writer, editor):
    base = story.latest_revision.content_hash
    services.story_update(story_id=story.pk, user=editor, body=BODY + " Editor's line.",
                          base_revision=base)
    with pytest.raises(services.StaleRevision, match="Desk Editor saved a newer version"):
        services.story_update(story_id=story.pk, user=writer, body=BODY + " Mine.",
                              base_revision=base)
    assert Story.objects.get(pk=story.pk).body.endswith("Editor's line.")


def test_story_update_by_a_writer_who_is_not_an_author_is_denied_and_audited(story, other_writer):
    with pytest.raises(ActionDenied):
        services.story_update(story_id=story.pk, user=other_writer, body="Mine now.")
    assert "edit.denied" in actions(story)
    assert Story.objects.get(pk=story.pk).body == BODY


def test_story_create_refuses_a_body_over_one_megabyte(writer):
    with pytest.raises(InvalidInput, match="limit is 1,000,000 bytes"):
        make_story(writer, body="x" * 1_000_001)
    assert not Story.objects.exists()


def test_story_restore_makes_a_new_revision_with_the_old_text(story, writer):
    services.story_update(story_id=story.pk, user=writer, body="Rewritten.")
    first = story.revisions.get(number=1)
    restored = services.story_restore(story_id=story.pk, user=writer, revision_id=first.pk)
    assert restored.latest_revision.number == 3
    assert restored.latest_revision.body == BODY
    assert restored.latest_revision.restored_from == first


def test_story_restore_of_the_current_text_is_refused_and_keeps_the_approval(
        story, writer, reviewer):
    approved(story, writer, reviewer)
    current = story.revisions.get(number=1)

    with pytest.raises(Conflict, match="already the current text"):
        services.story_restore(story_id=story.pk, user=writer, revision_id=current.pk,
                               base_revision=latest_hash(story))

    story = Story.objects.get(pk=story.pk)
    assert story.revisions.count() == 1
    assert story.state == State.APPROVED
    assert story.approved_revision == current
    assert actions(story).count("restore.denied") == 1
    denied = Event.objects.get(story=story, action="restore.denied")
    assert denied.details["refused"] == "conflict"


def test_story_restore_of_a_revision_with_the_current_text_is_refused(story, writer):
    services.story_update(story_id=story.pk, user=writer, body="Rewritten.")
    first = story.revisions.get(number=1)
    services.story_restore(story_id=story.pk, user=writer, revision_id=first.pk)

    with pytest.raises(Conflict, match="Revision 1 is already the current text"):
        services.story_restore(story_id=story.pk, user=writer, revision_id=first.pk)

    assert story.revisions.count() == 3


def test_story_restore_sent_twice_makes_one_revision(story, writer):
    services.story_update(story_id=story.pk, user=writer, body="Rewritten.")
    first = story.revisions.get(number=1)
    seen = latest_hash(story)
    services.story_restore(story_id=story.pk, user=writer, revision_id=first.pk,
                           base_revision=seen)

    with pytest.raises(Conflict):
        services.story_restore(story_id=story.pk, user=writer, revision_id=first.pk,
                               base_revision=seen)

    assert story.revisions.count() == 3
    assert actions(story).count("restore.denied") == 1


def test_story_restore_over_a_newer_revision_than_the_one_seen_is_refused(
        story, writer, editor):
    first = story.revisions.get(number=1)
    services.story_update(story_id=story.pk, user=writer, body="Rewritten.")
    seen = latest_hash(story)
    services.story_update(story_id=story.pk, user=editor, body="The editor's version.")

    with pytest.raises(services.StaleRevision, match="revision 3"):
        services.story_restore(story_id=story.pk, user=writer, revision_id=first.pk,
                               base_revision=seen)

    assert story.revisions.count() == 3
    assert Event.objects.get(story=story, action="restore.denied").details["refused"] == "stale"


@pytest.mark.parametrize(("submit", "field"), [
    (lambda story, reviewer: services.review_submit(
        story_id=story.pk, base_revision=latest_hash(story), reviewer=reviewer,
        decision="comment", checks=[CheckInput(claim=1, verdict="supported", note="n" * 10_001)]),
     "checks"),
    (lambda story, reviewer: services.review_submit(
        story_id=story.pk, reviewer=reviewer, decision="request_changes",
        comment="c" * 20_001), "comment"),
])
def test_review_submit_refuses_text_past_its_limit_naming_the_field(
        story, writer, reviewer, submit, field):
    in_review(story, writer)

    with pytest.raises(InvalidInput) as refused:
        submit(story, reviewer)

    assert list(refused.value.message_dict) == [field]
    assert "characters" in refused.value.message_dict[field][0]
    assert not Story.objects.get(pk=story.pk).reviews.exists()


# --- submit and withdraw -----------------------------------------------------------------


def test_story_submit_moves_a_clean_draft_to_review_and_emails_reviewers(
    story, writer, reviewer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        in_review(story, writer)
    assert Story.objects.get(pk=story.pk).state == State.IN_REVIEW
    assert [m.to for m in mail.outbox] == [[reviewer.email]]


def test_story_submit_refuses_a_draft_with_citation_errors(writer, sources):
    story = make_story(writer, body="A claim [@nope].")
    with pytest.raises(InvalidInput, match="citation error"):
        in_review(story, writer)
    assert Story.objects.get(pk=story.pk).state == State.DRAFT


def test_story_submit_by_a_non_author_is_denied(story, other_writer):
    with pytest.raises(ActionDenied):
        services.story_submit(story_id=story.pk, user=other_writer)
    assert "submit.denied" in actions(story)


def test_story_withdraw_returns_a_submission_to_draft(story, writer):
    in_review(story, writer)
    services.story_withdraw(story_id=story.pk, user=writer)
    assert Story.objects.get(pk=story.pk).state == State.DRAFT


# --- review ------------------------------------------------------------------------------


def test_review_approve_with_every_claim_supported_pins_the_revision(story, writer, reviewer):
    in_review(story, writer)
    review = approve(story, reviewer)
    story.refresh_from_db()
    assert story.state == State.APPROVED
    assert story.approved_revision == story.latest_revision
    assert review.content_hash == story.latest_revision.content_hash


def test_review_approve_refuses_an_unchecked_claim_and_keeps_state(story, writer, reviewer):
    in_review(story, writer)
    with pytest.raises(InvalidInput, match="not yet: claim 2"):
        services.review_submit(story_id=story.pk, base_revision=latest_hash(story),
                               reviewer=reviewer, decision="approve",
                               checks=[CheckInput(claim=1, verdict="supported")])
    assert Story.objects.get(pk=story.pk).state == State.IN_REVIEW


def test_review_approve_refuses_an_unsupported_claim(story, writer, reviewer):
    in_review(story, writer)
    with pytest.raises(InvalidInput):
        services.review_submit(story_id=story.pk, base_revision=latest_hash(story),
                               reviewer=reviewer, decision="approve",
                               checks=[CheckInput(claim=1, verdict="supported"),
                                       CheckInput(claim=2, verdict="needs_source")])


def test_an_author_cannot_approve_even_as_superuser(writer, sources, reviewer):
    boss = UserFactory(username="boss", is_superuser=True, is_staff=True)
    story = make_story(boss, body=BODY)
    in_review(story, boss)
    with pytest.raises(ActionDenied):
        approve(story, boss)
    assert "approve.denied" in actions(story)
    assert Story.objects.get(pk=story.pk).state == State.IN_REVIEW


def test_a_reviewer_who_edited_the_text_cannot_approve_it(story, writer, reviewer, editor):
    reviewer.groups.add(*editor.groups.all())  # an editing reviewer
    services.story_update(story_id=story.pk, user=reviewer, body=BODY + " Tightened.")
    in_review(story, writer)
    with pytest.raises(ActionDenied, match="You edited this text"):
        approve(story, reviewer)


def test_request_changes_needs_a_comment(story, writer, reviewer):
    in_review(story, writer)
    with pytest.raises(InvalidInput, match="Say what needs to change"):
        services.review_submit(story_id=story.pk, base_revision=latest_hash(story),
                               reviewer=reviewer,
                               decision="request_changes", comment=" ")


def test_request_changes_sends_the_story_back(story, writer, reviewer):
    in_review(story, writer)
    services.review_submit(story_id=story.pk, base_revision=latest_hash(story),
                           reviewer=reviewer, decision="request_changes",
                           comment="Source the import figure.")
    assert Story.objects.get(pk=story.pk).state == State.CHANGES_REQUESTED


def test_two_required_approvals_need_two_distinct_reviewers(
    settings, story, writer, reviewer, second_reviewer
):
    settings.NEWSROOM_REQUIRED_APPROVALS = 2
    in_review(story, writer)
    approve(story, reviewer)
    assert Story.objects.get(pk=story.pk).state == State.IN_REVIEW
    approve(story, second_reviewer)
    assert Story.objects.get(pk=story.pk).state == State.APPROVED


def test_a_writer_cannot_review(story, writer, other_writer):
    in_review(story, writer)
    with pytest.raises(ActionDenied):
        approve(story, other_writer)


def test_an_edit_drops_the_approval(story, writer, reviewer):
    approved(story, writer, reviewer)
    services.story_update(story_id=story.pk, user=writer, body=BODY + " Late addition.")
    story.refresh_from_db()
    assert (story.state, story.approved_revision) == (State.DRAFT, None)


# --- publish and retract ---------------------------------------------------------------


def test_publish_makes_the_approved_revision_live(story, writer, reviewer, editor):
    story = published(story, writer, reviewer, editor)
    assert story.state == State.PUBLISHED
    assert story.live_revision == story.approved_revision == story.latest_revision
    assert story.published_at is not None


def test_publish_needs_an_editor(story, writer, reviewer):
    approved(story, writer, reviewer)
    with pytest.raises(ActionDenied):
        services.story_publish(story_id=story.pk, revision=approved_hash(story), user=writer)
    assert "publish.denied" in actions(story)


def test_publish_before_approval_is_an_illegal_transition(story, writer, editor):
    in_review(story, writer)
    with pytest.raises(IllegalTransition):
        services.story_publish(story_id=story.pk, revision=approved_hash(story), user=editor)


def test_publish_in_the_future_schedules_and_publish_due_publishes(
    story, writer, reviewer, editor
):
    approved(story, writer, reviewer)
    when = timezone.now() + timedelta(hours=1)
    services.story_publish(story_id=story.pk, revision=approved_hash(story),
                           user=editor, publish_at=when)
    story.refresh_from_db()
    assert (story.state, story.live_revision) == (State.SCHEDULED, None)
    assert services.publish_due(now=when - timedelta(minutes=1)) == []
    assert services.publish_due(now=when + timedelta(seconds=1)) == [story.pk]
    story.refresh_from_db()
    assert story.state == State.PUBLISHED
    assert story.live_revision == story.approved_revision


def test_publish_at_a_time_already_past_publishes_now_and_records_the_time_asked(
    story, writer, reviewer, editor
):
    approved(story, writer, reviewer)
    asked = timezone.now() - timedelta(hours=2)

    services.story_publish(story_id=story.pk, revision=approved_hash(story), user=editor,
                           publish_at=asked)

    story.refresh_from_db()
    assert story.state == State.PUBLISHED
    event = Event.objects.get(story=story, action="publish")
    assert event.details["publish_at"] == asked.isoformat()
    assert event.details["publish_at_passed"] is True


def test_editing_a_published_story_leaves_the_live_revision_up(story, writer, reviewer, editor):
    story = published(story, writer, reviewer, editor)
    live = story.live_revision
    services.story_update(story_id=story.pk, user=writer, body=BODY + " Update.")
    story.refresh_from_db()
    assert story.live_revision == live
    assert story.latest_revision != live
    assert story.state == State.DRAFT


def test_republishing_needs_a_public_note_and_records_the_correction(
    story, writer, reviewer, second_reviewer, editor
):
    published(story, writer, reviewer, editor)
    services.story_update(story_id=story.pk, user=writer, body=BODY.replace("6%", "6.5%"))
    in_review(story, writer)
    approve(story, second_reviewer)
    with pytest.raises(InvalidInput, match="correction or update note"):
        services.story_publish(story_id=story.pk, revision=approved_hash(story), user=editor)
    services.story_publish(story_id=story.pk, revision=approved_hash(story),
                           user=editor, note="The export figure was 6.5%.")
    story.refresh_from_db()
    assert story.live_revision.body.count("6.5%") == 1
    assert list(Correction.objects.filter(story=story).values_list("note", flat=True)) == [
        "The export figure was 6.5%."
    ]


def test_retract_needs_a_reason_and_keeps_the_page(story, writer, reviewer, editor):
    published(story, writer, reviewer, editor)
    with pytest.raises(InvalidInput):
        services.story_retract(story_id=story.pk, user=editor, reason="")
    services.story_retract(story_id=story.pk, user=editor, reason="The documents were forged.")
    story.refresh_from_db()
    assert story.state == State.RETRACTED
    assert story.live_revision is not None
    assert Story.objects.published().filter(pk=story.pk).exists()


def test_retracting_a_draft_is_an_illegal_transition(story, editor):
    with pytest.raises(IllegalTransition):
        services.story_retract(story_id=story.pk, user=editor, reason="No.")


# --- audit -------------------------------------------------------------------------------


def test_every_step_lands_in_the_audit_trail_with_the_revision_hash(
    story, writer, reviewer, editor
):
    published(story, writer, reviewer, editor)
    events = Event.objects.filter(story=story)
    assert list(events.values_list("action", flat=True)) == [
        "revision", "submit", "claim_check", "approve", "publish",
    ]
    assert {e.revision_hash for e in events} == {story.latest_revision.content_hash}
    assert events.get(action="publish").actor_name == "Desk Editor"


def test_assign_refuses_an_author_as_reviewer(story, writer, editor):
    writer.groups.add(*editor.groups.all())
    with pytest.raises(InvalidInput):
        services.story_assign(story_id=story.pk, user=editor, reviewer=writer)


def test_preview_link_opens_until_revoked_and_each_opening_is_audited(story, editor):
    link = services.preview_link_create(
        revision_id=story.latest_revision.pk, user=editor,
        expires_at=timezone.now() + timedelta(days=1), label="Outside counsel",
    )
    assert services.preview_link_open(token=link.token) == link
    services.preview_link_revoke(link_id=link.pk, user=editor)
    assert services.preview_link_open(token=link.token) is None
    assert actions(story).count("preview_link_open") == 1


def test_an_expired_preview_link_does_not_open(story, editor):
    link = services.preview_link_create(
        revision_id=story.latest_revision.pk, user=editor,
        expires_at=timezone.now() + timedelta(seconds=1),
    )
    link.expires_at = timezone.now() - timedelta(seconds=1)
    link.save()
    assert services.preview_link_open(token=link.token) is None


def test_review_submit_refuses_a_review_of_text_that_changed_since_it_was_read(
    story, writer, reviewer
):
    read = story.latest_revision.content_hash
    services.story_update(story_id=story.pk, user=writer, body=BODY + " Changed.")
    in_review(story, writer)
    with pytest.raises(services.StaleRevision):
        services.review_submit(story_id=story.pk, reviewer=reviewer, decision="approve",
                               checks=supported(story), base_revision=read)
    assert Story.objects.get(pk=story.pk).state == State.IN_REVIEW


def test_source_create_names_the_existing_source_for_a_duplicate_link(writer):
    from sources.services import source_create

    source_create(user=writer, key="first", url="https://Example.org/a#x", title="A")
    with pytest.raises(InvalidInput, match='already in the library as "first"'):
        source_create(user=writer, key="second", url="https://example.org/a", title="B")


def test_story_create_refuses_more_citation_markers_than_any_story_needs(writer):
    with pytest.raises(InvalidInput, match="at most 20,000"):
        make_story(writer, body="[@a] " * 20_001)
    assert not Story.objects.exists()


@pytest.mark.parametrize(
    ("step", "subject", "page"),
    [
        ("approve", "Approved", "workflow"),
        ("request_changes", "Sent back to you", "change"),
        ("publish", "Published", "workflow"),
    ],
)
def test_authors_are_emailed_when_their_story_moves_on(
    step, subject, page, story, writer, reviewer, editor, django_capture_on_commit_callbacks
):
    in_review(story, writer)
    if step == "publish":
        approve(story, reviewer)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        if step == "approve":
            approve(story, reviewer)
        elif step == "request_changes":
            services.review_submit(story_id=story.pk, base_revision=latest_hash(story),
                                   reviewer=reviewer,
                                   decision="request_changes", comment="Check the figure.")
        else:
            services.story_publish(story_id=story.pk, revision=approved_hash(story), user=editor)
    to_writer = [m for m in mail.outbox if m.to == [writer.email]]
    assert [m.subject for m in to_writer] == [f"[Newsroom] {subject}: {story.title}"]
    link = "http://testserver" + reverse(f"admin:stories_story_{page}", args=[story.pk])
    assert f"Open it: {link}" in to_writer[0].body


def test_editors_are_emailed_that_an_approved_story_is_ready_to_publish(
    story, writer, reviewer, editor, django_capture_on_commit_callbacks
):
    in_review(story, writer)
    with django_capture_on_commit_callbacks(execute=True):
        approve(story, reviewer)
    to_editor = [m for m in mail.outbox if m.to == [editor.email]]
    assert [m.subject for m in to_editor] == [f"[Newsroom] Ready to publish: {story.title}"]
    workflow = reverse("admin:stories_story_workflow", args=[story.pk])
    assert f"Open it: http://testserver{workflow}" in to_editor[0].body


def test_changing_a_storys_authors_is_audited(story, editor, other_writer, writer):
    services.story_update(story_id=story.pk, user=editor, authors=[writer, other_writer])
    event = Event.objects.get(story=story, action="authors")
    assert event.details == {"from": ["writer"], "to": ["writer", "writer2"]}


@pytest.mark.parametrize("typed, kept", [
    pytest.param("Ferry fares \u202e rise", "Ferry fares  rise", id="override-left-open"),
    pytest.param("Fares \u2067rise", "Fares rise", id="isolate-left-open"),
    pytest.param("Fares \u202bعربي\u202c rise", "Fares \u202bعربي\u202c rise",
                 id="closed-embedding"),
    pytest.param("Fares \u2067עברית\u2069 rise", "Fares \u2067עברית\u2069 rise",
                 id="closed-isolate"),
    pytest.param("\u202d\u2066x\u2069", "\u2066x\u2069", id="closed-isolate-inside-open-override"),
    pytest.param("Ferry\x01 fares\x1b rise\x7f", "Ferry fares rise", id="control-characters"),
])
def test_story_title_and_dek_keep_no_direction_control_left_open(writer, typed, kept):
    # Left open, it reverses whatever the admin or a page shows after the title (a message's
    # "was added successfully", the breadcrumb's "Workflow").
    story = services.story_create(author=writer, title=typed, dek=typed)
    story = services.story_update(story_id=story.pk, user=writer, title=typed + "!", dek=typed)
    story.refresh_from_db()
    assert (story.title, story.dek) == (kept + "!", kept)


def logged(story) -> dict:
    """The story's newest public transparency log entry, as its JSON reads."""
    import json

    return json.loads(story.transparency_entries.order_by("-index").first().data)


OPEN_AND_CLOSED = [
    pytest.param("Crane count \u202e was wrong", "Crane count  was wrong", id="override-left-open"),
    pytest.param("It said \u2067four", "It said four", id="isolate-left-open"),
    pytest.param("Named \u202bمرفأ\u202c in full", "Named \u202bمرفأ\u202c in full",
                 id="closed-embedding"),
    pytest.param("Line one \u202e\nline two", "Line one \nline two", id="open-across-lines"),
    pytest.param("Fare\x08 was\x1f wrong\x00.\r\n\tNow right.", "Fare was wrong.\r\n\tNow right.",
                 id="control-characters"),
]


@pytest.mark.parametrize("typed, kept", OPEN_AND_CLOSED)
def test_correction_note_keeps_no_direction_control_left_open(client, writer, reviewer, editor,
                                                               typed, kept):
    # As with titles: left open, it reverses what readers see after the note (the story page,
    # /corrections/, the feed, the transparency log entry).
    from tests.public.helpers import publish_story, republish

    story = publish_story(writer, reviewer, editor)
    story = republish(story, writer, reviewer, editor, note=typed, body=story.body + " More.")
    assert Correction.objects.get(story=story).note == kept
    assert logged(story)["note"] == kept
    assert "\u202e" not in client.get(reverse("corrections")).content.decode()


@pytest.mark.parametrize("typed, kept", OPEN_AND_CLOSED)
def test_scheduled_correction_note_keeps_no_direction_control_left_open(writer, reviewer, editor,
                                                                         typed, kept):
    from tests.public.helpers import approve as approve_all
    from tests.public.helpers import publish_story

    story = publish_story(writer, reviewer, editor)
    services.story_update(story_id=story.pk, user=writer, body=story.body + " More.")
    services.story_submit(story_id=story.pk, user=writer)
    approve_all(story, reviewer)
    services.story_publish(story_id=story.pk, revision=approved_hash(story), user=editor,
                           note=typed, publish_at=timezone.now() + timedelta(minutes=5))
    services.publish_due(now=timezone.now() + timedelta(minutes=6))
    assert Correction.objects.get(story=story).note == kept


@pytest.mark.parametrize("typed, kept", OPEN_AND_CLOSED)
def test_retraction_reason_keeps_no_direction_control_left_open(writer, reviewer, editor,
                                                                typed, kept):
    from tests.public.helpers import publish_story

    story = publish_story(writer, reviewer, editor)
    services.story_retract(story_id=story.pk, user=editor, reason=typed)
    story.refresh_from_db()
    assert story.retraction_reason == kept
    assert logged(story)["reason"] == kept


def test_a_note_of_direction_controls_alone_is_no_note(writer, reviewer, editor):
    from tests.public.helpers import publish_story

    story = publish_story(writer, reviewer, editor)
    with pytest.raises(InvalidInput) as refused:
        services.story_retract(story_id=story.pk, user=editor, reason=" \u202e ")
    assert "reason" in refused.value.message_dict
