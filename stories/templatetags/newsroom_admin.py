"""Template tags for the newsroom's admin pages."""

from django import template

from stories.dashboard import dashboard
from stories.inbox import inbox, unread_count

register = template.Library()


@register.simple_tag
def newsroom_dashboard(user):
    """The dashboard sections for `user` (see stories.dashboard)."""
    return dashboard(user)


@register.simple_tag
def inbox_unread(user):
    """How many inbox items `user` has not opened (the header badge)."""
    return unread_count(user)


@register.simple_tag
def inbox_items(user, limit=10):
    """The newest items of `user`'s inbox (the dashboard's section)."""
    return inbox(user, limit=limit)
