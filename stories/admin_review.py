"""The reviewer's screen and the workflow page, mounted under the story admin.

Both are interfaces: every write calls stories.services, and each domain error is mapped
once here (ActionDenied -> 403 page, IllegalTransition -> error message, InvalidInput ->
form errors with the input kept).
"""

from functools import partial

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone

from audit.services import display_name

from . import services
from .models import Correction, Decision, PreviewLink, Revision, Story, Verdict
from .permissions import REVIEWERS, is_author, is_editor
from .review import Action, IllegalTransition, next_state
from .review_selectors import review_screen, url_or_empty, workflow_page

TEMPLATES = "admin/stories/review/"


def review_urls(model_admin) -> list:
    """Extra admin URLs for reviewing a story (added to StoryAdmin.get_urls)."""
    wrap = model_admin.admin_site.admin_view
    return [
        path("<int:story_id>/review/", wrap(partial(review_view, model_admin)),
             name="stories_story_review"),
        path("<int:story_id>/workflow/", wrap(partial(workflow_view, model_admin)),
             name="stories_story_workflow"),
    ]


def _visible_story(request, story_id: int, action: str) -> Story:
    story = get_object_or_404(Story.objects.select_related("latest_revision"), pk=story_id)
    if not Story.objects.visible_to(request.user).filter(pk=story.pk).exists():
        reason = "Only the story's authors, its reviewers and editors can open it."
        services.audit_denied(action=action, user=request.user, story=story, reason=reason)
        raise PermissionDenied(reason)
    return story


def _context(model_admin, request, story: Story, title: str, **extra) -> dict:
    return {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "original": story,
        "story": story,
        "title": title,
        "change_url": url_or_empty("admin:stories_story_change", story.pk),
        "review_url": url_or_empty("admin:stories_story_review", story.pk),
        "workflow_url": url_or_empty("admin:stories_story_workflow", story.pk),
        **extra,
    }


def _denied(model_admin, request, story: Story, exc: services.ActionDenied):
    context = _context(model_admin, request, story, "Not allowed", reason=exc.reason)
    return TemplateResponse(request, TEMPLATES + "denied.html", context, status=403)


def _add_errors(form: forms.Form, exc: services.InvalidInput) -> None:
    for name, errors in exc.message_dict.items():
        form.add_error(name if name in form.fields else None, errors)


# --- the reviewer's screen -----------------------------------------------------------------


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=Decision.choices, widget=forms.RadioSelect)
    comment = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 4}),
                              help_text="Required when you request changes.")
    accept_carried = forms.BooleanField(
        required=False, label="Accept all unchanged checks",
        help_text="Marks every claim that was checked supported before and has not changed "
        "as supported, unless you chose a verdict for it below.",
    )
    revision = forms.CharField(widget=forms.HiddenInput)


def _checks_from_post(screen, data, accept_carried: bool) -> list[services.CheckInput]:
    """The reviewer's verdicts, keeping what they typed on each row for a re-render."""
    checks = []
    for row in screen.claims:
        ordinal = row.claim.ordinal
        verdict = data.get(f"verdict-{ordinal}", "").strip()
        note = data.get(f"note-{ordinal}", "").strip()
        carried_from = None
        if row.carried is not None and accept_carried and verdict in ("", Verdict.SUPPORTED):
            verdict, carried_from = Verdict.SUPPORTED, row.carried.pk
        row.form_verdict, row.form_note = verdict, note
        if verdict:
            checks.append(services.CheckInput(claim=ordinal, verdict=verdict, note=note,
                                              carried_from=carried_from))
    return checks


def review_view(model_admin, request, story_id: int):
    """Check each claim of the latest revision against its sources and record a review."""
    story = _visible_story(request, story_id, "review")
    if story.latest_revision is None:
        raise Http404("This story has no revision yet.")
    screen = review_screen(story=story, user=request.user)
    form = DecisionForm(initial={"revision": story.latest_revision.content_hash})
    if request.method == "POST":
        form = DecisionForm(request.POST)
        checks = _checks_from_post(screen, request.POST,
                                   request.POST.get("accept_carried") in ("on", "true", "1"))
        if form.is_valid():
            if form.cleaned_data["revision"] != story.latest_revision.content_hash:
                form.add_error(None, "The story changed since you opened this screen; "
                               "your verdicts were not saved. Reload to review the new text.")
            else:
                try:
                    services.review_submit(
                        story_id=story.pk, reviewer=request.user,
                        decision=form.cleaned_data["decision"],
                        comment=form.cleaned_data["comment"], checks=checks,
                        base_revision=form.cleaned_data["revision"],
                    )
                except services.StaleRevision as exc:
                    form.add_error(None, f"{exc} Your verdicts were not saved.")
                except services.ActionDenied as exc:
                    return _denied(model_admin, request, story, exc)
                except IllegalTransition as exc:
                    messages.error(request, str(exc))
                except services.InvalidInput as exc:
                    _add_errors(form, exc)
                else:
                    story.refresh_from_db()
                    decision = Decision(form.cleaned_data["decision"]).label.lower()
                    state = story.get_state_display().lower()
                    messages.success(request, f"Your review is recorded ({decision}). "
                                     f"The story is {state}.")
                    return HttpResponseRedirect(request.path)
    context = _context(
        model_admin, request, story, f"Review: {story.title}", screen=screen, form=form,
        verdicts=Verdict.choices,
    )
    return TemplateResponse(request, TEMPLATES + "review.html", context)


# --- the workflow page ----------------------------------------------------------------------


def _reviewers_for(story: Story):
    users = get_user_model().objects.filter(is_active=True).filter(
        Q(groups__name=REVIEWERS) | Q(is_superuser=True)
    ).exclude(stories=story).distinct()
    return users.order_by("first_name", "last_name", "username")


class ReviewerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return display_name(obj)


def _datetime_widget():
    return forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class AssignForm(forms.Form):
    reviewer = ReviewerChoiceField(queryset=get_user_model().objects.none())
    due_at = forms.DateTimeField(required=False, widget=_datetime_widget(), label="Due")

    def __init__(self, *args, story: Story, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reviewer"].queryset = _reviewers_for(story)


class PublishForm(forms.Form):
    publish_at = forms.DateTimeField(
        required=False, widget=_datetime_widget(), label="Publish at",
        help_text="Leave empty to publish now; a future time schedules it.",
    )
    note = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Needed when the story is already public: readers see it with its date.",
    )
    note_kind = forms.ChoiceField(choices=Correction.Kind.choices, initial="correction",
                                  label="Kind of note")


class RetractForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}),
                             help_text="Shown to readers on the story page.")


class PreviewForm(forms.Form):
    revision = forms.ModelChoiceField(queryset=Revision.objects.none(), empty_label=None)
    expires_at = forms.DateTimeField(widget=_datetime_widget(), label="Expires")
    label = forms.CharField(required=False, max_length=200,
                            help_text="Who it is for, e.g. the outside legal reader.")

    def __init__(self, *args, story: Story, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["revision"].queryset = story.revisions.order_by("-number")
        self.fields["revision"].label_from_instance = lambda r: f"Revision {r.number}"
        if story.latest_revision_id:
            self.fields["revision"].initial = story.latest_revision_id


class RevokeForm(forms.Form):
    link = forms.IntegerField(widget=forms.HiddenInput)


class EmptyForm(forms.Form):
    pass


def _allowed(state: str, action: Action, live: bool = False) -> bool:
    """Whether the pure transition table offers this action from this state (for buttons)."""
    try:
        next_state(state, action, live=live)
    except IllegalTransition:
        return False
    return True


def preview_url(request, link: PreviewLink) -> str:
    """The absolute address outside readers open for a preview link."""
    relative = url_or_empty("story-preview", link.token) or f"/preview/{link.token}/"
    return request.build_absolute_uri(relative)


def _workflow_forms(story: Story, data=None, op: str = "") -> dict:
    def bound(name):
        return data if op == name else None

    return {
        "assign": AssignForm(bound("assign"), story=story, prefix="assign"),
        "publish": PublishForm(bound("publish"), prefix="publish"),
        "retract": RetractForm(bound("retract"), prefix="retract"),
        "preview": PreviewForm(bound("preview"), story=story, prefix="preview"),
        "revoke": RevokeForm(bound("revoke"), prefix="revoke"),
        "submit": EmptyForm(bound("submit")),
        "withdraw": EmptyForm(bound("withdraw")),
    }


def _perform(op: str, form: forms.Form, story: Story, user) -> str:
    """Call the one service behind a workflow button; returns the success message."""
    data = form.cleaned_data
    if op == "assign":
        services.story_assign(story_id=story.pk, user=user, reviewer=data["reviewer"],
                              due_at=data["due_at"])
        return f"{display_name(data['reviewer'])} is asked to review this story."
    if op == "publish":
        result = services.story_publish(story_id=story.pk, user=user,
                                        publish_at=data["publish_at"], note=data["note"],
                                        note_kind=data["note_kind"])
        if result.state == "scheduled":
            when = timezone.localtime(result.publish_at).strftime("%d %b %Y %H:%M")
            return f"Scheduled for {when}."
        return "Published."
    if op == "retract":
        services.story_retract(story_id=story.pk, user=user, reason=data["reason"])
        return "Retracted; the page now shows the notice."
    if op == "preview":
        if data["revision"].story_id != story.pk:
            raise Http404("No such revision.")
        link = services.preview_link_create(revision_id=data["revision"].pk, user=user,
                                            expires_at=data["expires_at"], label=data["label"])
        return f"Preview link created for revision {link.revision.number}."
    if op == "revoke":
        link = get_object_or_404(PreviewLink, pk=data["link"], revision__story=story)
        services.preview_link_revoke(link_id=link.pk, user=user)
        return "Preview link revoked; it no longer opens."
    if op == "submit":
        services.story_submit(story_id=story.pk, user=user)
        return "Submitted for review."
    if op == "withdraw":
        services.story_withdraw(story_id=story.pk, user=user)
        return "Withdrawn to draft."
    raise Http404("Unknown action.")


def workflow_view(model_admin, request, story_id: int):
    """State, revisions, reviews, assignments, preview links and timeline, with the buttons."""
    story = _visible_story(request, story_id, "workflow")
    op = request.POST.get("op", "") if request.method == "POST" else ""
    forms_by_op = _workflow_forms(story, request.POST if op else None, op)
    if op:
        form = forms_by_op.get(op)
        if form is None:
            raise Http404("Unknown action.")
        if form.is_valid():
            try:
                message = _perform(op, form, story, request.user)
            except services.ActionDenied as exc:
                return _denied(model_admin, request, story, exc)
            except IllegalTransition as exc:
                messages.error(request, str(exc))
                return HttpResponseRedirect(request.path)
            except services.InvalidInput as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, message)
                return HttpResponseRedirect(request.path)
    page = workflow_page(story_id=story.pk)
    story = page.story
    user = request.user
    live = story.live_revision_id is not None
    editor = is_editor(user)
    author = is_author(user, story)
    context = _context(
        model_admin, request, story, f"Workflow: {story.title}", page=page, forms=forms_by_op,
        errors_for=op,
        can={
            "assign": editor,
            "publish": editor and (_allowed(story.state, Action.PUBLISH)
                                   or _allowed(story.state, Action.SCHEDULE)),
            "retract": editor and _allowed(story.state, Action.RETRACT, live=live),
            "preview": editor,
            "submit": author and _allowed(story.state, Action.SUBMIT),
            "withdraw": author and _allowed(story.state, Action.WITHDRAW),
        },
        needs_note=live,
        links=[(link, preview_url(request, link)) for link in page.preview_links],
    )
    return TemplateResponse(request, TEMPLATES + "workflow.html", context)

