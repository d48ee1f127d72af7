"""Why a user must be kept: deactivated, never deleted.

The audit trail names its actors (``Event.actor`` protects them), and the apps above audit name
people on what readers see (stories: bylines). Deleting such a user would leave the record
pointing at nobody or change a byline without anyone deciding to, so a delete is refused
wherever it comes from (the user admin, a bulk action, code) and the admin offers deactivation
instead. Apps above audit add their reasons by registering a keeper when they load
(``stories.apps.StoriesConfig.ready``), as the source library learns who cites a source
(``sources.citing``): audit never imports them.

A keeper takes a queryset of users and answers ``{user pk: reason}`` for those it keeps, the
reason a sentence an administrator reads ("They are on the byline of 2 stories.").
"""

from collections.abc import Callable

from django.db.models import Count, ProtectedError, QuerySet

Keeper = Callable[[QuerySet], dict[int, str]]


def _in_audit_trail(users: QuerySet) -> dict[int, str]:
    named = (users.annotate(events=Count("audit_events")).filter(events__gt=0)
             .values_list("pk", "events"))
    return {pk: f"They are named in {events} audit event{'s' if events != 1 else ''}, which "
                "must keep pointing at them." for pk, events in named}


_keepers: list[Keeper] = [_in_audit_trail]


def register(keeper: Keeper) -> None:
    """Add an app's reason to keep users (called once, from its AppConfig.ready)."""
    if keeper not in _keepers:
        _keepers.append(keeper)


def reasons(users: QuerySet) -> dict[int, list[str]]:
    """Every reason each of these users must be kept, by pk (users with none are left out)."""
    found: dict[int, list[str]] = {}
    for keeper in _keepers:
        for pk, reason in keeper(users).items():
            found.setdefault(pk, []).append(reason)
    return found


def reasons_for(user) -> list[str]:
    """Every reason this one user must be kept (empty when they may be deleted)."""
    return reasons(type(user)._default_manager.filter(pk=user.pk)).get(user.pk, [])


def refuse_deletion(sender, instance, **kwargs) -> None:
    """pre_delete of a user: refuse if anything keeps them (whatever path deletes them)."""
    kept = reasons_for(instance)
    if kept:
        raise ProtectedError(f"{instance.get_username()} cannot be deleted: {' '.join(kept)} "
                             "Deactivate them instead.", {instance})
