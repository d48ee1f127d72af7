"""Comment threads in the admin: one POST address for starting, replying and resolving, used
from the review screen and the story form; the user is sent back where they came from."""

from functools import partial

from django.contrib import messages
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme

from audit.errors import Conflict, InvalidInput
from audit.forms import is_row_id

from . import services
from .admin_screens import screen_story
from .permissions import is_editor, is_reviewer
from .review_selectors import comment_threads

DRAFT_KEY = "newsroom-comment-draft"


def comment_urls(model_admin) -> list:
    """The comment address (added to StoryAdmin.get_urls)."""
    wrap = model_admin.admin_site.admin_view
    return [path("<int:story_id>/comments/", wrap(partial(comments_view, model_admin)),
                 name="stories_story_comments")]


def _back(request, story_id: int, anchor: str = "") -> HttpResponseRedirect:
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        target = reverse("admin:stories_story_review", args=[story_id])
    return HttpResponseRedirect(target.split("#")[0] + anchor)


def _row_id(value: str | None) -> int | None:
    """A posted thread id; None when none was sent or it is no row's id (audit.forms.is_row_id:
    "abc", another script's digits), which names no thread of the story."""
    return int(value) if value and is_row_id(value) else None


def _claim_id(value: str | None) -> int | None:
    """The posted claim's id (None: a comment on a passage); a value that is no claim's id is
    refused saying what was given."""
    if value in (None, ""):
        return None
    if not is_row_id(value):
        raise InvalidInput({"claim": [f"“{value[:40]}” is not a claim id: choose one of the "
                                      "revision's claims, or select words of the text."]})
    return int(value)


def comments_view(model_admin, request, story_id: int):
    """Start, reply to or resolve a comment; on a refusal the reason is shown on the page the
    user came from and what they typed is put back in the form."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    story = screen_story(request, story_id, "comment_add")
    op = request.POST.get("op", "")
    text = request.POST.get("text", "")
    thread_id = _row_id(request.POST.get("thread"))
    if op in ("reply", "resolve") and not story.comment_threads.filter(pk=thread_id).exists():
        raise Http404("No such comment on this story.")
    try:
        if op == "start":
            thread = services.comment_start(
                story_id=story.pk, user=request.user, text=text,
                revision=request.POST.get("revision", ""),
                claim_id=_claim_id(request.POST.get("claim")), quote=request.POST.get("quote", ""),
                submission=request.POST.get("submission"))
            messages.success(request, "Comment added.")
            return _back(request, story.pk, f"#comment-{thread.pk}")
        if op == "reply":
            services.comment_reply(thread_id=thread_id, user=request.user, text=text,
                                   submission=request.POST.get("submission"))
            messages.success(request, "Reply added.")
            return _back(request, story.pk, f"#comment-{thread_id}")
        if op == "resolve":
            services.comment_resolve(thread_id=thread_id, user=request.user)
            messages.success(request, "Comment resolved.")
            return _back(request, story.pk, f"#comment-{thread_id}")
    except services.ActionDenied as exc:
        reason = exc.reason
    except services.InvalidInput as exc:
        reason = " ".join(m for ms in exc.message_dict.values() for m in ms)
    except Conflict as exc:  # stale revision, resolved thread
        reason = str(exc)
    else:
        raise Http404("Unknown comment action.")
    messages.error(request, reason)
    request.session[DRAFT_KEY] = {"op": op, "thread": thread_id, "text": text,
                                  "quote": request.POST.get("quote", ""),
                                  "claim": request.POST.get("claim", "")}
    anchor = f"#comment-{thread_id}" if op in ("reply", "resolve") else "#comments"
    return _back(request, story.pk, anchor)


def comments_context(request, story, *, revision=None) -> dict:
    """What the comments panel needs on the review screen and the story form."""
    revision = revision or story.latest_revision
    draft = request.session.pop(DRAFT_KEY, None) or {}
    user = request.user
    return {
        "comment_threads": comment_threads(story, revision),
        "comment_revision": revision,
        "comment_claims": revision.ordered_claims if revision else [],
        "comments_url": reverse("admin:stories_story_comments", args=[story.pk]),
        "comment_next": request.get_full_path(),
        "can_start_comment": revision is not None and (is_reviewer(user) or is_editor(user)),
        "comment_draft": draft,
        "claim_link_base": reverse("admin:stories_story_review", args=[story.pk]),
        "line_link_base": reverse("admin:stories_story_change", args=[story.pk]),
    }
