"""Role changes are audited (adding a user to or removing them from a group, or deleting a
group they are in), and users the record or a byline names are kept (audit.keeping)."""

from contextlib import contextmanager
from contextvars import ContextVar

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models.signals import m2m_changed, post_save, pre_delete

from . import keeping
from .services import audit_record

# Who is making the change, when an interface (e.g. the user admin) knows; else "system".
acting_user: ContextVar = ContextVar("audit_acting_user", default=None)


@contextmanager
def acting_as(user):
    """Attribute role changes made inside the block to `user`."""
    token = acting_user.set(user)
    try:
        yield
    finally:
        acting_user.reset(token)


def _record(user, added: list[str], removed: list[str]) -> None:
    if not added and not removed:
        return
    audit_record(action="role_change", actor=acting_user.get(),
                 details={"user": user.get_username(), "added": sorted(added),
                          "removed": sorted(removed)})


def mark_fixture_load(sender, instance, raw=False, **kwargs):
    """loaddata saves a user raw, then sets its groups: that restores roles, it changes none."""
    if raw:
        instance._audit_restoring = True


def groups_changed(sender, instance, action, reverse, model, pk_set, **kwargs):
    """Record one role_change event per user whose groups changed."""
    if getattr(instance, "_audit_restoring", False):
        return
    if action == "pre_clear":
        # Remember what is about to go: post_clear no longer knows.
        if reverse:
            instance._audit_cleared = list(instance.user_set.all())
        else:
            instance._audit_cleared = list(instance.groups.values_list("name", flat=True))
        return
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    if action == "post_clear":
        cleared = getattr(instance, "_audit_cleared", [])
        if reverse:
            for user in cleared:
                _record(user, [], [instance.name])
        else:
            _record(instance, [], list(cleared))
        return
    key = "added" if action == "post_add" else "removed"
    if reverse:  # group.user_set.add(...): instance is the group
        for user in get_user_model().objects.filter(pk__in=pk_set or ()):
            _record(user, **{"added": [], "removed": [], key: [instance.name]})
    else:
        names = list(Group.objects.filter(pk__in=pk_set or ()).values_list("name", flat=True))
        _record(instance, **{"added": [], "removed": [], key: names})


def group_deleted(sender, instance, **kwargs):
    """Deleting a group takes its role from every member without a groups change signal:
    record it as one role_change per member, as removing them would."""
    for user in instance.user_set.all():
        _record(user, [], [instance.name])


def connect() -> None:
    post_save.connect(mark_fixture_load, sender=get_user_model(),
                      dispatch_uid="audit_mark_fixture_load")
    m2m_changed.connect(groups_changed, sender=get_user_model().groups.through,
                        dispatch_uid="audit_role_change")
    pre_delete.connect(group_deleted, sender=Group, dispatch_uid="audit_group_deleted")
    pre_delete.connect(keeping.refuse_deletion, sender=get_user_model(),
                       dispatch_uid="audit_keep_users")
