"""Reads for the readers' side: the public corrections log, today's top stories, the stories
of a day's digest, the corrections desk, and how many reports led to corrections."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db.models import Count, Sum
from django.utils import timezone

from audit.models import Event
from sources.selectors import numbered_sources

from .models import Correction, ErrorReport, PageView, ReportStatus, Story
from .selectors import ListingItem, listing_items, published_stories

# --- the public corrections log ---------------------------------------------------------


@dataclass(frozen=True)
class LogEntry:
    """A correction, update or retraction as the public log lists it."""

    story: Story
    kind: str  # correction, update, retraction
    label: str
    at: datetime
    note: str
    key: str  # stable id (feed guid, ETag)


def corrections_log(*, limit: int = 200) -> list[LogEntry]:
    """Every published correction, update and retraction, newest first (two queries)."""
    stories = Story.objects.published().select_related("live_revision").defer(
        "body", "live_revision__html", "live_revision__body", "live_revision__errors",
        "live_revision__warnings")
    notes = (Correction.objects.filter(story__in=stories.values("pk"))
             .select_related("story", "story__live_revision")
             .defer("story__body", "story__live_revision__html", "story__live_revision__body",
                    "story__live_revision__errors", "story__live_revision__warnings")
             .order_by("-created_at", "-id")[:limit])
    entries = [LogEntry(story=c.story, kind=c.kind, label=c.get_kind_display(), at=c.created_at,
                        note=c.note, key=f"correction-{c.pk}") for c in notes]
    entries += [LogEntry(story=s, kind="retraction", label="Retraction", at=s.retracted_at,
                         note=s.retraction_reason, key=f"retraction-{s.pk}")
                for s in stories.filter(retracted_at__isnull=False)
                .order_by("-retracted_at")[:limit]]
    entries.sort(key=lambda e: (e.at, e.key), reverse=True)
    return entries[:limit]


def report_corrections_count(story: Story) -> int:
    """How many readers' reports led to a published correction of this story."""
    return ErrorReport.objects.filter(story=story, status=ReportStatus.CORRECTED).count()


# --- today's top stories ----------------------------------------------------------------

TOP_WINDOW = timedelta(hours=24)


def hour_of(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def _top_story_ids(now: datetime, count: int) -> list[int]:
    since = now - TOP_WINDOW
    live = Story.objects.published().filter(retracted_at__isnull=True)
    views = dict(PageView.objects.filter(hour__gte=hour_of(since), story__in=live.values("pk"))
                 .values("story").annotate(total=Sum("count")).values_list("story", "total"))
    todays = list(live.filter(published_at__gte=since).order_by("-published_at", "-id")
                  .values_list("pk", flat=True)[:200])
    ranked = sorted(todays, key=lambda pk: -views.get(pk, 0))  # stable: newest first on ties
    if len(ranked) < count:  # a quiet day: the most read recently, then the newest
        extra = sorted((pk for pk in views if pk not in ranked), key=lambda pk: -views[pk])
        ranked += extra[:count - len(ranked)]
    if len(ranked) < count:
        ranked += list(live.exclude(pk__in=ranked).order_by("-published_at", "-id")
                       .values_list("pk", flat=True)[:count - len(ranked)])
    return ranked[:count]


def top_story_ids(*, count: int | None = None, now: datetime | None = None) -> list[int]:
    """Today's top stories: those published in the last 24 hours, most read first (anonymous
    hourly counts), then the most read and the newest to fill the list (four queries)."""
    count = settings.NEWSROOM_TOP_STORIES if count is None else count
    return _top_story_ids(now or timezone.now(), count) if count > 0 else []


def top_stories(ids: list[int], *, exclude: int | None = None) -> list[ListingItem]:
    """Teasers of these stories, in this order (three queries), leaving out `exclude`."""
    wanted = [pk for pk in ids if pk != exclude]
    found = {s.pk: s for s in published_stories().filter(pk__in=wanted)}
    return listing_items([found[pk] for pk in wanted if pk in found])


# --- the daily digest -------------------------------------------------------------------


def digest_items(day: date) -> list[ListingItem]:
    """The day's published stories (local date), oldest first, not retracted."""
    start = timezone.make_aware(datetime.combine(day, datetime.min.time()))
    stories = (published_stories().filter(published_at__gte=start,
                                          published_at__lt=start + timedelta(days=1),
                                          retracted_at__isnull=True)
               .order_by("published_at", "id"))
    return listing_items(stories)


# --- the corrections desk ---------------------------------------------------------------


@dataclass(frozen=True)
class DeskClaim:
    """Reports on one claim of one story, with the claim's text and its numbered sources."""

    story: Story
    ordinal: int
    claim_text: str
    reports: list[ErrorReport]
    sources: list


def desk_groups(reports, *, limit: int = 500) -> list[DeskClaim]:
    """The newest `limit` reports grouped by story (the story with the newest report first)
    and claim (in claim order), each claim with the sources it cites as the revision pinned
    them, snapshots included (one query per claim for the library's link health)."""
    rows = list(reports.select_related("story", "claim", "revision", "suggested_source",
                                       "correction").order_by("-created_at", "-id")[:limit])
    story_rank: dict[int, int] = {}
    groups: dict[tuple[int, int], list[ErrorReport]] = {}
    for report in rows:
        story_rank.setdefault(report.story_id, len(story_rank))
        groups.setdefault((report.story_id, report.claim.ordinal), []).append(report)
    out = []
    for (_, ordinal), items in sorted(groups.items(),
                                             key=lambda g: (story_rank[g[0][0]], g[0][1])):
        latest = items[0]
        out.append(DeskClaim(story=latest.story, ordinal=ordinal, claim_text=latest.claim_text,
                             reports=items, sources=claim_sources(latest)))
    return out


def claim_sources(report: ErrorReport) -> list:
    """The numbered sources the reported claim cites, as its revision pinned them."""
    numbered = {n.number: n for n in numbered_sources(report.revision.pins)}
    return [numbered[n] for n in report.claim.numbers if n in numbered]


def correction_note_draft(story, *, most: int = 5) -> str:
    """A first draft of the public note for the corrections the desk opened on this story:
    each reported claim as readers read it. The editor completes it before publishing."""
    quoted: list[str] = []
    for text in (ErrorReport.objects.filter(story=story, status=ReportStatus.CORRECTING)
                 .order_by("claim__ordinal", "id").values_list("claim_text", flat=True)):
        text = " ".join(text.split()).rstrip(".")
        if text and text not in quoted:
            quoted.append(text)
    return " ".join(f"An earlier version of this story said: \u201c{text}.\u201d"
                    for text in quoted[:most])


def desk_counts(reports) -> dict[str, int]:
    """How many reports per status."""
    counts = dict(reports.values("status").annotate(n=Count("id")).values_list("status", "n"))
    return {status: counts.get(status, 0) for status in ReportStatus.values}



# What each audited step of a report means to the desk (its trail on the report's page).
REPORT_STEPS = {
    "report_create": "Reported by a reader",
    "report_reply": "Reply sent to the reader",
    "report_dismiss": "Dismissed",
    "report_correct": "Correction opened",
    "report_corrected": "Closed by the published correction",
    "report_add_source": "Suggested source added to the library",
}


@dataclass(frozen=True)
class TrailStep:
    """One audited step of a report, in words."""

    event: Event
    label: str


def report_trail(report: ErrorReport) -> list[TrailStep]:
    """The audit events about one report, oldest first, in words (one query over the
    story's)."""
    events = Event.objects.filter(story=report.story_id, action__startswith="report_")
    return [TrailStep(event=e, label=REPORT_STEPS.get(e.action, e.action))
            for e in events.order_by("id")
            if (e.details or {}).get("report") == report.pk
            or report.pk in ((e.details or {}).get("reports") or [])]
