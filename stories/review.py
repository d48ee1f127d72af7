"""The workflow's rules as pure data: which action moves a story from which state to which.

No ORM, settings or I/O here: the table is tested as a whole, and services.py applies it.
IllegalTransition is an audit.errors.Conflict, so every interface maps it once (HTTP 409).
"""

from dataclasses import dataclass
from enum import StrEnum

from audit.errors import Conflict


class Action(StrEnum):
    SUBMIT = "submit"
    WITHDRAW = "withdraw"
    REQUEST_CHANGES = "request_changes"
    APPROVE = "approve"
    PUBLISH = "publish"
    SCHEDULE = "schedule"
    RETRACT = "retract"
    EDIT = "edit"


DRAFT, IN_REVIEW, CHANGES_REQUESTED = "draft", "in_review", "changes_requested"
APPROVED, SCHEDULED, PUBLISHED, RETRACTED = "approved", "scheduled", "published", "retracted"
STATES = (DRAFT, IN_REVIEW, CHANGES_REQUESTED, APPROVED, SCHEDULED, PUBLISHED, RETRACTED)


class IllegalTransition(Conflict):
    """The action is not possible in the story's current state (HTTP 409)."""

    def __init__(self, state: str, action: str):
        self.state, self.action = state, action
        super().__init__(refusal(state, action))


# What each action does to a story, as a refusal says it: "cannot be <done>".
DONE = {
    "submit": "submitted for review", "withdraw": "withdrawn from review",
    "request_changes": "sent back for changes", "approve": "approved", "publish": "published",
    "schedule": "scheduled", "retract": "retracted", "edit": "edited",
    "comment": "reviewed with a comment",
}


# A state as a refusal says it: "This story is <…>".
STATE_TEXT = {DRAFT: "a draft", IN_REVIEW: "in review", CHANGES_REQUESTED: "sent back for changes",
              APPROVED: "approved", SCHEDULED: "scheduled", PUBLISHED: "published",
              RETRACTED: "retracted"}


def _state_text(state: str) -> str:
    return STATE_TEXT.get(state, state.replace("_", " "))


def refusal(state: str, action: str) -> str:
    """Why `action` is refused in `state`, in words: already done, or from which states it
    can be done (e.g. 'This story is in review, so it cannot be published: only a story that is
    approved or scheduled can.')."""
    done = DONE.get(action, f'sent to "{action.replace("_", " ")}"')
    targets = {target for (_, act), target in TRANSITIONS.items() if act == action}
    if state in targets and state != DRAFT:
        return f"This story is already {_state_text(state)}."
    allowed = sorted({_state_text(frm) for (frm, act) in TRANSITIONS if act == action})
    reason = f"This story is {_state_text(state)}, so it cannot be {done}"
    if not allowed:
        return reason + "."
    return reason + f": only a story that is {' or '.join(allowed)} can."


TRANSITIONS: dict[tuple[str, Action], str] = {
    (DRAFT, Action.SUBMIT): IN_REVIEW,
    (CHANGES_REQUESTED, Action.SUBMIT): IN_REVIEW,
    (IN_REVIEW, Action.WITHDRAW): DRAFT,
    (IN_REVIEW, Action.REQUEST_CHANGES): CHANGES_REQUESTED,
    (IN_REVIEW, Action.APPROVE): APPROVED,
    (APPROVED, Action.PUBLISH): PUBLISHED,
    (APPROVED, Action.SCHEDULE): SCHEDULED,
    (SCHEDULED, Action.PUBLISH): PUBLISHED,
    (PUBLISHED, Action.RETRACT): RETRACTED,
    # Edits: an edit drops any approval and sends the text back to draft.
    (DRAFT, Action.EDIT): DRAFT,
    (CHANGES_REQUESTED, Action.EDIT): CHANGES_REQUESTED,
    (IN_REVIEW, Action.EDIT): DRAFT,
    (APPROVED, Action.EDIT): DRAFT,
    (SCHEDULED, Action.EDIT): DRAFT,
    (PUBLISHED, Action.EDIT): DRAFT,
    (RETRACTED, Action.EDIT): RETRACTED,
}


def next_state(state: str, action: Action, *, live: bool = False) -> str:
    """The state after `action`; a story with a live revision can be retracted mid-correction."""
    if action is Action.RETRACT and live and state != RETRACTED:
        return RETRACTED
    try:
        return TRANSITIONS[(state, action)]
    except KeyError:
        raise IllegalTransition(state, action) from None


@dataclass(frozen=True)
class PriorCheck:
    """A check made on an earlier revision, as the carry-over rule sees it."""

    normalised: str
    keys: tuple[str, ...]
    verdict: str
    check_id: int


def carried_check(normalised: str, keys: tuple[str, ...], prior: list[PriorCheck]) -> int | None:
    """The latest earlier `supported` check of the same claim text citing the same sources."""
    for check in prior:  # newest first
        if check.normalised == normalised and check.keys == keys:
            return check.check_id if check.verdict == "supported" else None
    return None
