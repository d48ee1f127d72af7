"""The workflow: every change to a story goes through these functions.

The admin, the API, Celery tasks and management commands all call them, so a story is
saved, reviewed, approved and published the same way wherever the click happens.
"""

import re
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from audit import queueing
from audit.errors import ActionDenied, Conflict, InvalidInput
from audit.services import audit_denied, audit_record, audited, display_name
from sources.keys import KEY
from sources.models import Source
from sources.pins import PinnedSource
from sources.selectors import library_copies

from . import canonical, citations, images, tasks
from .models import (
    Assignment,
    Claim,
    ClaimCheck,
    Correction,
    Decision,
    Image,
    PreviewLink,
    Review,
    Revision,
    State,
    Story,
    StorySource,
    Verdict,
)
from .permissions import is_author, is_editor, is_reviewer, is_writer
from .review import Action, IllegalTransition, next_state

__all__ = ["ActionDenied", "IllegalTransition", "InvalidInput", "audit_denied", "audited"]


class StaleRevision(Conflict):
    """The story changed since the user read it (HTTP 412); names who changed it and when.

    `current` is the revision the action would now apply to (the latest revision, or for
    publishing the approved one); the refusal is audited as `<action>.denied`.
    """

    refused = "stale"

    def __init__(self, current: Revision, *, action: str = "edit", message: str = ""):
        self.current, self.action = current, action
        who = display_name(current.created_by) if current.created_by_id else "someone"
        when = timezone.localtime(current.created_at).strftime("%d %b %Y %H:%M")
        super().__init__(message or (
            f"{who} saved a newer version of this story at {when} (revision "
            f"{current.number}). Your text has not been saved; copy it, reload, and merge."
        ))


class RevisionAltered(Conflict):
    """A revision's stored text no longer matches its content hash (HTTP 409): someone changed
    the row behind the application's back, so nobody may approve or publish it."""

    def __init__(self, revision: Revision, *, action: str):
        self.revision, self.action = revision, action
        super().__init__(
            f"Revision {revision.number} no longer matches the content hash it was saved with; "
            "it cannot be approved or published. Tell an administrator (the audit trail and "
            "verify_audit say more)."
        )


# --- parsing and revisions -------------------------------------------------------------

_KEY_CANDIDATE = re.compile(rf"@({KEY})")
_IMAGE_CANDIDATE = re.compile(r"\(image:([^)\s]+)\)")


def _pins(keys: list[str], copies: dict[str, PinnedSource]) -> list[dict]:
    """The numbered sources as a revision saved now pins them (missing keys marked)."""
    return [(copies.get(key) or PinnedSource(key=key, missing=True)).as_dict() for key in keys]


def content_hash(*, title: str, dek: str, body: str, pins: list[dict]) -> str:
    """SHA-256 of everything a revision fixes, its pinned sources included (stories.canonical)."""
    return canonical.content_hash(title=title, dek=dek, body=body, sources=pins)


def source_info(source: Source) -> citations.SourceInfo:
    return citations.SourceInfo(key=source.key, title=source.title, outlet=source.outlet,
                                url=source.url, health=source.health)


def parse_story(*, body: str, source_keys: list[str]) -> citations.Document:
    """Parse a body against its source list and the library, loading only what it mentions."""
    candidates = set(_KEY_CANDIDATE.findall(body)) | set(source_keys)
    library = {s.key: source_info(s) for s in Source.objects.filter(key__in=candidates)}
    image_ids = [i for i in _IMAGE_CANDIDATE.findall(body) if i.isdigit()]
    figures = {
        str(i.pk): images.image_info(i)
        for i in Image.objects.filter(pk__in=image_ids).select_related("credit_source")
    }
    return citations.parse(body, source_list=list(source_keys), library=library, images=figures)


def _problems(items) -> list[dict]:
    return [
        {"code": p.code, "message": p.message, "line": p.line, "column": p.column, "text": p.text}
        for p in items
    ]


# Far above any real story (the longest benchmark story has 2,000); parsing cost grows with
# the number of markers, so this bounds the time one save can take.
MAX_CITATION_GROUPS = 20_000


def validate_body(body: str) -> None:
    limit = settings.NEWSROOM_MAX_BODY_BYTES
    size = len(body.encode("utf-8", "surrogatepass"))
    if size > limit:
        raise InvalidInput({"body": [
            f"The body is {size:,} bytes; the limit is {limit:,} bytes (about 1 MB). "
            "Split the story or move material to a linked document."
        ]})
    groups = body.count("[@")
    if groups > MAX_CITATION_GROUPS:
        raise InvalidInput({"body": [
            f"The body has {groups:,} citation markers; a story can have at most "
            f"{MAX_CITATION_GROUPS:,}. Split it into several stories."
        ]})
    if "\x00" in body:
        raise InvalidInput({"body": ["The body contains a NUL character; remove it and save."]})


def _listed_keys(story: Story) -> list[str]:
    """The story's source list as stored, in number order."""
    return list(
        story.source_entries.order_by("position", "id").values_list("source__key", flat=True)
    )


def _create_revision(story: Story, *, author, source_keys: list[str],
                     restored_from: Revision | None = None,
                     copies: dict[str, PinnedSource] | None = None) -> Revision:
    doc = parse_story(body=story.body, source_keys=source_keys)
    numbered = list(doc.numbered)
    if copies is None or not set(numbered) <= set(copies):
        copies = library_copies(numbered)
    pins = _pins(numbered, copies)
    # Cited library keys not on the list join it, in order of first citation.
    appended = [key for key in numbered if key not in source_keys]
    if appended:
        by_key = {s.key: s for s in Source.objects.filter(key__in=appended)}
        start = len(source_keys)
        StorySource.objects.bulk_create([
            StorySource(story=story, source=by_key[key], position=start + offset)
            for offset, key in enumerate(appended) if key in by_key
        ])
    last_number = story.latest_revision.number if story.latest_revision_id else 0
    revision = Revision.objects.create(
        story=story, number=last_number + 1, title=story.title, dek=story.dek, body=story.body,
        source_keys=numbered, pinned_sources=pins,
        content_hash=content_hash(title=story.title, dek=story.dek, body=story.body, pins=pins),
        hash_version=canonical.CURRENT_VERSION,
        created_by=author, html=doc.html, errors=_problems(doc.errors),
        warnings=_problems(doc.warnings), restored_from=restored_from,
    )
    Claim.objects.bulk_create([
        Claim(
            revision=revision, ordinal=c.ordinal, text=c.text,
            normalised=citations.normalise_claim_text(c.text), start=c.start, end=c.end,
            line=c.line, column=c.column, numbers=list(c.numbers),
            keys=[s.key for s in c.sources], locators=[s.locator for s in c.sources],
        )
        for c in doc.claims
    ])
    story.latest_revision = revision
    return revision


def _set_source_list(story: Story, source_keys: list[str]) -> list[str]:
    """Replace the story's source list; returns the keys stored, in number order."""
    keys = list(dict.fromkeys(k.strip() for k in source_keys if k and k.strip()))
    by_key = {s.key: s for s in Source.objects.filter(key__in=keys)}
    missing = [k for k in keys if k not in by_key]
    if missing:
        raise InvalidInput({"sources": [
            "Not in the source library: " + ", ".join(missing) + ". Add them to the library first."
        ]})
    StorySource.objects.filter(story=story).delete()
    StorySource.objects.bulk_create([
        StorySource(story=story, source=by_key[key], position=i) for i, key in enumerate(keys)
    ])
    return keys


def _ensure_can_edit(user, story: Story, action: str = "edit") -> None:
    if not (is_editor(user) or (is_writer(user) and is_author(user, story))):
        raise ActionDenied(action, "Only the story's authors and editors can edit it.",
                           actor=user, story_id=story.pk)


_SLUG = re.compile(r"[-a-zA-Z0-9_]+")


def validate_slug(slug: str) -> None:
    """A story's address: letters, digits, hyphens and underscores, at most 200 characters."""
    if len(slug) > 200 or not _SLUG.fullmatch(slug):
        raise InvalidInput({"slug": [
            "Use at most 200 letters, numbers, hyphens or underscores for the address."
        ]})


def unique_slug(title: str) -> str:
    base = (slugify(title) or "story")[:180]
    slug, n = base, 2
    while Story.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


@audited("create")
def story_create(*, author, title: str, dek: str = "", body: str = "",
                 source_keys: list[str] | None = None, slug: str = "",
                 authors: list | None = None) -> Story:
    """Create a draft and its first revision; the creator is an author."""
    if not is_writer(author):
        raise ActionDenied("create", "Only writers, reviewers and editors can create stories.",
                           actor=author)
    validate_body(body)
    if not title.strip():
        raise InvalidInput({"title": ["A story needs a title."]})
    slug = slug.strip() or unique_slug(title)
    validate_slug(slug)
    if Story.objects.filter(slug=slug).exists():
        raise InvalidInput({"slug": [f'The address "{slug}" is taken by another story.']})
    story = Story.objects.create(title=title, dek=dek, body=body, slug=slug)
    story.authors.set([author, *(authors or [])])
    keys = _set_source_list(story, source_keys or [])
    revision = _create_revision(story, author=author, source_keys=keys)
    story.save()
    audit_record(action="revision", actor=author, story=story,
                 revision_hash=revision.content_hash,
                 details={"revision": revision.number, "claims": revision.claims.count()})
    return story


NO_CHANGE = object()


@audited("edit")
def story_update(*, story_id: int, user, base_revision: str | None = None, title=NO_CHANGE,
                 dek=NO_CHANGE, body=NO_CHANGE, slug=NO_CHANGE, source_keys=NO_CHANGE,
                 authors=NO_CHANGE, restored_from: Revision | None = None) -> Story:
    """Save an edit as a new revision; refuse it if someone saved since `base_revision`.

    `base_revision` is the content hash the editor started from; "" (a form that lost it) is
    refused like a stale one, None skips the check (internal callers such as restore). Saving
    pins the library's current copy of every numbered source, so a save with no text change
    still makes a revision when a source's library copy changed. An edit drops any approval;
    an edit of a published story leaves the live revision up.
    """
    # NO KEY: an audit row referencing the story (a concurrent refusal) only needs KEY SHARE,
    # so it never waits on this lock while this edit waits on the audit chain's lock.
    story = Story.objects.select_for_update(no_key=True).get(pk=story_id)
    _ensure_can_edit(user, story)
    current = story.latest_revision
    if base_revision is not None and current is not None and base_revision not in (
        current.content_hash, str(current.pk)
    ):
        raise StaleRevision(current, message="" if base_revision else (
            "This edit did not say which version of the story it started from, so it could "
            f"overwrite revision {current.number}. Nothing was saved; copy your text, reload "
            "the story and apply it again."))
    if body is not NO_CHANGE:
        validate_body(body)
        story.body = body
    if title is not NO_CHANGE:
        if not title.strip():
            raise InvalidInput({"title": ["A story needs a title."]})
        story.title = title
    if dek is not NO_CHANGE:
        story.dek = dek
    if slug is not NO_CHANGE and slug != story.slug:
        if story.live_revision_id:
            raise InvalidInput({"slug": ["A published story keeps its address."]})
        validate_slug(slug)
        if Story.objects.filter(slug=slug).exclude(pk=story.pk).exists():
            raise InvalidInput({"slug": [f'The address "{slug}" is taken by another story.']})
        story.slug = slug
    if source_keys is not NO_CHANGE:
        _set_source_list(story, source_keys)
    if authors is not NO_CHANGE:
        if not authors:
            raise InvalidInput({"authors": ["A story needs at least one author."]})
        before = sorted(story.authors.values_list("username", flat=True))
        story.authors.set(authors)
        after = sorted(story.authors.values_list("username", flat=True))
        if before != after:
            audit_record(action="authors", actor=user, story=story,
                         details={"from": before, "to": after})
    keys_now = _listed_keys(story)
    copies = library_copies(keys_now)
    unchanged = current is not None and restored_from is None and (
        (current.title, current.dek, current.body, current.pinned_sources)
        == (story.title, story.dek, story.body, _pins(keys_now, copies))
    )
    if unchanged:
        story.save()
        return story
    from_state = story.state
    story.state = next_state(story.state, Action.EDIT)
    revision = _create_revision(story, author=user, source_keys=keys_now,
                                restored_from=restored_from, copies=copies)
    if from_state in (State.IN_REVIEW, State.APPROVED, State.SCHEDULED):
        story.approved_revision = None
        story.publish_at = None
    story.save()
    audit_record(
        action="revision", actor=user, story=story, revision_hash=revision.content_hash,
        details={"revision": revision.number, "from": from_state, "to": story.state,
                 "restored_from": restored_from.number if restored_from else None},
    )
    return story


def story_restore(*, story_id: int, user, revision_id: int) -> Story:
    """Make a new revision with an old revision's text and source list."""
    old = Revision.objects.get(pk=revision_id, story_id=story_id)
    return story_update(story_id=story_id, user=user, title=old.title, dek=old.dek, body=old.body,
                        source_keys=list(old.source_keys), restored_from=old)


# --- transitions ------------------------------------------------------------------------


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
        raise InvalidInput({"body": [
            f"Fix the {len(revision.errors)} citation error(s) before submitting: "
            + "; ".join(e["message"] for e in revision.errors[:5])
        ]})
    _transition(story, Action.SUBMIT, user)
    _queue(tasks.notify_submitted, story.pk)
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


@dataclass(frozen=True)
class CheckInput:
    """A verdict on one claim of the revision reviewed, named by ordinal or by claim id."""

    claim: int | None = None  # the claim's ordinal in the revision
    verdict: str = ""
    note: str = ""
    carried_from: int | None = None
    claim_id: int | None = None  # the claim's id (GET /claims/); wins over the ordinal


def _revision_editors_since_approval(story: Story, revision: Revision) -> set[int]:
    """Users who wrote any revision since the last one that was approved, up to this one."""
    last_approved = (
        Review.objects.filter(story=story, decision=Decision.APPROVE,
                              revision__number__lt=revision.number)
        .order_by("-revision__number").values_list("revision__number", flat=True).first()
    ) or 0
    return set(
        Revision.objects.filter(story=story, number__gt=last_approved, number__lte=revision.number)
        .values_list("created_by_id", flat=True)
    )


def _ensure_can_review(user, story: Story, action: str) -> None:
    if not is_reviewer(user):
        raise ActionDenied(action, "Only reviewers can review stories.", actor=user,
                           story_id=story.pk)
    if is_author(user, story):
        raise ActionDenied(action, "Authors cannot review their own story.", actor=user,
                           story_id=story.pk)


def _record_checks(story: Story, revision: Revision, review: Review, user,
                   checks: list[CheckInput]) -> None:
    claims = {c.ordinal: c for c in revision.claims.all()}
    by_id = {c.pk: c for c in claims.values()}
    rows, recorded = [], []
    for check in checks:
        if check.claim_id is not None:
            claim = by_id.get(check.claim_id)
            if claim is None:
                raise InvalidInput({"checks": [
                    f"Claim id {check.claim_id} is not a claim of revision {revision.number} "
                    "(GET /claims/ lists its claims and their ids)."]})
        else:
            claim = claims.get(check.claim)
            if claim is None:
                raise InvalidInput({"checks": [f"Claim {check.claim} is not in revision "
                                               f"{revision.number}."]})
        if check.verdict not in Verdict.values:
            raise InvalidInput({"checks": [f'"{check.verdict}" is not a verdict; use one of '
                                           + ", ".join(Verdict.values) + "."]})
        rows.append(ClaimCheck(claim=claim, review=review, reviewer=user, verdict=check.verdict,
                               note=check.note, carried_from_id=check.carried_from))
        recorded.append({"claim": claim.ordinal, "verdict": check.verdict, "note": check.note})
    ClaimCheck.objects.bulk_create(rows)
    if rows:
        audit_record(action="claim_check", actor=user, story=story,
                     revision_hash=revision.content_hash, details={"checks": recorded})


def _unsupported_claims(revision: Revision) -> list[int]:
    latest: dict[int, str] = {}
    for claim_id, verdict in (
        ClaimCheck.objects.filter(claim__revision=revision)
        .order_by("created_at", "id").values_list("claim__ordinal", "verdict")
    ):
        latest[claim_id] = verdict
    ordinals = revision.claims.values_list("ordinal", flat=True)
    return [o for o in ordinals if latest.get(o) != Verdict.SUPPORTED]


@audited("review")
def review_submit(*, story_id: int, reviewer, decision: str, comment: str = "",
                  checks: list[CheckInput] | None = None,
                  base_revision: str | None = None) -> Review:
    """Record a review of the latest revision: approve, request changes, or comment.

    `base_revision` is the content hash of the revision the reviewer read: required to approve
    and to record claim checks, and whenever given, a text changed since is refused as stale
    (HTTP 412). Approval needs every claim checked `supported` and a reviewer who neither
    wrote nor edited the revision; it is pinned to the revision's content hash.
    """
    story = _locked(story_id)
    action = {"approve": "approve", "request_changes": "request_changes"}.get(decision, "review")
    if decision not in Decision.values:
        raise InvalidInput({"decision": [f'"{decision}" is not a decision; use approve, '
                                         "request_changes or comment."]})
    _ensure_can_review(user=reviewer, story=story, action=action)
    revision = story.latest_revision
    if not base_revision and (decision == Decision.APPROVE or checks):
        raise InvalidInput({"revision": [
            "Name the revision you read: send its content hash (the `revision` of GET "
            "/claims/) as `revision` or in an If-Match header."]})
    if base_revision and base_revision != revision.content_hash:
        raise StaleRevision(revision, action=action, message=(
            f"The story changed since you read it: revision {revision.number} "
            f"({revision.short_hash}) is the one in review now. Nothing was recorded; read "
            "the new text and review it."))
    if decision == Decision.APPROVE:
        next_state(story.state, Action.APPROVE)
        if revision.computed_hash() != revision.content_hash:
            raise RevisionAltered(revision, action="approve")
        if reviewer.pk in _revision_editors_since_approval(story, revision):
            raise ActionDenied("approve", "You edited this text since it was last approved; "
                               "another reviewer must approve it.", actor=reviewer,
                               story_id=story.pk)
    elif decision == Decision.REQUEST_CHANGES:
        next_state(story.state, Action.REQUEST_CHANGES)
        if not comment.strip():
            raise InvalidInput({"comment": ["Say what needs to change."]})
    elif story.state != State.IN_REVIEW:
        raise IllegalTransition(story.state, "comment")
    review = Review.objects.create(story=story, revision=revision, reviewer=reviewer,
                                   decision=decision, comment=comment,
                                   content_hash=revision.content_hash)
    _record_checks(story, revision, review, reviewer, checks or [])
    if decision == Decision.APPROVE:
        missing = _unsupported_claims(revision)
        if missing:
            raise InvalidInput({"checks": [
                "Every claim must be checked and supported before approval; not yet: claim "
                + ", ".join(str(o) for o in missing[:20]) + ("…" if len(missing) > 20 else "")
            ]})
        approvers = set(
            Review.objects.filter(revision=revision, decision=Decision.APPROVE)
            .values_list("reviewer_id", flat=True)
        )
        tally = {"approvals": len(approvers), "required": settings.NEWSROOM_REQUIRED_APPROVALS}
        if len(approvers) >= settings.NEWSROOM_REQUIRED_APPROVALS:
            story.approved_revision = revision
            _transition(story, Action.APPROVE, reviewer, details=tally)
            _queue(tasks.notify_authors, story.pk, "approved")
        else:
            audit_record(action="approve", actor=reviewer, story=story,
                         revision_hash=revision.content_hash,
                         details={"from": story.state, "to": story.state, **tally})
    elif decision == Decision.REQUEST_CHANGES:
        _transition(story, Action.REQUEST_CHANGES, reviewer, details={"comment": comment})
        _queue(tasks.notify_authors, story.pk, "changes_requested")
    else:
        audit_record(action="comment", actor=reviewer, story=story,
                     revision_hash=revision.content_hash, details={"comment": comment})
    return review


def _ensure_editor(user, story: Story, action: str) -> None:
    if not is_editor(user):
        raise ActionDenied(action, "Only editors can do this.", actor=user, story_id=story.pk)


def _go_live(story: Story, user, *, note: str, note_kind: str) -> None:
    revision = story.approved_revision
    now = timezone.now()
    correcting = story.live_revision_id is not None
    if correcting:
        Correction.objects.create(story=story, revision=revision, kind=note_kind, note=note,
                                  created_at=now)
        story.live_updated_at = now
    else:
        story.published_at = now
        story.live_updated_at = now
    story.live_revision = revision
    story.publish_at = None
    _transition(story, Action.PUBLISH, user,
                details={"revision": revision.number, "note": note, "kind": note_kind})
    _queue(tasks.notify_authors, story.pk, "published")
    _queue(tasks.page_published, story.pk)


@audited("publish")
def story_publish(*, story_id: int, user, revision: str = "",
                  publish_at: datetime | None = None, note: str = "",
                  note_kind: str = Correction.Kind.CORRECTION) -> Story:
    """Publish the approved revision now, or schedule it; a republication needs a public note.

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
    _go_live(story, user, note=note, note_kind=note_kind)
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
    if not reason.strip():
        raise InvalidInput({"reason": ["Give readers the reason for the retraction."]})
    story.retraction_reason = reason
    story.retracted_at = timezone.now()
    _transition(story, Action.RETRACT, user, details={"reason": reason})
    _queue(tasks.page_published, story.pk)
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


@audited("preview_link")
def preview_link_create(*, revision_id: int, user, expires_at: datetime,
                        label: str = "") -> PreviewLink:
    """An editor creates an expiring read-only link to one revision for an outside reviewer."""
    revision = Revision.objects.select_related("story").get(pk=revision_id)
    _ensure_editor(user, revision.story, "preview_link")
    if expires_at <= timezone.now():
        raise InvalidInput({"expires_at": ["Choose an expiry time in the future."]})
    link = PreviewLink.objects.create(revision=revision, created_by=user, expires_at=expires_at,
                                      label=label)
    audit_record(action="preview_link", actor=user, story=revision.story,
                 revision_hash=revision.content_hash,
                 details={"link": link.pk, "label": label, "expires_at": expires_at})
    return link


@audited("preview_link_revoke")
def preview_link_revoke(*, link_id: int, user) -> PreviewLink:
    link = PreviewLink.objects.select_related("revision__story").get(pk=link_id)
    _ensure_editor(user, link.revision.story, "preview_link_revoke")
    link.revoked_at = timezone.now()
    link.save(update_fields=["revoked_at"])
    audit_record(action="preview_link_revoke", actor=user, story=link.revision.story,
                 revision_hash=link.revision.content_hash, details={"link": link.pk})
    return link


def preview_link_open(*, token: str) -> PreviewLink | None:
    """The active link for a token, or None; every successful opening is audited."""
    link = PreviewLink.objects.select_related("revision__story").filter(token=token).first()
    if link is None or not link.active:
        return None
    audit_record(action="preview_link_open", story=link.revision.story,
                 revision_hash=link.revision.content_hash,
                 details={"link": link.pk, "label": link.label})
    return link


def _sqlite_bulk_limit(sender=None, connection=None, **kwargs) -> None:
    """Let bulk inserts use SQLite's real bound-variable limit, so saves stay one INSERT.

    Django 5.2 assumes SQLite's old limit of 999 variables and splits a 1,000-claim revision
    into a dozen INSERTs; SQLite 3.32+ allows 32,766 or more (Django 6.0 asks SQLite too).
    """
    if connection is None or connection.vendor != "sqlite" or connection.connection is None:
        return
    import sqlite3

    limit = connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    connection.features.max_query_params = max(999, limit)


def _connect_sqlite_bulk_limit() -> None:
    from django.db import connections
    from django.db.backends.signals import connection_created

    connection_created.connect(_sqlite_bulk_limit, dispatch_uid="newsroom_sqlite_bulk_limit")
    for open_connection in connections.all(initialized_only=True):
        _sqlite_bulk_limit(connection=open_connection)


_connect_sqlite_bulk_limit()
