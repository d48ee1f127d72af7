"""Who may do what to a story (the role checks themselves are audit.roles, re-exported)."""

from django.db.models import Q

from audit.roles import EDITORS, REVIEWERS, WRITERS, is_editor, is_reviewer, is_writer

from .models import Story

__all__ = ["EDITORS", "REVIEWERS", "WRITERS", "events_visible_to", "is_author", "is_editor",
           "is_reviewer", "is_writer"]


def is_author(user, story) -> bool:
    if not user.is_authenticated or story.pk is None:
        return False
    return story.authors.filter(pk=user.pk).exists()


def events_visible_to(user, events):
    """Audit events a user may read, as one filtered QuerySet (no per-row checks).

    An event about a story is visible to whoever may see that story (`Story.objects.visible_to`:
    editors and superusers see every story, so every event). Source library events (actions
    `source_*`, refusals included) and figure events (`image_*`) have no story and are visible
    to all newsroom staff, since the library and the figures are shared. Every other event
    without a story (role changes, user deactivations, logins and lockouts, refusals outside
    any story) is visible to editors and superusers only.
    Anyone else (anonymous, inactive, staff without a newsroom role) sees nothing.
    """
    if not is_writer(user):
        return events.none()
    if is_editor(user):
        return events
    return events.filter(
        Q(story__in=Story.objects.visible_to(user).values("pk"))
        | Q(story__isnull=True, action__startswith="source_")
        | Q(story__isnull=True, action__startswith="image_")
    )


def story_reviewer_q(user, prefix: str = "") -> Q:
    """Stories the user reviewed or was assigned to review (`prefix` reaches the story)."""
    return Q(**{f"{prefix}reviews__reviewer": user}) | Q(**{f"{prefix}assignments__reviewer": user})


def can_handle_reports(user, story) -> bool:
    """Readers' error reports on a story are for editors and the story's own reviewers."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser or is_editor(user):
        return True
    return is_reviewer(user) and Story.objects.filter(
        story_reviewer_q(user), pk=story.pk).exists()


def reports_visible_to(user, reports):
    """The error reports a user may read and act on, as one filtered QuerySet."""
    if not user.is_authenticated or not user.is_active:
        return reports.none()
    if user.is_superuser or is_editor(user):
        return reports
    if not is_reviewer(user):
        return reports.none()
    return reports.filter(story_reviewer_q(user, "story__")).distinct()
