"""Reads for the review side of the admin: a fixed number of queries whatever the claim count."""

import re
from dataclasses import dataclass, field, replace
from datetime import datetime

from django.db.models import Exists, F, Max, OuterRef, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from audit.models import Event
from sources.citing import CitedIn
from sources.models import Health, Source
from sources.pins import PinnedSource
from sources.selectors import claim_evidence, library_copies, numbered_sources

from .anchors import locate
from .models import (
    Assignment,
    Claim,
    ClaimCheck,
    CommentThread,
    Decision,
    PreviewLink,
    Review,
    Revision,
    State,
    Story,
)
from .permissions import is_author, is_reviewer
from .reader_text import reader_text
from .review import PriorCheck, carried_check

UNCHECKED = "unchecked"
STATE_LABELS = {
    "supported": "Supported",
    "unsupported": "Unsupported",
    "needs_source": "Needs source",
    UNCHECKED: "Not yet checked",
}
EVIDENCE_LABELS = {
    "found": "figures found in the snapshot",
    "partial": "some figures found",
    "not_found": "figures not found in the snapshot",
    "no_snapshot": "no snapshot to compare",
}


@dataclass
class SourceRow:
    """A numbered source on the review screen: the copy the revision pins (what the reviewer
    checks and readers will see), its pinned snapshot, and the library's current link health."""

    number: int
    key: str
    locator: str = ""
    source: PinnedSource | None = None
    snapshot_id: int | None = None
    snapshot_at: datetime | None = None
    snapshot_url: str = ""
    library_health: str = ""
    outdated: tuple[str, ...] = ()

    @property
    def health(self) -> str:
        return self.library_health if self.source else "missing"

    @property
    def health_label(self) -> str:
        return Health(self.library_health).label if self.source else "Not in the library"


@dataclass
class ClaimRow:
    claim: Claim
    state: str
    latest_check: ClaimCheck | None
    sources: list[SourceRow]
    evidence: list[dict]
    carried: ClaimCheck | None
    new: bool
    # What the form shows: the reviewer's own last verdict and note on this revision (a
    # Comment review keeps the work for the next pass), or their input after an error.
    form_verdict: str = ""
    form_note: str = ""

    @property
    def state_label(self) -> str:
        return STATE_LABELS.get(self.state, self.state)


@dataclass
class ReviewScreen:
    story: Story
    revision: Revision
    html: SafeString
    claims: list[ClaimRow]
    sources: list[SourceRow]
    reviews: list[Review]
    can_review: bool
    has_history: bool
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def carried_count(self) -> int:
        return sum(1 for row in self.claims if row.carried is not None)


def _source_rows(revision: Revision) -> dict[str, SourceRow]:
    """The revision's numbered sources as the review screen shows them, by key: one query."""
    return {
        entry.key: SourceRow(
            number=entry.number, key=entry.key, source=None if entry.pin.missing else entry.pin,
            snapshot_id=entry.pin.snapshot_id, snapshot_at=entry.pin.snapshot_at,
            snapshot_url=reverse("snapshot-detail", args=[entry.pin.snapshot_id])
            if entry.pin.snapshot_id else "",
            library_health=entry.health, outdated=entry.outdated,
        )
        for entry in numbered_sources(revision.pins)
    }


def _prior_checks(revision: Revision) -> dict[tuple[str, tuple[str, ...]], list[PriorCheck]]:
    """Checks on earlier revisions of the story, newest first, grouped by (text, keys)."""
    grouped: dict[tuple[str, tuple[str, ...]], list[PriorCheck]] = {}
    checks = (
        ClaimCheck.objects.filter(claim__revision__story_id=revision.story_id,
                                  claim__revision__number__lt=revision.number)
        .order_by("-created_at", "-id")
        .values_list("id", "verdict", "claim__normalised", "claim__keys")
    )
    for check_id, verdict, normalised, keys in checks:
        key = (normalised, tuple(keys or ()))
        grouped.setdefault(key, []).append(
            PriorCheck(normalised=normalised, keys=key[1], verdict=verdict, check_id=check_id)
        )
    return grouped


_CLAIM_SPAN = re.compile(r'<span class="claim" id="claim-(\d+)">')


def highlight(html: str, states: dict[int, str]) -> SafeString:
    """The stored, sanitised revision HTML with each claim span classed by its check state."""

    def classed(match: re.Match) -> str:
        ordinal = int(match.group(1))
        state = states.get(ordinal, UNCHECKED)
        return f'<span class="claim claim-{state}" id="claim-{ordinal}">'

    # The HTML was sanitised when the revision was saved; only a known class is added.
    return mark_safe(_CLAIM_SPAN.sub(classed, html))  # noqa: S308  # nosec B308 B703 - nh3-sanitised at save; adds a class


def review_screen(*, story: Story, user) -> ReviewScreen:
    """Everything the reviewer's screen shows for the story's latest revision."""
    revision = story.latest_revision
    claims = revision.ordered_claims
    latest: dict[int, ClaimCheck] = {}
    mine: dict[int, ClaimCheck] = {}  # this reviewer's own work on this revision, carried
    for check in (ClaimCheck.objects.filter(claim__revision=revision)
                  .select_related("reviewer").order_by("created_at", "id")):
        latest[check.claim_id] = check
        if check.reviewer_id == user.pk:
            mine[check.claim_id] = check
    prior = _prior_checks(revision)
    carried_ids: dict[int, int] = {}
    for claim in claims:
        keys = tuple(claim.keys or ())
        check_id = carried_check(claim.normalised, keys, prior.get((claim.normalised, keys), []))
        if check_id is not None:
            carried_ids[claim.pk] = check_id
    carried = {
        c.pk: c for c in ClaimCheck.objects.filter(pk__in=set(carried_ids.values()))
        .select_related("reviewer", "claim__revision")
    } if carried_ids else {}
    sources = _source_rows(revision)
    evidence = claim_evidence(revision) if claims else {}
    rows = []
    for claim in claims:
        check = latest.get(claim.pk)
        locators = list(claim.locators or [])
        cited = []
        for index, key in enumerate(claim.keys or []):
            base = sources.get(key) or SourceRow(number=0, key=key)
            locator = locators[index] if index < len(locators) else ""
            cited.append(replace(base, locator=locator or ""))
        prior_check = carried.get(carried_ids.get(claim.pk))
        own = mine.get(claim.pk)
        rows.append(ClaimRow(
            claim=claim, state=check.verdict if check else UNCHECKED, latest_check=check,
            sources=cited, evidence=[
                {**hint, "label": EVIDENCE_LABELS.get(hint.get("status"), hint.get("status"))}
                for hint in (evidence or {}).get(claim.ordinal, [])
            ],
            carried=prior_check, new=bool(prior) and prior_check is None,
            form_verdict=own.verdict if own else "", form_note=own.note if own else "",
        ))
    counts = {state: 0 for state in STATE_LABELS}
    for row in rows:
        counts[row.state] = counts.get(row.state, 0) + 1
    return ReviewScreen(
        story=story, revision=revision,
        html=highlight(revision.html, {row.claim.ordinal: row.state for row in rows}),
        claims=rows, sources=list(sources.values()),
        reviews=list(Review.objects.filter(story=story).select_related("reviewer", "revision")),
        # Reviews are for stories in review; any other state is shown read-only.
        can_review=is_reviewer(user) and not is_author(user, story)
        and story.state == State.IN_REVIEW,
        has_history=bool(prior), counts=counts,
    )


# --- the workflow page ------------------------------------------------------------------


@dataclass
class WorkflowPage:
    story: Story
    reviews: list[Review]
    assignments: list[Assignment]
    preview_links: list[PreviewLink]
    events: list[Event]
    revisions: list[Revision]


def workflow_page(*, story_id: int) -> WorkflowPage:
    """A story's state, revisions, reviews, assignments, preview links and audit timeline."""
    story = Story.objects.select_related(
        "latest_revision", "live_revision", "approved_revision"
    ).prefetch_related("authors").get(pk=story_id)
    return WorkflowPage(
        story=story,
        reviews=list(Review.objects.filter(story=story).select_related("reviewer", "revision")),
        assignments=list(Assignment.objects.filter(story=story)
                         .select_related("reviewer", "assigned_by").order_by("due_at", "id")),
        preview_links=list(
            PreviewLink.objects.filter(revision__story=story, revoked_at__isnull=True,
                                       expires_at__gt=timezone.now())
            .select_related("revision", "created_by").order_by("expires_at")
        ),
        events=list(Event.objects.filter(story=story).order_by("id")),
        revisions=list(story.revisions.only("id", "number", "content_hash", "created_at",
                                            "created_by_id", "story_id").order_by("-number")),
    )


# --- dashboards ---------------------------------------------------------------------------


def waiting_for_review(user):
    """Stories in review the user didn't write; assigned ones first, soonest due first."""
    mine = Assignment.objects.filter(story=OuterRef("pk"), reviewer=user)
    return (
        Story.objects.filter(state=State.IN_REVIEW)
        .exclude(authors=user)
        .annotate(assigned=Exists(mine), due_at=Subquery(mine.values("due_at")[:1]))
        .order_by("-assigned", F("due_at").asc(nulls_last=True), "updated_at", "id")
    )


def stories_by(user):
    """The user's own stories, most recently changed first."""
    return Story.objects.filter(authors=user).order_by("-updated_at", "-id")


def ready_to_publish():
    """Approved stories waiting for an editor."""
    return Story.objects.filter(state=State.APPROVED).order_by("updated_at", "id")


def scheduled_stories():
    """Scheduled stories, the next to go live first."""
    return Story.objects.filter(state=State.SCHEDULED).order_by("publish_at", "id")


def revision_warnings(revision) -> list[dict]:
    """The revision's citation warnings, then evidence warnings: cited figures not found in
    any cited source's snapshot (recomputed, since snapshots arrive after the save)."""
    from sources.selectors import evidence_warnings

    return [*revision.warnings, *evidence_warnings(revision)]


def source_approval_times(source: Source) -> list[datetime]:
    """When the live revision of each published story citing the source was approved."""
    revisions = Story.objects.published().filter(source_entries__source=source).values(
        "live_revision")
    times = (Review.objects.filter(revision__in=revisions, decision=Decision.APPROVE)
             .values("revision").annotate(at=Max("created_at")).values_list("at", flat=True))
    return sorted(set(times))


def source_cited_in(source: Source, user) -> CitedIn:
    """The stories listing the source that `user` may open, each marked with what its live page
    shows an older copy of; the others are counted, not named."""
    cited = Story.objects.filter(source_entries__source=source).distinct()
    visible = list(cited.filter(pk__in=Story.objects.visible_to(user).values("pk"))
                   .select_related("live_revision").order_by("title"))
    current = library_copies([source.key]).get(source.key)
    for story in visible:
        pin = next((p for p in story.live_revision.pins if p.key == source.key), None) \
            if story.live_revision_id else None
        story.live_copy_outdated = pin.differences(current) if pin else []
    return CitedIn(visible=visible, hidden=cited.count() - len(visible))


# --- comments -------------------------------------------------------------------------------


@dataclass
class ThreadView:
    """A comment thread as the latest revision shows it: where its words are now, or outdated."""

    thread: CommentThread
    comments: list
    outdated: bool
    line: int | None = None
    claim_ordinal: int | None = None

    @property
    def resolved(self) -> bool:
        return self.thread.resolved_at is not None

    @property
    def was_line(self) -> int:
        """The line its words were on in the revision it was made on (for an outdated mark)."""
        return self.thread.revision.body.count("\n", 0, self.thread.offset) + 1


def comment_threads(story: Story, revision: Revision | None = None) -> list[ThreadView]:
    """The story's comment threads against its latest revision (open first, then resolved):
    each follows its claim or passage while the words are unchanged, else is outdated."""
    revision = revision or story.latest_revision
    threads = list(CommentThread.objects.filter(story=story)
                   .select_related("created_by", "resolved_by")
                   .prefetch_related("comments__author"))
    if not threads or revision is None:
        return []
    claims = {(c.normalised, tuple(c.keys or ())): c
              for c in revision.claims.only("ordinal", "normalised", "keys", "line")}
    reader = None
    views = []
    for thread in threads:
        view = ThreadView(thread=thread, comments=list(thread.comments.all()), outdated=True)
        if thread.on_claim:
            claim = claims.get((thread.claim_normalised, tuple(thread.claim_keys or ())))
            if claim is not None:
                view.outdated, view.claim_ordinal, view.line = False, claim.ordinal, claim.line
        else:
            if reader is None:
                reader = reader_text(revision.html)
            where = locate(thread.quote, body=revision.body, reader=reader, hint=thread.offset)
            if where is not None:
                view.outdated, view.line = False, where.line
        views.append(view)
    views.sort(key=lambda v: (v.resolved, v.outdated, v.line or 0, v.thread.pk))
    return views
