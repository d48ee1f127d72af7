"""The writer's editor: checking unsaved text with the citation engine, and the per-user
buffer of unsaved text that keeps a closed tab, an expired session or a failed save from
losing anything. Neither makes a revision; neither is audited as an edit."""

import gc
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from audit.errors import ActionDenied, InvalidInput
from audit.services import audited
from sources import evidence
from sources.models import Source
from sources.selectors import unsaved_evidence_warnings

from .. import citations
from ..models import Draft, Revision, Story
from ..permissions import is_writer
from .revisions import _ensure_can_edit, parse_inputs, validate_body


@dataclass(frozen=True)
class CheckResult:
    """A parse of unsaved text, with the library's copy of each numbered source."""

    body: str
    document: citations.Document
    library: dict
    listed: tuple[str, ...]
    renumbered: tuple[str, ...]
    reading_order: tuple[int, ...]
    # (claim ordinal, warning) for claims whose figures no cited snapshot contains.
    evidence: tuple[tuple[int, dict], ...] = ()


def _story_for_editor(*, user, story_id: int | None, action: str) -> Story | None:
    if story_id is None:
        if not is_writer(user):
            raise ActionDenied(action, "Only writers, reviewers and editors can write stories.",
                               actor=user)
        return None
    story = Story.objects.get(pk=story_id)
    _ensure_can_edit(user, story, action)
    return story


@contextmanager
def collector_paused():
    """No cyclic garbage collection while a check runs and its answer is built. A 2,000-claim
    body makes some 100,000 markdown-it tokens (and the evidence match as many small objects)
    that live until the check ends, long enough for the collector to promote them and then
    sweep the whole process again and again: 40% of the check's CPU time. Its answer is built
    inside too, so the parsed document (some 10,000 objects more) is freed by reference
    counting before the collector runs again; promoted instead, it set off a full collection of
    the process (100-180 ms) about every tenth long check (bench/editor.py). Nothing is kept
    longer; if another thread paused it first, that thread turns it back on."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def source_keys_of(ids: list[int]) -> list[str]:
    """Library keys of source ids, in the order given (unknown ids are dropped)."""
    by_id = dict(Source.objects.filter(pk__in=ids).values_list("pk", "key"))
    return [by_id[i] for i in ids if i in by_id]


@audited("check")
def story_check(*, user, body: str, source_keys: list[str], story_id: int | None = None
                ) -> CheckResult:
    """Parse unsaved text as a save would (same engine, same limits), with the evidence
    warnings a review would show, without saving anything; only the story's authors and
    editors (or, for a new story, writers) may ask. Run it, and build the answer from it,
    inside collector_paused()."""
    _story_for_editor(user=user, story_id=story_id, action="check")
    validate_body(body)
    keys = list(dict.fromkeys(k.strip() for k in source_keys if k and k.strip()))
    library, figures = parse_inputs(body=body, source_keys=keys)
    doc = citations.parse(body, source_list=keys, library=library, images=figures, html=False)
    claims = [evidence.ClaimInput(ordinal=c.ordinal, text=c.text, sources=c.numbers)
              for c in doc.claims]
    found = unsaved_evidence_warnings(claims, list(doc.numbered),
                                      {c.ordinal: (c.line, c.column) for c in doc.claims})
    return CheckResult(body=body, document=doc, library=library, listed=tuple(keys),
                       renumbered=citations.first_citation_order(doc),
                       reading_order=citations.reading_order(doc), evidence=tuple(found))


def _validate_buffer(*, title: str, dek: str, body: str) -> None:
    size = len(body.encode("utf-8", "surrogatepass")) + len(dek.encode("utf-8", "surrogatepass"))
    limit = settings.NEWSROOM_MAX_BODY_BYTES
    if size > limit:
        raise InvalidInput({"body": [
            f"The unsaved text is {size:,} bytes; the limit is {limit:,} bytes (about 1 MB)."]})
    if len(title) > 300:
        raise InvalidInput({"title": ["A title has at most 300 characters."]})
    for name, value in (("title", title), ("dek", dek), ("body", body)):
        if "\x00" in value:
            raise InvalidInput({name: [f"The {name} contains a NUL character; remove it."]})


@audited("draft")
def draft_save(*, user, story_id: int | None, title: str, dek: str, body: str,
               base_revision: str = "") -> Draft:
    """Keep the writer's unsaved text (one buffer per writer and story, replaced each time)."""
    story = _story_for_editor(user=user, story_id=story_id, action="draft")
    _validate_buffer(title=title, dek=dek, body=body)
    fields = {"title": title, "dek": dek, "body": body, "base_revision": base_revision[:64],
              "updated_at": timezone.now()}
    draft, _ = Draft.objects.update_or_create(user=user, story=story, defaults=fields)
    return draft


@audited("draft")
def draft_get(*, user, story_id: int | None) -> Draft | None:
    """The writer's own buffered text for the story (or new story), if any."""
    _story_for_editor(user=user, story_id=story_id, action="draft")
    return Draft.objects.filter(user=user, story_id=story_id).first()


@audited("draft")
def draft_discard(*, user, story_id: int | None) -> int:
    """Drop the writer's buffered text; returns how many buffers were removed (0 or 1)."""
    _story_for_editor(user=user, story_id=story_id, action="draft")
    deleted, _ = Draft.objects.filter(user=user, story_id=story_id).delete()
    return deleted


def revision_by_hash(*, story: Story, content_hash: str) -> Revision | None:
    """The story's newest revision with this content hash (a restore can repeat one)."""
    return (Revision.objects.filter(story=story, content_hash=content_hash)
            .order_by("-number").first())
