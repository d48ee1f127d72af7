"""Who is who: the newsroom's role checks, shared by every app's admin, API and services."""

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
    """Reviewers (and superusers) may check claims and sign stories off."""
    return bool(user.is_authenticated and user.is_active and (
        user.is_superuser or REVIEWERS in _groups(user)
    ))


def is_editor(user) -> bool:
    """Editors (and superusers) may publish, retract and see every story."""
    return bool(user.is_authenticated and user.is_active and (
        user.is_superuser or EDITORS in _groups(user)
    ))
