"""Reviews: a reviewer checks every claim and approves (four eyes) or asks for changes."""

from dataclasses import dataclass
from functools import partial

from django.conf import settings

from audit.errors import ActionDenied, Conflict, InvalidInput, ensure_no_nul
from audit.services import audit_record, audited
from audit.submissions import submission_once

from ..models import (
    ClaimCheck,
    Decision,
    Review,
    Revision,
    State,
    Story,
    Verdict,
)
from ..permissions import is_author, is_reviewer
from ..review import Action, IllegalTransition, next_state
from .limits import CLAIM_NOTE, REVIEW_COMMENT
from .revisions import RevisionAltered, StaleRevision
from .workflow import _locked, _transition


class AlreadyApproved(Conflict):
    """A reviewer approving a revision they already approved (HTTP 409): while more approvals
    are needed it would only count them twice; audited as `approve.denied`."""

    action = "approve"

    def __init__(self, revision: Revision):
        super().__init__(
            f"You already approved revision {revision.number}; nothing was recorded. It needs "
            "another reviewer's approval now.", story_id=revision.story_id)


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
                  base_revision: str | None = None, submission: str | None = None) -> Review:
    """Record a review of the latest revision: approve, request changes, or comment.

    `base_revision` is the content hash of the revision the reviewer read: required to approve
    and to record claim checks, and whenever given, a text changed since is refused as stale
    (HTTP 412). Approval needs every claim checked `supported` and a reviewer who neither
    wrote nor edited the revision; it is pinned to the revision's content hash. A repeat of
    `submission` (the form's token, an Idempotency-Key) answers the first review, marked
    replayed (audit.submissions.replayed), recording nothing.
    """
    story = _locked(story_id)
    return submission_once(submission, action=f"review {story.pk}", actor=reviewer,
                           model=Review, make=partial(
                               _review, story=story, reviewer=reviewer, decision=decision,
                               comment=comment, checks=checks or [],
                               base_revision=base_revision))


def _review(*, story: Story, reviewer, decision: str, comment: str, checks: list[CheckInput],
            base_revision: str | None) -> Review:
    action = {"approve": "approve", "request_changes": "request_changes"}.get(decision, "review")
    if decision not in Decision.values:
        raise InvalidInput({"decision": [f'"{decision}" is not a decision; use approve, '
                                         "request_changes or comment."]})
    _ensure_can_review(user=reviewer, story=story, action=action)
    REVIEW_COMMENT.ensure("comment", comment)
    for check in checks:
        what = f"The note on claim {check.claim or f'id {check.claim_id}'}"
        CLAIM_NOTE.ensure("checks", check.note, what=what)
        ensure_no_nul("checks", check.note, what=what)
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
        if Review.objects.filter(revision=revision, reviewer=reviewer,
                                 decision=Decision.APPROVE).exists():
            raise AlreadyApproved(revision)
    elif decision == Decision.REQUEST_CHANGES:
        next_state(story.state, Action.REQUEST_CHANGES)
        if not comment.strip():
            raise InvalidInput({"comment": ["Say what needs to change."]})
    elif story.state != State.IN_REVIEW:
        raise IllegalTransition(story.state, "comment")
    review = Review.objects.create(story=story, revision=revision, reviewer=reviewer,
                                   decision=decision, comment=comment,
                                   content_hash=revision.content_hash)
    _record_checks(story, revision, review, reviewer, checks)
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
        else:
            audit_record(action="approve", actor=reviewer, story=story,
                         revision_hash=revision.content_hash,
                         details={"from": story.state, "to": story.state, **tally})
    elif decision == Decision.REQUEST_CHANGES:
        _transition(story, Action.REQUEST_CHANGES, reviewer, details={"comment": comment})
    else:
        audit_record(action="comment", actor=reviewer, story=story,
                     revision_hash=revision.content_hash, details={"comment": comment})
    return review
