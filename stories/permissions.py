"""Who is who: role checks shared by the admin, the API and the workflow."""

from django.db.models import Q

WRITERS, REVIEWERS, EDITORS = "Writers", "Reviewers", "Editors"


def _groups(user) -> set[str]:
    # Cached on the user object: permission checks run many times per request.
    cached = getattr(user, "_newsroom_groups", None)
    if cached is None:
        cached = set(user.groups.values_list("name", flat=True)) if user.pk else set()
        user._newsroom_groups = cached
    return cached


def is_writer(user) -> bool:
    """Writers, reviewers and editors may draft stories and use the source library."""
    return bool(user.is_authenticated and user.is_active and (
        user.is_superuser or _groups(user) & {WRITERS, REVIEWERS, EDITORS}
    ))


def is_reviewer(user) -> bool:
    return bool(user.is_authenticated and user.is_active and (
        user.is_superuser or REVIEWERS in _groups(user)
    ))


def is_editor(user) -> bool:
    return bool(user.is_authenticated and user.is_active and (
        user.is_superuser or EDITORS in _groups(user)
    ))


def is_author(user, story) -> bool:
    if not user.is_authenticated or story.pk is None:
        return False
    return story.authors.filter(pk=user.pk).exists()


def events_visible_to(user, events):
    """Audit events a user may read, as one filtered QuerySet (no per-row checks).

    An event about a story is visible to whoever may see that story (`Story.objects.visible_to`:
    editors and superusers see every story, so every event). Source library events (actions
    `source_*`, refusals included) have no story and are visible to all newsroom staff, since
    the library is shared. Every other event without a story (role changes, user deactivations,
    logins and lockouts, refusals outside any story) is visible to editors and superusers only.
    Anyone else (anonymous, inactive, staff without a newsroom role) sees nothing.
    """
    # Imported here so that stories.models can import these role checks at any level.
    from .models import Story

    if not is_writer(user):
        return events.none()
    if is_editor(user):
        return events
    return events.filter(
        Q(story__in=Story.objects.visible_to(user).values("pk"))
        | Q(story__isnull=True, action__startswith="source_")
    )
