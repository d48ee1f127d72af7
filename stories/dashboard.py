"""What the admin index shows each person: their review queue, their stories, the desk's lists."""

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from audit.admin_mixins import KeyUrls

from . import review_selectors as selectors
from .inbox import publish_overdue
from .models import Story
from .permissions import is_editor, is_reviewer, is_writer

LIMIT = 25


@dataclass(frozen=True)
class Row:
    story: Story
    change_url: str
    review_url: str
    workflow_url: str
    assigned: bool = False
    due_at: datetime | None = None
    overdue: bool = False
    # A scheduled story whose time has passed but is not live: the scheduler is not running.
    publish_overdue: bool = False


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    rows: list[Row]
    empty: str


def _row(story: Story, now: datetime, urls: KeyUrls) -> Row:
    due_at = getattr(story, "due_at", None)
    return Row(
        story=story,
        change_url=urls("admin:stories_story_change", story.pk),
        review_url=urls("admin:stories_story_review", story.pk),
        workflow_url=urls("admin:stories_story_workflow", story.pk),
        assigned=bool(getattr(story, "assigned", False)),
        due_at=due_at,
        overdue=due_at is not None and due_at < now,
        publish_overdue=publish_overdue(story, now),
    )


def dashboard(user) -> list[Section]:
    """The dashboard sections for this user's roles, each a short list of stories."""
    if not user.is_authenticated:
        return []
    now = timezone.now()
    sections, urls = [], KeyUrls()  # each kind of link reversed once, not once a row

    def add(key, title, queryset, empty):
        sections.append(Section(key, title, [_row(s, now, urls) for s in queryset[:LIMIT]],
                                empty))

    if is_reviewer(user):
        add("waiting", "Waiting for my review", selectors.waiting_for_review(user),
            "Nothing is waiting for your review.")
    if is_writer(user):
        add("mine", "My stories", selectors.stories_by(user), "You have no stories yet.")
    if is_editor(user):
        add("ready", "Ready to publish", selectors.ready_to_publish(),
            "No approved stories are waiting.")
        add("scheduled", "Scheduled", selectors.scheduled_stories(), "Nothing is scheduled.")
    return sections
