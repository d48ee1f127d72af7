from django import template

from audit.details import readable_details

register = template.Library()


@register.filter
def event_details(details) -> list[tuple[str, str]]:
    """An event's details as (label, text) pairs (audit.details.readable_details)."""
    return readable_details(details)
