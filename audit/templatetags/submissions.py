"""`{% submission_token %}`: the hidden field that makes a creating form's repeat harmless."""

import uuid

from django import template
from django.utils.html import format_html

from audit.submissions import FIELD

register = template.Library()


@register.simple_tag
def submission_token():
    """A fresh token each time the form is rendered (audit.submissions)."""
    return format_html('<input type="hidden" name="{}" value="{}">', FIELD, uuid.uuid4())
