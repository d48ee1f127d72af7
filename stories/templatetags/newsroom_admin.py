"""Template tags for the newsroom's admin pages."""

from django import template

from stories.dashboard import dashboard

register = template.Library()


@register.simple_tag
def newsroom_dashboard(user):
    """The dashboard sections for `user` (see stories.dashboard)."""
    return dashboard(user)
