"""Reads for the public site: only live revisions, with a fixed number of queries per page."""

import difflib
import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cached_property

from django.contrib.auth import get_user_model
from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection
from django.db.models import Count, F, Prefetch, Q
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from audit.models import Event
from audit.paging import Window, window
from audit.services import display_name
from sources.models import Snapshot, Source
from sources.selectors import NumberedSource, numbered_sources

from .models import Correction, Decision, Review, Revision, Story
from .reader_text import reader_lines, reader_text
from .report_links import claims_citing
from .search import CONFIG as SEARCH_CONFIG
from .transparency import LogRef, published_entry, story_log

# Readers only ever see these fields of a live revision on listings; the HTML stays behind.
# The working copy's body (a long draft is ~1 MB) stays behind too.
_LISTING_DEFER = ("body", "live_revision__html", "live_revision__body", "live_revision__errors",
                  "live_revision__warnings", "live_revision__search_vector")


# What a byline or a "Reviewed by" line shows of a person (audit.services.display_name).
_NAME_FIELDS = ("username", "first_name", "last_name")


def _named_users():
    """Users with only what their names are made of (for prefetching bylines)."""
    return get_user_model().objects.only(*_NAME_FIELDS)


def _approving_reviews():
    """Approvals in sign-off order, with what reviewer_names needs of each."""
    return (Review.objects.filter(decision=Decision.APPROVE).select_related("reviewer")
            .only("revision", "created_at", *(f"reviewer__{name}" for name in _NAME_FIELDS))
            .order_by("created_at", "id"))


def published_stories(*, pins: bool = False):
    """Published (and retracted) stories, newest first, ready for a listing: 3 queries. `pins`:
    also read each live revision's pinned sources (a teaser counts its sources from the keys;
    the pins of a 300-source story are ~100 KB of JSON)."""
    return (
        Story.objects.published()
        .select_related("live_revision")
        .defer(*_LISTING_DEFER, *(() if pins else ("live_revision__pinned_sources",)))
        .prefetch_related(
            Prefetch("authors", queryset=_named_users()),
            Prefetch("live_revision__reviews", queryset=_approving_reviews(),
                     to_attr="approvals"),
        )
        .order_by("-published_at", "-id")
    )


def reviewer_names(reviews) -> list[str]:
    """Display names of distinct approving reviewers, in the order they signed off."""
    names: dict[int, str] = {}
    for review in reviews:
        names.setdefault(review.reviewer_id, display_name(review.reviewer))
    return list(names.values())


def reviewer_ids(reviews) -> tuple[int, ...]:
    """The ids of those reviewers, in the same order (the edge cache labels a page with the
    people it names, so a rename purges it: stories.frontend_cache)."""
    return tuple(dict.fromkeys(review.reviewer_id for review in reviews))


def approving_reviewers(revision: Revision) -> list[str]:
    """Display names of the reviewers who approved this revision, in sign-off order (the names
    only: a publish reads them for its log entry)."""
    return reviewer_names(_approving_reviews().filter(revision=revision))


def listing_items(stories) -> list["ListingItem"]:
    """Wrap listing stories with what a teaser shows; reads only prefetched data."""
    return [
        ListingItem(
            story=s, revision=s.live_revision, authors=list(s.authors.all()),
            reviewers=reviewer_names(getattr(s.live_revision, "approvals", [])),
            source_count=len(s.live_revision.source_keys or []),
            reviewer_ids=reviewer_ids(getattr(s.live_revision, "approvals", [])),
        )
        for s in stories
    ]


@dataclass(frozen=True)
class ListingItem:
    """A published story as a teaser: live title and dek, authors, reviewers, source count."""

    story: Story
    revision: Revision
    authors: list
    reviewers: list[str]
    source_count: int
    reviewer_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class StoryPage:
    """Everything the public story page shows, read from the live revision."""

    story: Story
    revision: Revision
    authors: list
    reviewers: list[str]
    sources: list[NumberedSource]
    corrections: list[Correction] = field(default_factory=list)
    # Whether the page lists the story's entries in the public transparency log (a preview's
    # revision is not in it).
    logged: bool = False
    reviewer_ids: tuple[int, ...] = ()

    @property
    def source_count(self) -> int:
        return len(self.sources)

    @cached_property
    def log(self) -> list:
        """The story's entries in the public transparency log, oldest first
        (stories.transparency), read when first asked for: a page whose cached fragment holds
        them costs no query. An entry is appended only by a publish, a correction or a
        retraction, and each saves the story, whose ``updated_at`` keys that fragment."""
        return story_log(self.story) if self.logged else []

    @cached_property
    def listed_sources(self) -> list[NumberedSource]:
        """The numbered sources, each with the claims citing it (read from the rendered body,
        so only when the fragment showing them is rendered: a warm page never reads it)."""
        citing = claims_citing(self.revision.html)
        return [replace(item, claims=citing.get(item.number, ())) for item in self.sources]

    @property
    def link_stamp(self) -> str:
        """Which cited links are broken, one digit per source: the only live part of the
        numbered source list (everything else is pinned), so part of its cache key."""
        return "".join("1" if s.link_broken else "0" for s in self.sources)


def _revision_page(story: Story, revision: Revision, *, public: bool) -> StoryPage:
    approvals = list(_approving_reviews().filter(revision=revision))
    return StoryPage(
        story=story, revision=revision, authors=list(story.authors.all()),
        reviewers=reviewer_names(approvals), reviewer_ids=reviewer_ids(approvals),
        # As the revision pins them, with each link's health now (sources.selectors).
        sources=numbered_sources(revision.pins, library=False, health=True),
        # A story never republished has no corrections: skip the query.
        # Only notes that came with this revision or an earlier one: a publish landing
        # between these queries cannot put its note on the previous revision's page.
        corrections=list(story.corrections.filter(revision__number__lte=revision.number))
        if public and story.live_updated_at != story.published_at else [],
        logged=public,
    )


def story_page(slug: str) -> StoryPage | None:
    """A published story's page from its live revision, in four queries (five once it has been
    corrected). The story and its live revision are read in one query, so everything on the
    page comes from the same revision whatever is published meanwhile. The revision's HTML
    is read only when a fragment holding it has to be rendered (a revision is immutable:
    reading it later reads the same text)."""
    story = (
        Story.objects.published().select_related("live_revision")
        .defer("body", "live_revision__body", "live_revision__errors", "live_revision__warnings",
               "live_revision__search_vector", "live_revision__html")
        .prefetch_related(Prefetch("authors", queryset=_named_users()))
        .filter(slug=slug).first()
    )
    if story is None:
        return None
    return _revision_page(story, story.live_revision, public=True)


def revision_page(revision: Revision) -> StoryPage:
    """Any revision laid out like the story page (for preview links; never cached)."""
    return _revision_page(revision.story, revision, public=False)


# --- review trail -----------------------------------------------------------------------


@dataclass(frozen=True)
class PublishedRevision:
    """A revision that was live at some point: when, who approved it, and the public note."""

    revision: Revision
    published_at: datetime
    reviewers: list[str]
    corrections: list[Correction]
    diff: SafeString | None
    log_entry: LogRef | None = None  # the transparency log entry that published it
    reviewer_ids: tuple[int, ...] = ()


def published_history(story: Story, *, newest: int | None = None,
                      skip: int = 0) -> list[PublishedRevision]:
    """Revisions that went live, oldest first, from the audit trail's publish events: all of
    them, or the `newest` ones after skipping the `skip` most recent (a page of the trail; only
    its revisions, and the one before it for the first diff, are read)."""
    went_live = _went_live(story)
    end = len(went_live) - skip
    start = 0 if newest is None else max(0, end - newest)
    wanted = went_live[max(0, start - 1):max(0, end)]
    revisions = {
        r.number: r for r in Revision.objects.filter(
            story=story, number__in=[n for n, _ in wanted]
        ).prefetch_related(Prefetch("reviews", queryset=_approving_reviews(), to_attr="approvals"))
    }
    corrections: dict[int, list[Correction]] = {}
    for correction in story.corrections.filter(revision__in=revisions.values()):
        corrections.setdefault(correction.revision_id, []).append(correction)
    log = story_log(story)
    history, previous = [], None
    for position, (number, at) in enumerate(wanted, start=max(0, start - 1)):
        revision = revisions.get(number)
        if revision is None:
            continue
        if position >= start:
            history.append(PublishedRevision(
                revision=revision, published_at=at, reviewers=reviewer_names(revision.approvals),
                reviewer_ids=reviewer_ids(revision.approvals),
                corrections=corrections.get(revision.pk, []),
                diff=revision_diff(previous, revision) if previous else None,
                log_entry=published_entry(log, number),
            ))
        previous = revision
    return history


def published_count(story: Story) -> int:
    """How many revisions went live (the length of the review trail)."""
    return len(_went_live(story))


def _went_live(story: Story) -> list[tuple[int, datetime]]:
    """(revision number, time) of each first publication of a revision, oldest first."""
    events = Event.objects.filter(story=story, action="publish").order_by("id").values_list(
        "at", "details")
    went_live: list[tuple[int, datetime]] = []
    seen: set[int] = set()
    for at, details in events:
        number = (details or {}).get("revision")
        if isinstance(number, int) and number not in seen:
            seen.add(number)
            went_live.append((number, at))
    if not went_live and story.live_revision_id:
        went_live.append((story.live_revision.number, story.published_at))
    # The live revision is the last word even if the events disagree.
    return went_live


_WORDS = re.compile(r"\s+|[^\s]+")


def _word_diff(old: str, new: str) -> SafeString:
    a, b = _WORDS.findall(old), _WORDS.findall(new)
    parts = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            parts.append(escape("".join(a[i1:i2])))
            continue
        if i2 > i1:
            parts.append(format_html("<del>{}</del>", "".join(a[i1:i2])))
        if j2 > j1:
            parts.append(format_html("<ins>{}</ins>", "".join(b[j1:j2])))
    return mark_safe("".join(parts))  # noqa: S308  # nosec B308 B703 - every piece above is escaped


def _text_diff(old: str, new: str) -> list[SafeString]:
    """Changed paragraphs with word-level marks; unchanged ones collapse to a count."""
    a = [p for p in (old or "").split("\n") if p.strip()]
    b = [p for p in (new or "").split("\n") if p.strip()]
    rows = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            count = i2 - i1
            rows.append(format_html(
                '<p class="diff-same">{} unchanged paragraph{}</p>', count,
                "" if count == 1 else "s",
            ))
        elif op == "replace" and i2 - i1 == j2 - j1:
            rows.extend(format_html('<p class="diff-changed">{}</p>', _word_diff(x, y))
                        for x, y in zip(a[i1:i2], b[j1:j2], strict=True))
        else:
            rows.extend(format_html('<p class="diff-removed"><del>{}</del></p>', x)
                        for x in a[i1:i2])
            rows.extend(format_html('<p class="diff-added"><ins>{}</ins></p>', y)
                        for y in b[j1:j2])
    return rows


def revision_diff(old: Revision, new: Revision) -> SafeString:
    """What changed between two published revisions, as readable HTML (escaped text)."""
    sections = []
    if old.title != new.title:
        sections.append(format_html('<h4>Headline</h4><p class="diff-changed">{}</p>',
                                    _word_diff(old.title, new.title)))
    if old.dek != new.dek:
        sections.append(format_html('<h4>Summary</h4><p class="diff-changed">{}</p>',
                                    _word_diff(old.dek, new.dek)))
    old_text, new_text = reader_text(old.html), reader_text(new.html)
    if old_text != new_text:
        # The text as readers read it (citations as their numbers), never the markup.
        sections.append(format_html("<h4>Text</h4>{}", mark_safe("".join(  # noqa: S308  # nosec B308 B703
            _text_diff(old_text, new_text)))))
    old_pins = {pin.key: pin for pin in old.pins}
    new_pins = {pin.key: pin for pin in new.pins}
    added = [pin for key, pin in new_pins.items() if key not in old_pins]
    removed = [pin for key, pin in old_pins.items() if key not in new_pins]
    if added or removed:
        items = [format_html("<li><ins>Added source: {}</ins></li>", p.title or p.key)
                 for p in added]
        items += [format_html("<li><del>Removed source: {}</del></li>", p.title or p.key)
                  for p in removed]
        sections.append(format_html('<h4>Sources</h4><ul class="diff-sources">{}</ul>',
                                    mark_safe("".join(items))))  # noqa: S308  # nosec B308 B703
    if not sections:
        return mark_safe('<p class="diff-same">No change to the text.</p>')  # nosec B308 B703 - constant markup
    return mark_safe("".join(sections))  # noqa: S308  # nosec B308 B703 - built from format_html pieces


# --- sources, authors, search -----------------------------------------------------------


def stories_citing(source: Source):
    """Published stories whose live revision lists the source (never a draft's list), newest
    first, as a queryset: PostgreSQL answers from the GIN index on the source lists."""
    stories = published_stories()
    if connection.vendor == "postgresql":
        return stories.filter(live_revision__source_keys__contains=[source.key])
    # SQLite has no JSON containment: the list's JSON text holds the key in quotes exactly
    # when the list has it (keys have no quotes, and are unique whatever their case).
    return stories.filter(live_revision__source_keys__icontains=f'"{source.key}"')


def public_source(key: str):
    """A source and the published stories citing it (a queryset); None when none does."""
    source = Source.objects.filter(key=key).first()
    if source is None:
        return None
    stories = stories_citing(source)
    if not stories.exists():
        return None
    return source, stories


def source_is_public(source: Source) -> bool:
    """Whether the source has a public page (public_source finds it)."""
    return stories_citing(source).exists()


def public_snapshot(snapshot_id: int) -> Snapshot | None:
    """An archived copy readers may open: a snapshot of a source a published story cites."""
    snapshot = Snapshot.objects.select_related("source").filter(pk=snapshot_id).first()
    if snapshot is None or not stories_citing(snapshot.source).exists():
        return None
    return snapshot


def public_author(username: str):
    """A user with at least one published story, and those stories; None otherwise. A
    deactivated account keeps its page: its bylines still link there (audit.keeping)."""
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        return None
    stories = published_stories().filter(authors=user)
    if not stories.exists():
        return None
    return user, stories


@dataclass(frozen=True)
class SearchHit:
    """A published story matching a query, with an escaped snippet (matches in <mark>)."""

    item: ListingItem
    snippet: SafeString


# A longer query is cut (a search box needs no more); every query is bounded and safe, operators
# included (websearch syntax never fails to parse).
MAX_QUERY_CHARS = 200
MAX_QUERY_WORDS = 10
# Matches ranked per search, newest first (see search_published).
SEARCH_CANDIDATES = 200
# Results a page shows: a reader scans a screen or two of teasers with their snippets, then
# refines the query or goes on to the next page (most search pages show 10 to 20).
SEARCH_PAGE_SIZE = 20
_START, _STOP = "\x02", "\x03"
_TERM = re.compile(r"\w[\w'-]*")


def _marked(text: str) -> SafeString:
    return mark_safe(  # noqa: S308  # nosec B308 B703 - the text is escaped before the marks go in
        escape(text).replace(_START, "<mark>").replace(_STOP, "</mark>")
    )


def _snippet(text: str, query: str, width: int = 220) -> SafeString:
    """A window of the reader's text around the first word of the query it contains, each
    query word marked; the opening of the text when none is found."""
    words = {w.lower() for w in _TERM.findall(query) if len(w) > 1} or {query.lower()}
    pattern = re.compile("|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)),
                         re.IGNORECASE)
    found = pattern.search(text)
    if found is None:
        return _marked(text[:width] + ("…" if len(text) > width else ""))
    start = max(0, found.start() - width // 3)
    if start:
        start = text.rfind(" ", 0, start) + 1  # a whole word first
    piece = pattern.sub(lambda m: _START + m.group(0) + _STOP, text[start:start + width])
    return _marked(("…" if start else "") + piece + ("…" if start + width < len(text) else ""))


def search_published(query: str, *, page=1, per_page: int | None = None) -> Window:
    """One page of a full-text search over live title, dek and body, best match first
    (PostgreSQL ranks, SQLite matches text): a Window of SearchHit. Snippets are built for the
    page shown only; pages stop at the SEARCH_CANDIDATES matches ranked."""
    per_page = per_page or SEARCH_PAGE_SIZE
    query = (query or "").strip()[:MAX_QUERY_CHARS]
    if not query:
        return window([], page, per_page=per_page, limit=SEARCH_CANDIDATES)
    stories = published_stories()
    if connection.vendor == "postgresql":
        # The live revision's stored vector (stories.search), found through its GIN index.
        # Ranking reads each candidate's vector, so only the newest SEARCH_CANDIDATES matches
        # are ranked: a word in every story costs the same as a rare one.
        search = SearchQuery(query, search_type="websearch", config=SEARCH_CONFIG)
        newest = (Story.objects.published().filter(live_revision__search_vector=search)
                  .order_by("-published_at", "-id").values("pk")[:SEARCH_CANDIDATES])
        ranked = (stories.filter(pk__in=newest)
                  .annotate(rank=SearchRank(F("live_revision__search_vector"), search))
                  .order_by("-rank", "-published_at", "-id"))
    else:
        # Every word somewhere in the title, dek or text (as PostgreSQL's websearch does).
        for word in (_TERM.findall(query) or [query])[:MAX_QUERY_WORDS]:
            stories = stories.filter(
                Q(live_revision__title__icontains=word) | Q(live_revision__dek__icontains=word)
                | Q(live_revision__body__icontains=word))
        ranked = stories
    found = window(ranked, page, per_page=per_page, limit=SEARCH_CANDIDATES)
    rows = found.object_list
    # Snippets quote what readers read (the rendered text, citations as numbers), never markup.
    rendered = dict(Revision.objects.filter(pk__in=[s.live_revision_id for s in rows])
                    .values_list("pk", "html"))
    snippets = {s.pk: _snippet(" ".join(reader_lines(rendered.get(s.live_revision_id, ""))),
                               query) for s in rows}
    return replace(found, object_list=[SearchHit(item=item, snippet=snippets[item.story.pk])
                                       for item in listing_items(rows)])


def byline_holders(users) -> dict[int, str]:
    """Of these users, those on a story's byline, each with why deleting them is refused (a
    keeper for audit.keeping: taking someone off a byline is an editor's decision, never the
    side effect of deleting their account)."""
    counts = (users.annotate(bylines=Count("stories", distinct=True),
                             live=Count("stories", distinct=True,
                                        filter=Q(stories__live_revision__isnull=False)))
              .filter(bylines__gt=0).values_list("pk", "bylines", "live"))
    return {pk: f"They are on the byline of {bylines} stor{'ies' if bylines != 1 else 'y'}"
                f"{f' ({live} published)' if live else ''}; deleting them would change "
                f"{'those bylines' if bylines != 1 else 'that byline'}. Take them off first."
            for pk, bylines, live in counts}
