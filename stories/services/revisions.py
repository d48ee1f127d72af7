"""Story revisions: parsing a body against the library, saving an immutable revision with its
pinned sources, creating, editing and restoring stories, and the refusals an edit can meet."""

import re
from functools import partial

from django.conf import settings
from django.utils import timezone
from django.utils.text import slugify

from audit.errors import ActionDenied, Conflict, InvalidInput, Stale
from audit.forms import is_row_id
from audit.services import audit_record, audited, display_name
from audit.submissions import submission_once
from audit.text import shown_text
from sources.keys import KEY
from sources.models import Source
from sources.pins import PinnedSource
from sources.selectors import library_copies

from .. import canonical, citations, images
from ..models import (
    Claim,
    Draft,
    Image,
    Revision,
    State,
    Story,
    StorySource,
)
from ..permissions import is_author, is_editor, is_writer
from ..review import Action, next_state


class StaleRevision(Stale):
    """The story changed since the user read it (HTTP 412); names who changed it and when.

    `current` is the revision the action would now apply to (the latest revision, or for
    publishing the approved one); the refusal is audited as `<action>.denied`.
    """

    def __init__(self, current: Revision, *, action: str = "edit", message: str = ""):
        self.current, self.action = current, action
        who = display_name(current.created_by) if current.created_by_id else "someone"
        when = timezone.localtime(current.created_at).strftime("%d %b %Y %H:%M")
        super().__init__(message or (
            f"{who} saved a newer version of this story at {when} (revision "
            f"{current.number}). Your text has not been saved; copy it, reload, and merge."
        ), version=current.content_hash, story_id=current.story_id)

    def body(self) -> dict:
        return {**super().body(), "revision": self.current.content_hash,
                "revision_number": self.current.number}


class RevisionAltered(Conflict):
    """A revision's stored text no longer matches its content hash (HTTP 409): someone changed
    the row behind the application's back, so nobody may approve or publish it."""

    def __init__(self, revision: Revision, *, action: str):
        self.revision, self.action = revision, action
        super().__init__(
            f"Revision {revision.number} no longer matches the content hash it was saved with; "
            "it cannot be approved or published. Tell an administrator (the audit trail and "
            "verify_audit say more).", story_id=revision.story_id
        )



class AlreadyCurrent(Conflict):
    """Restoring a revision whose text the story already has (HTTP 409): it would only make a
    duplicate revision and drop the approval; audited as `restore.denied`."""

    action = "restore"

    def __init__(self, old: Revision, current: Revision):
        self.old, self.current = old, current
        which = "" if old.pk == current.pk else f" (revision {current.number})"
        super().__init__(
            f"Revision {old.number} is already the current text{which}; nothing was restored "
            "and the story's state and approval are unchanged.", story_id=current.story_id
        )


def ensure_current(current: Revision | None, base_revision: str | None, *,
                   action: str = "edit") -> None:
    """Refuse (StaleRevision) a change that started from another revision than the latest.

    `base_revision` is the content hash (or id) the user read; "" (a form that lost it) is
    refused like a stale one, None skips the check (internal callers).
    """
    if base_revision is None or current is None or base_revision in (
        current.content_hash, str(current.pk)
    ):
        return
    if action == "restore":
        message = (
            f"The story changed since you opened its revisions: revision {current.number} is "
            "now the latest. Nothing was restored; look at the revisions again and restore "
            "the one you want." if base_revision else
            "This restore did not say which revision was the latest when you chose it, so it "
            f"could overwrite revision {current.number}. Nothing was restored; open the "
            "revisions again and restore the one you want.")
    else:
        message = "" if base_revision else (
            "This edit did not say which version of the story it started from, so it could "
            f"overwrite revision {current.number}. Nothing was saved; copy your text, reload "
            "the story and apply it again.")
    raise StaleRevision(current, action=action, message=message)


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


def parse_inputs(*, body: str, source_keys: list[str]) -> tuple[dict, dict]:
    """(library, figures) a parse of `body` needs: only the sources and images it mentions."""
    candidates = set(_KEY_CANDIDATE.findall(body)) | set(source_keys)
    library = {s.key: source_info(s) for s in Source.objects.filter(key__in=candidates)}
    image_ids = [i for i in _IMAGE_CANDIDATE.findall(body) if is_row_id(i)]
    figures = {
        str(i.pk): images.image_info(i)
        for i in Image.objects.filter(pk__in=image_ids).select_related("credit_source")
    }
    return library, figures


def parse_story(*, body: str, source_keys: list[str]) -> citations.Document:
    """Parse a body against its source list and the library, loading only what it mentions."""
    library, figures = parse_inputs(body=body, source_keys=source_keys)
    return citations.parse(body, source_list=list(source_keys), library=library, images=figures)


def _problems(items) -> list[dict]:
    return [
        {"code": p.code, "message": p.message, "line": p.line, "column": p.column, "text": p.text}
        for p in items
    ]


# Far above any real story (the longest benchmark story has 2,000); parsing cost grows with
# the number of markers, so this bounds the time one save can take.
MAX_CITATION_GROUPS = 20_000
# The parse (markdown-it) is linear, but its cost per byte depends on what the bytes are: prose
# costs about 0.4 us a byte, while each "[" costs 10 to 45 us (link labels are scanned for) and
# each "*" or "_" 7 to 11 us (emphasis runs). These caps, far above any real story (a
# 2,000-claim story has about 2,500 brackets), keep the worst 1 MB body to about 2 s
# (tests/stories/test_parse_budget.py).
MAX_BRACKETS = 10_000
MAX_EMPHASIS_MARKS = 50_000


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
    brackets = body.count("[")
    if brackets > MAX_BRACKETS:
        raise InvalidInput({"body": [
            f"The body has {brackets:,} square brackets (links, figures and citations); a story "
            f"can have at most {MAX_BRACKETS:,}. Split it into several stories."
        ]})
    marks = body.count("*") + body.count("_")
    if marks > MAX_EMPHASIS_MARKS:
        raise InvalidInput({"body": [
            f"The body has {marks:,} * and _ characters; a story can have at most "
            f"{MAX_EMPHASIS_MARKS:,}. Remove the runs of them and save."
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
                 authors: list | None = None, submission: str | None = None) -> Story:
    """Create a draft and its first revision; the creator is an author. A repeat of
    `submission` (the add form's token, an Idempotency-Key) answers the first story, marked
    replayed (audit.submissions.replayed), and makes nothing."""
    if not is_writer(author):
        raise ActionDenied("create", "Only writers, reviewers and editors can create stories.",
                           actor=author)
    return submission_once(submission, action="story_create", actor=author, model=Story,
                           make=partial(_create, author=author, title=title, dek=dek, body=body,
                                        source_keys=source_keys, slug=slug, authors=authors))


def _create(*, author, title: str, dek: str, body: str, source_keys: list[str] | None,
            slug: str, authors: list | None) -> Story:
    validate_body(body)
    title, dek = shown_text(title), shown_text(dek)
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
    # The writer's unsaved-text buffer for a new story is now this story's first revision.
    Draft.objects.filter(user=author, story__isnull=True).delete()
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
    ensure_current(current, base_revision)
    if body is not NO_CHANGE:
        validate_body(body)
        story.body = body
    if title is not NO_CHANGE:
        title = shown_text(title)
        if not title.strip():
            raise InvalidInput({"title": ["A story needs a title."]})
        story.title = title
    if dek is not NO_CHANGE:
        story.dek = shown_text(dek)
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
    # Whatever the writer had buffered unsaved is what this save keeps (or already had).
    Draft.objects.filter(user=user, story=story).delete()
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


def same_text(a: Revision, b: Revision) -> bool:
    """Whether restoring one revision over the other would change no text or source list."""
    return ((a.title, a.dek, a.body, list(a.source_keys))
            == (b.title, b.dek, b.body, list(b.source_keys)))


@audited("restore")
def story_restore(*, story_id: int, user, revision_id: int,
                  base_revision: str | None = None) -> Story:
    """Make a new revision with an old revision's text and source list.

    `base_revision` is the latest revision the user saw when choosing (as in story_update);
    restoring a revision whose text and sources the story already has is refused
    (AlreadyCurrent), so a resubmitted restore never makes a second revision.
    """
    story = Story.objects.select_for_update(no_key=True).get(pk=story_id)
    _ensure_can_edit(user, story, "restore")
    old = Revision.objects.get(pk=revision_id, story_id=story_id)
    current = story.latest_revision
    if current is not None and same_text(old, current):
        raise AlreadyCurrent(old, current)
    ensure_current(current, base_revision, action="restore")
    return story_update(story_id=story_id, user=user, title=old.title, dek=old.dek, body=old.body,
                        source_keys=list(old.source_keys), restored_from=old)


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
