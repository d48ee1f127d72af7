"""The reviewer's screen and the workflow page, mounted under the story admin.

Both are interfaces: every write calls stories.services, and each domain error is mapped
once here (ActionDenied -> 403 page, IllegalTransition -> error message, InvalidInput ->
form errors with the input kept).
"""

import html
from functools import partial

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.defaultfilters import date as date_filter
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from audit.errors import Conflict
from audit.forms import DateTimeTextField
from audit.services import display_name

from . import reader_selectors, services
from .admin_comments import comments_context
from .admin_evidence import in_place_html
from .admin_screens import TEMPLATES, screen_context, screen_story
from .models import Correction, Decision, PreviewLink, Revision, Story, Verdict
from .permissions import REVIEWERS, is_author, is_editor
from .review import Action, IllegalTransition, next_state
from .review_selectors import (
    review_screen,
    revision_warnings,
    workflow_page,
)


def review_urls(model_admin) -> list:
    """Extra admin URLs for reviewing a story (added to StoryAdmin.get_urls)."""
    wrap = model_admin.admin_site.admin_view
    return [
        path("<int:story_id>/review/", wrap(partial(review_view, model_admin)),
             name="stories_story_review"),
        path("<int:story_id>/workflow/", wrap(partial(workflow_view, model_admin)),
             name="stories_story_workflow"),
    ]


def _denied(request, exc: services.ActionDenied) -> int:
    """Say why on the page the user is on (re-rendered with what they typed); its status."""
    messages.error(request, f"{exc.reason} The attempt is recorded in the audit trail.")
    return 403


def _add_errors(form: forms.Form, exc: services.InvalidInput) -> None:
    for name, errors in exc.message_dict.items():
        # Errors of hidden fields (the revision read) show with the form's own errors.
        visible = name in form.fields and not form.fields[name].widget.is_hidden
        form.add_error(name if visible else None, errors)


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
        # Notes are multi-line (browsers send CRLF): only the ends are trimmed, never the length.
        note = data.get(f"note-{ordinal}", "").replace("\r\n", "\n").strip()
        carried_from = None
        if row.carried is not None and accept_carried and verdict in ("", Verdict.SUPPORTED):
            verdict, carried_from = Verdict.SUPPORTED, row.carried.pk
        row.form_verdict, row.form_note = verdict, note
        if verdict:
            checks.append(services.CheckInput(claim=ordinal, verdict=verdict, note=note,
                                              carried_from=carried_from))
    return checks


def _e(value) -> str:
    # html.escape is what django.utils.html.escape calls, minus the lazy-string wrapper that
    # made it the screen's hot spot (100,000 calls on a 2,000-claim story).
    return html.escape(str(value))


def _source_html(s) -> str:
    """One source line (as admin/stories/review/source.html), escaped here."""
    number = f'<span class="source-number">[{_e(s.number or "?")}]</span>'
    if s.source is None:
        return (f'{number}\n  <code>{_e(s.key)}</code> '
                f'<span class="health health-missing">{_e(s.health_label)}</span>')
    source = s.source
    title = (f'<a href="{_e(source.url)}" rel="noopener noreferrer" target="_blank">'
             f'{_e(source.title)}</a>' if source.url else _e(source.title))
    outlet = f", {_e(source.outlet)}" if source.outlet else ""
    locator = f'<span class="locator">({_e(s.locator)})</span>' if s.locator else ""
    if s.snapshot_id:
        when = _e(date_filter(s.snapshot_at, "j M Y"))
        snapshot = (f'<a class="snapshot" href="{_e(s.snapshot_url)}">snapshot {when}</a>'
                    if s.snapshot_url else f'<span class="snapshot">snapshot {when}</span>')
    else:
        snapshot = '<span class="snapshot none">no snapshot</span>'
    outdated = (f'\n  <span class="source-outdated">library copy changed since this revision: '
                f'{_e(", ".join(s.outdated))}</span>' if s.outdated else "")
    return (f'{number}\n  {title}{outlet}\n  {locator}\n  '
            f'<span class="health health-{_e(s.health)}">{_e(s.health_label)}</span>\n  '
            f'{snapshot}{outdated}')


class _RowBuilder:
    """Builds the claim rows; a source line is built once per (source, locator)."""

    def __init__(self, *, can_review: bool, verdicts, story_id: int = 0):
        self.can_review, self.story_id = can_review, story_id
        self.verdicts = [(_e(value), value, _e(label)) for value, label in verdicts]
        self.lines: dict = {}

    def source(self, s) -> str:
        key = (s.number, s.key, s.locator)
        line = self.lines.get(key)
        if line is None:
            line = self.lines[key] = _source_html(s)
        return line

    def row(self, row) -> str:
        n = _e(row.claim.ordinal)
        state = _e(row.state)
        new = ' <span class="badge new-claim">New or changed</span>' if row.new else ""
        parts = [
            f'<li class="claim-row claim-row-{state}" id="check-{n}">\n<p class="claim-head">'
            f'<a href="#claim-{n}">Claim {n}</a> <span class="state-badge claim-state '
            f'state-{state}">{_e(row.state_label)}</span>{new}</p>\n'
            f'<blockquote class="claim-text">{_e(row.claim.text)}</blockquote>\n'
        ]
        check = row.latest_check
        if check:
            note = f": “{_e(check.note)}”" if check.note else ""
            parts.append(f'<p class="last-check">Last check on this revision: '
                         f'{_e(check.get_verdict_display())} by {_e(display_name(check.reviewer))}'
                         f'{note}</p>\n')
        carried = row.carried
        if carried:
            note = f": “{_e(carried.note)}”" if carried.note else ""
            who = _e(display_name(carried.reviewer))
            parts.append(f'<p class="carried">Checked supported by {who}'
                         f' on {_e(date_filter(carried.created_at, "j M Y"))} (revision '
                         f'{_e(carried.claim.revision.number)}){note}</p>\n')
        sources = "".join(f"<li>{self.source(s)}</li>" for s in row.sources)
        parts.append(f'<ul class="claim-sources">{sources or "<li>No sources cited.</li>"}</ul>\n')
        if row.evidence:
            hints = "".join(
                f'<li class="evidence-{_e(h["status"])}">Source {_e(h["source"])}: '
                f'{_e(h["label"])}{" — “" + _e(h["excerpt"]) + "”" if h.get("excerpt") else ""}'
                f"</li>" for h in row.evidence)
            parts.append(f'<ul class="evidence">{hints}</ul>\n')
        parts.append(in_place_html(self.story_id, row.claim.ordinal, row.sources))
        if self.can_review:
            options = "".join(
                f'<option value="{value}"{" selected" if row.form_verdict == raw else ""}>'
                f"{label}</option>" for value, raw, label in self.verdicts)
            parts.append(
                f'<p class="verdict">\n<label for="verdict-{n}">Verdict</label>\n'
                f'<select name="verdict-{n}" id="verdict-{n}">\n'
                f'<option value="">— not checked —</option>{options}</select>\n'
                f'<label for="note-{n}">Note</label>\n<textarea name="note-{n}" '
                f'id="note-{n}" rows="2">{_e(row.form_note)}</textarea>\n</p>\n')
        parts.append("</li>\n")
        return "".join(parts)


def claim_rows_html(screen, *, verdicts) -> SafeString:
    """Every claim's row of the review form, built in Python with every value escaped: a long
    story has thousands, and a template include per claim (with localised numbers) cost most
    of the screen's time."""
    build = _RowBuilder(can_review=screen.can_review, verdicts=verdicts,
                        story_id=screen.story.pk)
    return mark_safe("".join(build.row(row) for row in screen.claims))  # noqa: S308  # nosec B308 B703 - every value escaped above


def sources_html(screen) -> SafeString:
    """The numbered source list beside the text, built like the claim rows."""
    return mark_safe("\n".join(  # noqa: S308  # nosec B308 B703 - every value escaped above
        f'<li id="source-{_e(s.number)}">{_source_html(s)}</li>' for s in screen.sources))


def review_view(model_admin, request, story_id: int):
    """Check each claim of the latest revision against its sources and record a review."""
    story = screen_story(request, story_id, "review")
    if story.latest_revision is None:
        raise Http404("This story has no revision yet.")
    screen = review_screen(story=story, user=request.user)
    services.inbox_mark_read(user=request.user, story_id=story.pk)
    status = 200
    form = DecisionForm(initial={"revision": story.latest_revision.content_hash})
    if request.method == "POST":
        form = DecisionForm(request.POST)
        checks = _checks_from_post(screen, request.POST,
                                   request.POST.get("accept_carried") in ("on", "true", "1"))
        if form.is_valid():
            # The service refuses (and audits) a review of any revision but the one read.
            try:
                services.review_submit(
                    story_id=story.pk, reviewer=request.user,
                    decision=form.cleaned_data["decision"],
                    comment=form.cleaned_data["comment"], checks=checks,
                    base_revision=form.cleaned_data["revision"],
                    submission=request.POST.get("submission"),
                )
            except services.StaleRevision:
                form.add_error(None, "The story changed since you opened this screen; your "
                               "verdicts were not saved. Reload to review the new text.")
            except services.ActionDenied as exc:
                status = _denied(request, exc)
            except (IllegalTransition, services.RevisionAltered,
                    services.AlreadyApproved) as exc:
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
    context = screen_context(
        model_admin, request, story, f"Review: {story.title}", screen=screen, form=form,
        warnings=revision_warnings(story.latest_revision),
        claim_rows=claim_rows_html(screen, verdicts=Verdict.choices),
        source_rows=sources_html(screen),
        **comments_context(request, story),
    )
    return TemplateResponse(request, TEMPLATES + "review.html", context, status=status)


# --- the workflow page ----------------------------------------------------------------------


def _reviewers_for(story: Story):
    users = get_user_model().objects.filter(is_active=True).filter(
        Q(groups__name=REVIEWERS) | Q(is_superuser=True)
    ).exclude(stories=story).distinct()
    return users.order_by("first_name", "last_name", "username")


class ReviewerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return display_name(obj)


class AssignForm(forms.Form):
    reviewer = ReviewerChoiceField(queryset=get_user_model().objects.none())
    due_at = DateTimeTextField(required=False, label="Due")

    def __init__(self, *args, story: Story, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reviewer"].queryset = _reviewers_for(story)


class PublishForm(forms.Form):
    # The approved revision the editor is looking at: publishing anything else is refused.
    revision = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)
    publish_at = DateTimeTextField(
        required=False, label="Publish at",
        help_text="Leave empty to publish now; a future time schedules it (a time already "
        "past publishes now, and the message says so).",
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
    expires_at = DateTimeTextField(label="Expires")
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
    return request.build_absolute_uri(reverse("preview", args=[link.token]))


def _workflow_forms(story: Story, data=None, op: str = "") -> dict:
    def bound(name):
        return data if op == name else None

    return {
        "assign": AssignForm(bound("assign"), story=story, prefix="assign"),
        "publish": PublishForm(bound("publish"), prefix="publish", initial={
            "revision": story.approved_revision.content_hash if story.approved_revision_id
            else "",
            # A correction opened from readers' reports starts from the claims they reported.
            "note": reader_selectors.correction_note_draft(story) if story.live_revision_id
            else ""}),
        "retract": RetractForm(bound("retract"), prefix="retract"),
        "preview": PreviewForm(bound("preview"), story=story, prefix="preview"),
        "revoke": RevokeForm(bound("revoke"), prefix="revoke"),
        "submit": EmptyForm(bound("submit")),
        "withdraw": EmptyForm(bound("withdraw")),
    }


def _perform(op: str, form: forms.Form, story: Story, user, *,
             submission: str | None = None) -> str:
    """Call the one service behind a workflow button; returns the success message."""
    data = form.cleaned_data
    if op == "assign":
        services.story_assign(story_id=story.pk, user=user, reviewer=data["reviewer"],
                              due_at=data["due_at"])
        return f"{display_name(data['reviewer'])} is asked to review this story."
    if op == "publish":
        result = services.story_publish(story_id=story.pk, user=user, revision=data["revision"],
                                        publish_at=data["publish_at"], note=data["note"],
                                        note_kind=data["note_kind"])
        if result.state == "scheduled":
            when = timezone.localtime(result.publish_at).strftime("%d %b %Y %H:%M %Z")
            return f"Scheduled for {when}."
        if data["publish_at"]:
            asked = timezone.localtime(data["publish_at"]).strftime("%d %b %Y %H:%M %Z")
            now = timezone.localtime(result.live_updated_at).strftime("%d %b %Y %H:%M %Z")
            return (f"The time given, {asked}, had already passed, so the story was published "
                    f"now, at {now}.")
        return "Published."
    if op == "retract":
        services.story_retract(story_id=story.pk, user=user, reason=data["reason"])
        return "Retracted; the page now shows the notice."
    if op == "preview":
        if data["revision"].story_id != story.pk:
            raise Http404("No such revision.")
        link = services.preview_link_create(revision_id=data["revision"].pk, user=user,
                                            expires_at=data["expires_at"], label=data["label"],
                                            submission=submission)
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


def _submit_refusal(story: Story, exc: services.InvalidInput) -> SafeString:
    """Why a submit was refused: each citation error with a link to its line in the editor."""
    problems = getattr(exc, "problems", [])
    if not problems:
        return format_html("{}", " ".join(m for ms in exc.message_dict.values() for m in ms))
    change = reverse("admin:stories_story_change", args=[story.pk])
    # Each message already names its line and column; the link goes there.
    items = format_html_join(
        "", '<li><a href="{}?line={}#id_body">{}</a></li>',
        ((change, p.get("line") or 1, p["message"]) for p in problems),
    )
    count = len(problems)
    return format_html("Not submitted: fix the {} citation error{} first.<ul>{}</ul>", count,
                       "" if count == 1 else "s", items)


def workflow_view(model_admin, request, story_id: int):
    """State, revisions, reviews, assignments, preview links and timeline, with the buttons."""
    story = screen_story(request, story_id, "workflow")
    op = request.POST.get("op", "") if request.method == "POST" else ""
    forms_by_op = _workflow_forms(story, request.POST if op else None, op)
    status = 200
    if op:
        form = forms_by_op.get(op)
        if form is None:
            raise Http404("Unknown action.")
        if form.is_valid():
            try:
                message = _perform(op, form, story, request.user,
                                   submission=request.POST.get("submission"))
            except services.ActionDenied as exc:
                status = _denied(request, exc)
            except Conflict as exc:  # wrong state, stale, altered, already revoked
                messages.error(request, str(exc))
                return HttpResponseRedirect(request.path)
            except services.InvalidInput as exc:
                if op == "submit":
                    # The submit button has no fields: say why on the page, error by error.
                    messages.error(request, _submit_refusal(story, exc))
                    return HttpResponseRedirect(request.path)
                _add_errors(form, exc)
            else:
                messages.success(request, message)
                return HttpResponseRedirect(request.path)
    page = workflow_page(story_id=story.pk)
    services.inbox_mark_read(user=request.user, story_id=story.pk)
    story = page.story
    user = request.user
    live = story.live_revision_id is not None
    editor = is_editor(user)
    author = is_author(user, story)
    context = screen_context(
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
    return TemplateResponse(request, TEMPLATES + "workflow.html", context, status=status)

