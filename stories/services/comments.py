"""Comments anchored to text: reviewers and editors start them, the desk replies and resolves.

Never public: no public page, feed or public API reads them. Every start, reply and
resolution is an audit event (comment_add, comment_reply, comment_resolve).
"""

from functools import partial

from django.utils import timezone

from audit.errors import ActionDenied, Conflict, InvalidInput, ensure_no_nul
from audit.services import audit_record, audited
from audit.submissions import submission_once

from ..anchors import MAX_QUOTE, locate, normalise
from ..models import Comment, CommentThread, Story
from ..permissions import is_author, is_editor, is_reviewer, is_writer
from ..reader_text import reader_text
from .limits import COMMENT
from .revisions import StaleRevision
from .workflow import _locked


class ThreadResolved(Conflict):
    """A resolved comment takes no replies (HTTP 409)."""

    def __init__(self, message: str, *, thread: CommentThread):
        super().__init__(message, story_id=thread.story_id)


def _ensure_sees(user, story: Story, action: str) -> None:
    if not is_writer(user) or not Story.objects.visible_to(user).filter(pk=story.pk).exists():
        raise ActionDenied(action, "Only the story's authors, its reviewers and editors can "
                           "comment on it.", actor=user, story_id=story.pk)


def _text(text: str) -> str:
    text = (text or "").replace("\r\n", "\n").strip()
    if not text:
        raise InvalidInput({"text": ["Write the comment."]})
    COMMENT.ensure("text", text)
    ensure_no_nul("text", text, what="This comment")
    return text


@audited("comment_add")
def comment_start(*, story_id: int, user, text: str, revision: str, claim_id: int | None = None,
                  quote: str = "", submission: str | None = None) -> CommentThread:
    """A reviewer or editor comments on a claim or a passage of the revision they read (the
    latest; any other is refused as stale). A repeat of `submission` (a form's token, an
    Idempotency-Key) answers the thread the first one started, marked replayed, and records
    nothing."""
    story = _locked(story_id)
    return submission_once(submission, action=f"comment_add {story.pk}", actor=user,
                           model=CommentThread, make=partial(
                               _thread_start, story=story, user=user, text=text,
                               revision=revision, claim_id=claim_id, quote=quote))


def _thread_start(*, story: Story, user, text: str, revision: str, claim_id: int | None,
                  quote: str) -> CommentThread:
    _ensure_sees(user, story, "comment_add")
    if not (is_reviewer(user) or is_editor(user)):
        raise ActionDenied("comment_add", "Only reviewers and editors start comments; reply "
                           "to theirs.", actor=user, story_id=story.pk)
    latest = story.latest_revision
    if latest is None:
        raise InvalidInput({"revision": ["This story has no text to comment on yet."]})
    if not revision:
        raise InvalidInput({"revision": ["Name the revision you read: send its content hash "
                                         "(the `revision` of GET /claims/)."]})
    if revision != latest.content_hash:
        raise StaleRevision(latest, action="comment_add", message=(
            f"The story changed since you read it: revision {latest.number} is the latest now. "
            "Your comment was not saved; read the new text and comment on it."))
    text = _text(text)
    thread = CommentThread(story=story, revision=latest, created_by=user)
    if claim_id is not None:
        claim = latest.claims.filter(pk=claim_id).first()
        if claim is None:
            ordinals = ", ".join(str(o) for o in latest.claims.values_list("ordinal", flat=True))
            raise InvalidInput({"claim": [f"Claim id {claim_id} is not a claim of revision "
                                          f"{latest.number} (its claims: {ordinals or 'none'})."]})
        thread.quote, thread.offset = claim.text, claim.start
        thread.claim_normalised, thread.claim_keys = claim.normalised, list(claim.keys or [])
    else:
        quote = normalise(quote or "")
        if not quote:
            raise InvalidInput({"quote": ["Select the words you comment on, or choose a claim."]})
        if len(quote) > MAX_QUOTE:
            raise InvalidInput({"quote": [f"Comment on at most {MAX_QUOTE:,} characters of "
                                          "text at a time."]})
        where = locate(quote, body=latest.body, reader=reader_text(latest.html))
        if where is None:
            raise InvalidInput({"quote": [f"“{quote[:80]}” is not in revision {latest.number}: "
                                          "select words of the text as it reads now."]})
        thread.quote, thread.offset = quote, where.start or 0
    thread.save()
    Comment.objects.create(thread=thread, author=user, text=text, created_at=thread.created_at)
    audit_record(action="comment_add", actor=user, story=story,
                 revision_hash=latest.content_hash,
                 details={"thread": thread.pk, "quote": thread.quote[:200], "text": text,
                          "claim": thread.on_claim})
    return thread


def _thread(thread_id: int) -> CommentThread:
    thread = CommentThread.objects.filter(pk=thread_id).values_list("story_id", flat=True).first()
    if thread is None:
        raise InvalidInput({"thread": [f"There is no comment {thread_id}."]})
    _locked(thread)
    return CommentThread.objects.select_related("story").get(pk=thread_id)


@audited("comment_reply")
def comment_reply(*, thread_id: int, user, text: str, submission: str | None = None) -> Comment:
    """Anyone who may see the story (its authors, reviewers, editors) replies to a comment; a
    repeat of `submission` answers the first reply, marked replayed, and records nothing."""
    thread = _thread(thread_id)
    return submission_once(submission, action=f"comment_reply {thread.pk}", actor=user,
                           model=Comment, make=partial(_reply, thread=thread, user=user,
                                                       text=text))


def _reply(*, thread: CommentThread, user, text: str) -> Comment:
    story = thread.story
    _ensure_sees(user, story, "comment_reply")
    if thread.resolved_at is not None:
        raise ThreadResolved("This comment is resolved: it takes no more replies. Start a new "
                             "one on the text if something is still wrong.", thread=thread)
    text = _text(text)
    comment = Comment.objects.create(thread=thread, author=user, text=text)
    audit_record(action="comment_reply", actor=user, story=story,
                 details={"thread": thread.pk, "text": text})
    return comment


@audited("comment_resolve")
def comment_resolve(*, thread_id: int, user) -> CommentThread:
    """The story's authors, the comment's author or an editor mark a comment resolved."""
    thread = _thread(thread_id)
    story = thread.story
    _ensure_sees(user, story, "comment_resolve")
    if not (is_author(user, story) or thread.created_by_id == user.pk or is_editor(user)):
        raise ActionDenied("comment_resolve", "Only the story's authors, the comment's author "
                           "and editors can resolve it.", actor=user, story_id=story.pk)
    if thread.resolved_at is not None:
        raise ThreadResolved("This comment is already resolved.", thread=thread)
    thread.resolved_at, thread.resolved_by = timezone.now(), user
    thread.save(update_fields=["resolved_at", "resolved_by"])
    audit_record(action="comment_resolve", actor=user, story=story,
                 details={"thread": thread.pk})
    return thread
