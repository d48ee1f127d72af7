"""Workflow transitions: submit, withdraw, publish (now or when due), retract and assign; each
locks the story, applies the state table (stories.review) and queues its side effects. Every
change of what readers see appends its entry to the public transparency log in the same
transaction (stories.transparency)."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from audit import queueing
from audit.errors import ActionDenied, InvalidInput, RefusedInput
from audit.services import audit_record, audited
from audit.text import shown_text

from .. import pages, selectors, tasks, transparency
from ..models import (
    Assignment,
    Correction,
    State,
    Story,
)
from ..permissions import is_author, is_editor, is_reviewer
from ..review import Action, IllegalTransition, next_state
from .limits import PUBLIC_NOTE, RETRACTION_REASON
from .reports import reports_corrected
from .revisions import RevisionAltered, StaleRevision


def _locked(story_id: int) -> Story:
    """The story, its row locked for this transaction, read after the lock was granted."""
    # Lock the story row alone, then read what it points at. A join locked FOR UPDATE OF the
    # story that waited on a concurrent edit re-reads only the story row: the edit's new
    # latest revision is not in the join's snapshot, so the revision came back NULL.
    # NO KEY: transitions still queue behind each other and behind edits, but a foreign-key
    # check on the story (an audit row referencing it) is not blocked by the lock.
    Story.objects.select_for_update(no_key=True).filter(pk=story_id).values_list("pk").get()
    return Story.objects.select_related("latest_revision").get(pk=story_id)


def _transition(story: Story, action: Action, user, *, details: dict | None = None) -> str:
    from_state = story.state
    story.state = next_state(story.state, action, live=story.live_revision_id is not None)
    story.save()
    revision = story.latest_revision
    audit_record(action=action.value, actor=user, story=story,
                 revision_hash=revision.content_hash if revision else "",
                 details={"from": from_state, "to": story.state, **(details or {})})
    return from_state


def _queue(task, *args) -> None:
    # Robust: with the broker down the transition stands and the response says so.
    queueing.on_commit(task, *args)


def _live_changed(story: Story, previous_revision_id: int | None = None) -> None:
    """What readers see changed: once committed, every web process builds what is cached across
    stories afresh (pages.live_changed, in the shared cache, right away rather than in a task,
    so the next request anywhere has it), and the edge cache is purged (a task)."""
    queueing.after_commit(pages.live_changed)
    _queue(tasks.page_published, story.pk, previous_revision_id)


@audited("submit")
def story_submit(*, story_id: int, user) -> Story:
    """An author sends the latest revision to review; it must have no citation errors."""
    story = _locked(story_id)
    if not is_author(user, story):
        raise ActionDenied("submit", "Only the story's authors can submit it.", actor=user,
                           story_id=story.pk)
    next_state(story.state, Action.SUBMIT)
    revision = story.latest_revision
    if revision.errors:
        raise RefusedInput({"body": [
            f"Fix the {len(revision.errors)} citation error(s) before submitting: "
            + "; ".join(e["message"] for e in revision.errors[:5])
        ]}, problems=revision.errors)
    _transition(story, Action.SUBMIT, user)
    return story


@audited("withdraw")
def story_withdraw(*, story_id: int, user) -> Story:
    """An author takes a submission back to draft."""
    story = _locked(story_id)
    if not is_author(user, story):
        raise ActionDenied("withdraw", "Only the story's authors can withdraw it.", actor=user,
                           story_id=story.pk)
    _transition(story, Action.WITHDRAW, user)
    return story


def _ensure_editor(user, story: Story, action: str) -> None:
    if not is_editor(user):
        raise ActionDenied(action, "Only editors can do this.", actor=user, story_id=story.pk)


def _go_live(story: Story, user, *, note: str, note_kind: str,
             publish_at: datetime | None = None) -> None:
    revision = story.approved_revision
    now = timezone.now()
    previous = story.live_revision_id
    correcting = previous is not None
    if correcting:
        correction = Correction.objects.create(story=story, revision=revision, kind=note_kind,
                                               note=note, created_at=now)
        # Readers' reports the desk opened this correction for are closed by its note.
        reports_corrected(story=story, correction=correction, user=user)
        story.live_updated_at = now
    else:
        story.published_at = now
        story.live_updated_at = now
    story.live_revision = revision
    story.publish_at = None
    # A first publication has no note and is neither a correction nor an update.
    details = ({"revision": revision.number, "note": note, "kind": note_kind} if correcting
               else {"revision": revision.number, "first": True})
    if publish_at is not None:
        # A time asked for that had already passed: published now, and the trail says so.
        details.update(publish_at=publish_at.isoformat(), publish_at_passed=True)
    _transition(story, Action.PUBLISH, user, details=details)
    transparency.log_revision(
        story=story, revision=revision,
        kind=note_kind if correcting else transparency.Kind.PUBLISH,
        reviewers=selectors.approving_reviewers(revision), note=note)
    _live_changed(story, previous)


@audited("publish")
def story_publish(*, story_id: int, user, revision: str = "",
                  publish_at: datetime | None = None, note: str = "",
                  note_kind: str = Correction.Kind.CORRECTION) -> Story:
    """Publish the approved revision now, or schedule it; a republication needs a public note.

    A `publish_at` in the future schedules; one already past publishes now (the audit event
    records the time asked for, with `publish_at_passed`).

    `revision` is the content hash of the approved revision the editor saw: anything else is
    refused as stale (HTTP 412), so an editor never publishes text they did not look at.
    """
    story = _locked(story_id)
    _ensure_editor(user, story, "publish")
    action = Action.SCHEDULE if publish_at and publish_at > timezone.now() else Action.PUBLISH
    next_state(story.state, action)
    approved = story.approved_revision
    if approved is None or story.approved_revision_id != story.latest_revision_id:
        raise IllegalTransition(story.state, "publish")
    if not revision:
        raise InvalidInput({"revision": [
            "Name the approved revision you are publishing: send its content hash (the "
            "story's `approved_revision`) as `revision` or in an If-Match header."]})
    if revision != approved.content_hash:
        raise StaleRevision(approved, action="publish", message=(
            f"The approved revision is now revision {approved.number} ({approved.short_hash}), "
            "not the one you saw. Nothing was published; look at it, then publish."))
    if approved.computed_hash() != approved.content_hash:
        raise RevisionAltered(approved, action="publish")
    # Shown to readers beside other text, like a title: no control character, and no
    # direction control left open.
    note = shown_text(note)
    PUBLIC_NOTE.ensure("note", note)
    if story.live_revision_id and not note.strip():
        raise InvalidInput({"note": [
            "This story is already public: add a correction or update note readers will see."
        ]})
    if note_kind not in Correction.Kind.values:
        raise InvalidInput({"note_kind": ["Use correction or update."]})
    if action is Action.SCHEDULE:
        story.publish_at = publish_at
        _transition(story, Action.SCHEDULE, user,
                    details={"publish_at": publish_at.isoformat(), "note": note,
                             "kind": note_kind, "revision": approved.content_hash})
        return story
    _go_live(story, user, note=note, note_kind=note_kind, publish_at=publish_at)
    return story


@transaction.atomic
def publish_due(*, now: datetime | None = None) -> list[int]:
    """Publish every scheduled story whose time has come; returns their ids."""
    now = now or timezone.now()
    published = []
    due = Story.objects.select_for_update(skip_locked=True, no_key=True).filter(
        state=State.SCHEDULED, publish_at__lte=now
    )
    for story in due:
        scheduled = (
            story.audit_events.filter(action=Action.SCHEDULE.value).order_by("-id").first()
        )
        details = scheduled.details if scheduled else {}
        approved = story.approved_revision
        if approved is None or details.get("revision") not in (None, approved.content_hash) \
                or approved.computed_hash() != approved.content_hash:
            # Not what the editor scheduled (an edit drops the schedule, so this is tampering):
            # leave it scheduled and say so in the audit trail, once.
            if scheduled is not None and story.audit_events.filter(
                    action="publish.denied", pk__gt=scheduled.pk).exists():
                continue
            audit_record(action="publish.denied", story=story,
                         revision_hash=approved.content_hash if approved else "",
                         details={"reason": "The revision due is not the one scheduled, or no "
                                  "longer matches its content hash.", "refused": "conflict"})
            continue
        note = details.get("note", "") or ("Updated." if story.live_revision_id else "")
        _go_live(story, None, note=note, note_kind=details.get("kind", "update"))
        published.append(story.pk)
    return published


@audited("retract")
def story_retract(*, story_id: int, user, reason: str) -> Story:
    """Retract a published story: the page stays, with the public reason."""
    story = _locked(story_id)
    _ensure_editor(user, story, "retract")
    next_state(story.state, Action.RETRACT, live=story.live_revision_id is not None)
    reason = shown_text(reason)
    if not reason.strip():
        raise InvalidInput({"reason": ["Give readers the reason for the retraction."]})
    RETRACTION_REASON.ensure("reason", reason)
    story.retraction_reason = reason
    story.retracted_at = timezone.now()
    _transition(story, Action.RETRACT, user, details={"reason": reason})
    live = story.live_revision
    transparency.log_revision(story=story, revision=live, kind=transparency.Kind.RETRACTION,
                              reviewers=selectors.approving_reviewers(live), note=reason)
    _live_changed(story)
    return story


@audited("assign")
def story_assign(*, story_id: int, user, reviewer, due_at: datetime | None = None) -> Assignment:
    """An editor asks a reviewer (never an author) to review the story by a due date."""
    story = _locked(story_id)
    _ensure_editor(user, story, "assign")
    if not is_reviewer(reviewer) or is_author(reviewer, story):
        raise InvalidInput({"reviewer": ["Choose a reviewer who is not an author of the story."]})
    assignment, _ = Assignment.objects.update_or_create(
        story=story, reviewer=reviewer, defaults={"due_at": due_at, "assigned_by": user}
    )
    audit_record(action="assign", actor=user, story=story,
                 details={"reviewer": reviewer.get_username(), "due_at": due_at})
    return assignment
