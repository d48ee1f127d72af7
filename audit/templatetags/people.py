"""`{{ user|display_name }}`: a person as every page and audit event names them."""

from django import template

from audit.services import display_name as _display_name

register = template.Library()


@register.filter
def display_name(user) -> str:
    """The full name, else the username (audit.services.display_name)."""
    return _display_name(user)
