"""The inbox page of the admin: what needs the user, newest first, from the audit trail."""

from functools import partial

from django.contrib import messages
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from . import services
from .inbox import inbox_of_request


def inbox_urls(model_admin) -> list:
    """The inbox's admin URL (added to StoryAdmin.get_urls)."""
    wrap = model_admin.admin_site.admin_view
    return [path("inbox/", wrap(partial(inbox_view, model_admin)), name="stories_story_inbox")]


def inbox_view(model_admin, request):
    """Every item of the user's inbox; POST marks them all read."""
    if request.method == "POST":
        count = services.inbox_mark_all_read(user=request.user)
        messages.success(request, f"Marked {count} stor{'y' if count == 1 else 'ies'} read."
                         if count else "Nothing was unread.")
        return HttpResponseRedirect(reverse("admin:stories_story_inbox"))
    items = inbox_of_request(request)
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": "Inbox",
        "items": items,
        "unread": sum(1 for item in items if item.unread),
    }
    return TemplateResponse(request, "admin/stories/inbox.html", context)
