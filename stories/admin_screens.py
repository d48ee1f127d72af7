"""What the admin's review screens share (review, workflow, a claim's source text, comments):
the story a screen is about, checked against who may see it, and the page context around it."""

from django.urls import reverse

from .admin_refusals import visible_story
from .models import Story

TEMPLATES = "admin/stories/review/"


def screen_story(request, story_id: int, action: str) -> Story:
    """The story with its latest revision, if the user may see it (a refusal otherwise)."""
    return visible_story(request, story_id, action,
                         Story.objects.select_related("latest_revision"))


def screen_context(model_admin, request, story: Story, title: str, **extra) -> dict:
    """The admin page context of a screen about `story`, with links to its other screens."""
    return {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "original": story,
        "story": story,
        "title": title,
        "change_url": reverse("admin:stories_story_change", args=[story.pk]),
        "review_url": reverse("admin:stories_story_review", args=[story.pk]),
        "workflow_url": reverse("admin:stories_story_workflow", args=[story.pk]),
        **extra,
    }
