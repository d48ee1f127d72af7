"""Template tags for the newsroom's admin pages."""

from django import template

from stories.dashboard import dashboard
from stories.inbox import inbox_of_request, unread_count

register = template.Library()


@register.simple_tag
def newsroom_dashboard(user):
    """The dashboard sections for `user` (see stories.dashboard)."""
    return dashboard(user)


@register.simple_tag
def inbox_unread(request):
    """How many inbox items the request's user has not opened (the header badge)."""
    return unread_count(request)


@register.simple_tag
def inbox_items(request, limit=10):
    """The newest items of the request's user's inbox (the dashboard's section)."""
    return inbox_of_request(request)[:limit]
