"""Refusals in the admin end on a page the user may see, saying why, and are audited once.

A story screen refused to someone who may not see the story is audited here as
`<action>.denied` and raised as `ActionDenied` (a `PermissionDenied`). When the request came
from another admin page (a click or a form sent from a screen the user had open, the usual way
to lose access mid-action: unassigned, taken off the authors, a role removed), the middleware
sends them to the nearest page they may still see with the reason as a message; an address
typed or guessed (no admin referer) still gets the 403 page with the reason."""

from urllib.parse import urlsplit

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse

from audit.errors import ActionDenied
from audit.services import audit_denied

from .models import Story

NOT_VISIBLE = "Only the story's authors, its reviewers and editors can open it."


def visible_story(request, story_id: int, action: str, queryset=None) -> Story:
    """The story when the user may see it; otherwise the refusal is audited and raised."""
    story = get_object_or_404(queryset if queryset is not None else Story, pk=story_id)
    if not Story.objects.visible_to(request.user).filter(pk=story.pk).exists():
        refuse(request.user, story, action)
    return story


def refuse(user, story: Story, action: str, reason: str = NOT_VISIBLE, *, record: bool = True):
    """Audit that `user` was refused `action` on `story` and raise it. Inside a transaction
    that the refusal rolls back (the admin's change form), pass record=False: the middleware
    records it once the rollback is done."""
    if record:
        audit_denied(action=action, user=user, story=story, reason=reason)
    denied = ActionDenied(action, reason, actor=user, story_id=story.pk)
    denied.unrecorded = not record
    raise denied


def nearest_page(user, story_id: int | None, refused_path: str) -> str:
    """The closest admin page to a refused one that the user may still open."""
    candidates = []
    if story_id and Story.objects.visible_to(user).filter(pk=story_id).exists():
        candidates.append(reverse("admin:stories_story_change", args=[story_id]))
    if user.is_superuser or user.has_perm("stories.view_story"):
        candidates.append(reverse("admin:stories_story_changelist"))
    candidates.append(reverse("admin:index"))
    return next(url for url in candidates if url != refused_path)


def _came_from_admin(request, admin_root: str) -> bool:
    try:
        referer = urlsplit(request.headers.get("referer", ""))
    except ValueError:  # the browser's text: "http://[" is no page of ours
        return False
    return referer.netloc == request.get_host() and referer.path.startswith(admin_root)


def _sent_signed_out(request, response) -> bool:
    """Whether the admin answered a form from someone not signed in with its sign-in page."""
    login = reverse("admin:login")
    user = getattr(request, "user", None)
    if request.headers.get("x-requested-with") == "XMLHttpRequest":
        return False  # a script's request: the page that sent it says what became of it
    return (response.status_code == 302 and request.path.startswith(reverse("admin:index"))
            and request.path != login and not (user and user.is_authenticated)
            and urlsplit(response.get("Location", "")).path == login)


def _record(request, exception, reason: str) -> None:
    """Audit a refusal nobody has recorded: the admin's own permission checks, and refusals
    raised inside a transaction they rolled back."""
    if isinstance(exception, ActionDenied) and not getattr(exception, "unrecorded", False):
        return
    if isinstance(exception, ActionDenied):
        story = Story.objects.filter(pk=exception.story_id).first()
        audit_denied(action=exception.action, user=request.user, story=story, reason=reason)
    else:
        audit_denied(action="admin_open", user=request.user,
                     reason=f"{reason} ({request.path})")


class AdminRefusalMiddleware:
    """Turn a refusal met while moving through the admin into a redirect with the reason."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.method == "POST" and _sent_signed_out(request, response):
            # Signed out in another tab (or the session expired) with a form open: the admin
            # sends the form to the sign-in page, which otherwise says nothing of the lost save.
            messages.warning(request, "You are signed out, so this was not saved. Sign in "
                                      "again to carry on; a story's text is kept in this "
                                      "browser until you do.")
        return response

    def process_exception(self, request, exception):
        if not isinstance(exception, PermissionDenied):
            return None
        admin_root = reverse("admin:index")
        user = getattr(request, "user", None)
        if (not request.path.startswith(admin_root) or user is None
                or not (user.is_authenticated and user.is_active and user.is_staff)):
            return None
        reason = str(exception) or "Your account may not open that page."
        _record(request, exception, reason)
        if not _came_from_admin(request, admin_root):
            return None  # the 403 page, with the reason
        messages.error(request, f"You can no longer open that page: {reason} "
                                "The attempt is recorded in the audit trail.")
        return redirect(nearest_page(user, getattr(exception, "story_id", None), request.path))
