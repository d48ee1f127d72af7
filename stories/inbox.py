"""The inbox: what needs each user, read from the audit trail (never a second record of it).

Each rule below names the audit events it reads and, in one place, both directions: the
events a given user's inbox shows (`events_for`, a QuerySet filter) and the users a given
event concerns (`users_for`, for the e-mail). A per-user, per-story marker (InboxMark) says how
far the user has read; opening the story marks it read.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Max, Q
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.urls import reverse
from django.utils import timezone

from audit import queueing
from audit.admin_mixins import KeyUrls
from audit.models import Event

from . import tasks
from .models import Assignment, InboxMark, State, Story, StorySource
from .permissions import EDITORS, REVIEWERS, is_editor, is_reviewer

SOURCE_ACTIONS = ("source_capture", "source_check_link")
BAD_HEALTH = ("broken", "unreachable", "changed")
HEALTH_WORDS = {"broken": "is broken", "unreachable": "cannot be reached",
                "changed": "changed since it was reviewed"}
# What each story event means to a story's authors (the e-mail subject and the inbox line).
AUTHOR_EVENTS = {
    "request_changes": "Sent back to you",
    "approve": "Approved",
    "publish": "Published",
    "schedule": "Scheduled",
    "retract": "Retracted",
    "comment_add": "New comment",
    "comment_reply": "Reply to a comment",
}
LIMIT = 50
# Every action some rule below reads (events_for): each rule's Q names its own actions too.
INBOX_ACTIONS = (*AUTHOR_EVENTS, "submit", "assign", "approve", "schedule", *SOURCE_ACTIONS)


@dataclass(frozen=True)
class Item:
    """One line of a user's inbox: an audit event about a story, as it concerns that user."""

    event_id: int
    kind: str
    label: str
    at: datetime
    story_id: int
    title: str
    text: str
    url: str
    unread: bool


def _window() -> datetime:
    return timezone.now() - timedelta(days=settings.NEWSROOM_INBOX_DAYS)


def _publish_grace() -> timedelta:
    """Beat publishes due stories every few seconds or minutes: two rounds missed is a problem."""
    interval = settings.CELERY_BEAT_SCHEDULE["publish-due-stories"]["schedule"]
    return timedelta(seconds=2 * float(interval))


def publish_overdue(story: Story, now: datetime | None = None) -> bool:
    """A scheduled story whose time has passed but is not live: the scheduler is not running."""
    now = now or timezone.now()
    return (story.state == State.SCHEDULED and story.publish_at is not None
            and story.publish_at < now - _publish_grace())


# --- the rules, both ways -------------------------------------------------------------------

def _author_q(user) -> Q:
    authored = Story.objects.filter(authors=user).values("pk")
    return (Q(story__in=authored) & Q(action__in=AUTHOR_EVENTS)
            # An approval that is not yet the last one needed leaves the state as it was.
            & ~Q(action="approve", details__to=State.IN_REVIEW))


def _reviewer_q(user) -> Q:
    """Stories submitted that the user is asked to review: assigned to them, or to nobody."""
    mine = Assignment.objects.filter(reviewer=user).values("story")
    assigned = Assignment.objects.values("story")
    return ((Q(action="submit") & (Q(story__in=mine) | ~Q(story__in=assigned))
             & ~Q(story__authors=user))
            | Q(action="assign", details__reviewer=user.get_username()))


def _overdue_q() -> Q:
    """The scheduling of each story that is past its time and not live."""
    overdue = Story.objects.filter(state=State.SCHEDULED,
                                   publish_at__lt=timezone.now() - _publish_grace())
    return Q(action="schedule", story__in=overdue.values("pk"))


def _editor_q() -> Q:
    return Q(action="approve", details__to=State.APPROVED) | _overdue_q()


def _source_q(user) -> Q:
    # A list, not a subquery: PostgreSQL cannot compare the JSON key with a subquery's text.
    keys = list(StorySource.objects.filter(story__authors=user)
                .values_list("source__key", flat=True).distinct())
    return Q(action__in=SOURCE_ACTIONS, details__health__in=BAD_HEALTH, details__key__in=keys)


def events_for(user):
    """The audit events that concern `user`, newest first (their own actions left out, except
    a scheduling of theirs that is overdue)."""
    query = _author_q(user) | _source_q(user)
    if is_reviewer(user):
        query |= _reviewer_q(user)
    if is_editor(user):
        query |= _editor_q()
    # Every rule names its actions; saying so once more, outside the OR, lets the database read
    # only those actions' recent events (the event_action_at index), not every recent event.
    return (Event.objects.filter(query, action__in=INBOX_ACTIONS, at__gte=_window())
            .exclude(Q(actor=user) & ~_overdue_q()).order_by("-id"))


def users_for(event: Event) -> list:
    """Who `event` concerns, for the e-mail: the mirror of events_for."""
    users = get_user_model().objects.filter(is_active=True)
    if event.action in SOURCE_ACTIONS:
        if not _is_source_problem(event):
            return []
        found = users.filter(stories__source_entries__source__key=event.details.get("key"))
    elif event.story_id is None:
        return []
    elif event.action == "submit":
        story = event.story
        assigned = users.filter(assignments__story=story)
        found = (assigned if assigned.exists()
                 else users.filter(Q(groups__name=REVIEWERS) | Q(is_superuser=True)))
        found = found.exclude(stories=story)
    elif event.action == "assign":
        found = users.filter(username=event.details.get("reviewer", ""))
    elif event.action in AUTHOR_EVENTS:
        if event.action == "approve" and event.details.get("to") == State.IN_REVIEW:
            return []
        found = users.filter(stories=event.story)
        if event.action == "approve":
            found = users.filter(Q(stories=event.story) | Q(groups__name=EDITORS)
                                 | Q(is_superuser=True))
    else:
        return []
    if event.actor_id is not None:
        found = found.exclude(pk=event.actor_id)
    return list(found.exclude(email="").distinct().order_by("pk"))


def _is_source_problem(event: Event) -> bool:
    details = event.details
    # A source that was already broken on the previous check is not news.
    return details.get("health") in BAD_HEALTH and details.get("was") != details.get("health")


# --- items ----------------------------------------------------------------------------------

_URL_NAMES = {"change": "admin:stories_story_change", "review": "admin:stories_story_review",
              "workflow": "admin:stories_story_workflow"}


def describe(event: Event, story: Story, *, editor: bool, author: bool,
             key_urls: KeyUrls | None = None) -> tuple[str, str, str, str]:
    """(kind, label, text, url) of an event as it concerns a user (an editor, an author).
    `key_urls` reverses each kind of link once for a whole inbox."""
    who = event.actor_name or "The scheduler"
    title = story.title
    urls = _Links(key_urls or KeyUrls(), story.pk)
    action = event.action
    if action in SOURCE_ACTIONS:
        health = event.details.get("health", "")
        return ("source", "Source problem",
                f"Source {event.details.get('key')}, cited in \u201c{title}\u201d, "
                f"{HEALTH_WORDS.get(health, health)}.", urls["change"])
    if action == "submit":
        return ("review_requested", "Submitted for your review",
                f"{who} submitted \u201c{title}\u201d for review.", urls["review"])
    if action == "assign":
        due = event.details.get("due_at")
        when = f", due {_format_when(due)}" if due else ""
        return ("review_requested", "Asked to review",
                f"{who} asked you to review \u201c{title}\u201d{when}.", urls["review"])
    if action == "request_changes":
        comment = event.details.get("comment", "")
        return ("changes_requested", AUTHOR_EVENTS[action],
                f"{who} asked for changes to \u201c{title}\u201d: {comment}", urls["change"])
    if action == "approve":
        if editor and not author:
            return ("approved", "Ready to publish",
                    f"{who} approved \u201c{title}\u201d: it is ready to publish.",
                    urls["workflow"])
        return ("approved", AUTHOR_EVENTS[action],
                f"{who} approved \u201c{title}\u201d.", urls["workflow"])
    if action == "publish":
        return ("published", AUTHOR_EVENTS[action],
                f"\u201c{title}\u201d is published (by {who}).", urls["workflow"])
    if action == "schedule":
        when = _format_when(event.details.get("publish_at"))
        if publish_overdue(story):
            return ("overdue", "Scheduled and overdue",
                    f"\u201c{title}\u201d was due to go live {when} and is not live yet: is "
                    "the scheduler (Celery beat) running?", urls["workflow"])
        return ("scheduled", AUTHOR_EVENTS[action],
                f"{who} scheduled \u201c{title}\u201d for {when}.", urls["workflow"])
    if action == "retract":
        return ("retracted", AUTHOR_EVENTS[action],
                f"{who} retracted \u201c{title}\u201d: {event.details.get('reason', '')}",
                urls["workflow"])
    if action in ("comment_add", "comment_reply"):
        return ("comment", AUTHOR_EVENTS[action],
                f"{who} on \u201c{title}\u201d: {event.details.get('text', '')}",
                urls["change"] + f"#comment-{event.details.get('thread', '')}")
    return (action, action, f"{who}: {action} on \u201c{title}\u201d.", urls["workflow"])


class _Links:
    """A story's admin links, each reversed only if the line uses it."""

    def __init__(self, key_urls: KeyUrls, story_id: int):
        self.key_urls, self.story_id = key_urls, story_id

    def __getitem__(self, which: str) -> str:
        return self.key_urls(_URL_NAMES[which], self.story_id)


def _format_when(value) -> str:
    if not value:
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    local = timezone.localtime(moment)
    return f"{local:%d %b %Y %H:%M} {local.tzname()}"


def inbox(user, *, limit: int = LIMIT) -> list[Item]:
    """The user's inbox, newest first: each event that concerns them, read or unread.

    A scheduled story past its time shows as overdue; a source problem shows once per story of
    theirs that cites it. A fixed number of queries whatever the length.
    """
    if not user.is_authenticated:
        return []
    editor = is_editor(user)
    # A line shows the story's title and, for a scheduling, whether it is overdue.
    events = list(events_for(user).select_related("story")
                  .defer("story__body", "story__dek")[:limit])
    source_keys = {e.details.get("key") for e in events if e.action in SOURCE_ACTIONS}
    citing: dict[str, list[Story]] = {}
    if source_keys:
        for entry in (StorySource.objects.filter(story__authors=user,
                                                 source__key__in=source_keys)
                      .select_related("story", "source")):
            citing.setdefault(entry.source.key, []).append(entry.story)
    story_ids = {e.story_id for e in events if e.story_id} | {
        s.pk for stories in citing.values() for s in stories}
    marks = dict(InboxMark.objects.filter(user=user, story_id__in=story_ids)
                 .values_list("story_id", "read_through"))
    authored = set(Story.objects.filter(authors=user, pk__in=story_ids)
                   .values_list("pk", flat=True))
    items, key_urls = [], KeyUrls()
    for event in events:
        if event.action in SOURCE_ACTIONS:
            if not _is_source_problem(event):
                continue
            stories = citing.get(event.details.get("key"), [])
        else:
            # An event about no story (a sign-in, say) concerns nobody's inbox.
            stories = [event.story] if event.story_id else []
        for story in stories:
            kind, label, text, url = describe(event, story, editor=editor,
                                              author=story.pk in authored, key_urls=key_urls)
            items.append(Item(event_id=event.pk, kind=kind, label=label, at=event.at,
                              story_id=story.pk, title=story.title, text=text, url=url,
                              unread=event.pk > marks.get(story.pk, 0)))
    return items


def unread_count(request) -> int:
    """How many of the signed-in user's inbox items they have not opened (the header badge)."""
    return sum(1 for item in inbox_of_request(request) if item.unread)


def inbox_of_request(request) -> list[Item]:
    """The signed-in user's inbox, read once a request however many parts of the page show it
    (the header's badge, the dashboard's section, the inbox page)."""
    items = getattr(request, "_newsroom_inbox", None)
    if items is None:
        items = request._newsroom_inbox = inbox(request.user)
    return items


def latest_event_id() -> int:
    return Event.objects.aggregate(last=Max("id"))["last"] or 0


def messages_for(event: Event) -> list[tuple[str, str, str]]:
    """The e-mails an event sends: (address, subject, body) per user it concerns, each with a
    direct, absolute link to the story (NEWSROOM_SITE_URL)."""
    if event.action in SOURCE_ACTIONS:
        if not _is_source_problem(event):
            return []
    elif event.story_id is None:
        return []
    base = settings.NEWSROOM_SITE_URL.rstrip("/")
    site = settings.NEWSROOM_SITE_NAME
    out = []
    for user in users_for(event):
        if event.action in SOURCE_ACTIONS:
            stories = list(Story.objects.filter(
                authors=user, source_entries__source__key=event.details.get("key")))
        else:
            stories = [event.story]
        editor = is_editor(user)
        authored = set(Story.objects.filter(authors=user, pk__in=[s.pk for s in stories])
                       .values_list("pk", flat=True))
        lines, label = [], ""
        for story in stories:
            _kind, label, text, url = describe(event, story, editor=editor,
                                               author=story.pk in authored)
            lines.append(f"{text}\n\nOpen it: {base}{url}")
        if lines:
            title = stories[0].title if len(stories) == 1 else f"{len(stories)} stories"
            body = "\n\n".join(lines) + (
                f"\n\nYour inbox: {base}{reverse('admin:stories_story_inbox')}\n")
            out.append((user.email, f"[{site}] {label}: {title}", body))
    return out


def _notifies(event: Event) -> bool:
    if event.action in SOURCE_ACTIONS:
        return _is_source_problem(event)
    if event.action == "approve":
        return event.details.get("to") == State.APPROVED
    return event.story_id is not None and event.action in ("submit", "assign", *AUTHOR_EVENTS)


@receiver(post_save, sender=Event, dispatch_uid="stories.inbox.event_recorded")
def _event_recorded(sender, instance: Event, created: bool, **kwargs) -> None:
    """Every event recorded that concerns someone is e-mailed to them once it commits."""
    if created and _notifies(instance):
        queueing.on_commit(tasks.notify_event, instance.pk)
