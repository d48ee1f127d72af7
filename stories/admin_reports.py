"""The corrections desk (readers' error reports) and the daily digest's page in the admin.

Interfaces only: every action calls stories.services; refusals are mapped once here
(ActionDenied -> 403 page, a closed report or a retracted story -> an error message,
InvalidInput -> form errors with the input kept)."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse

from audit.admin_mixins import BoundedChangelist, ReadOnlyAdmin
from audit.errors import Conflict
from audit.forms import is_row_id

from . import reader_selectors, services
from .admin_refusals import refuse
from .models import ErrorReport, ReportStatus, Subscriber
from .permissions import can_handle_reports, is_editor, is_reviewer, reports_visible_to
from .services.reports import DISMISSAL_REASON, REASON_MAX, REPLY_MAX, REPORT_REPLY

NOT_HANDLER = "Only editors and the story's reviewers handle readers' reports on it."
STATUS_FILTERS = {"unresolved": "Open and under correction", **dict(ReportStatus.choices),
                  "all": "All"}


class ReplyForm(forms.Form):
    # The limit in the desk's words (the validator), and as the textarea's maxlength.
    message = forms.CharField(widget=forms.Textarea(attrs={"rows": 5, "maxlength": REPLY_MAX}),
                              validators=[REPORT_REPLY],
                              help_text="E-mailed to the reader; the report stays open.")


class DismissForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3, "maxlength": REASON_MAX}),
                             validators=[DISMISSAL_REASON],
                             help_text="Internal: why no correction is needed. The reader's "
                                       "address is deleted.")


class AddSourceForm(forms.Form):
    title = forms.CharField(max_length=500, required=False,
                            help_text="The source's title for the library (you can edit it "
                                      "later). A snapshot is taken at once.")


class EmptyForm(forms.Form):
    pass


OPS = {"reply": ReplyForm, "dismiss": DismissForm, "correct": EmptyForm,
       "add_source": AddSourceForm}


def _perform(op: str, form: forms.Form, report: ErrorReport, user, *,
             submission: str | None = None) -> str:
    data = form.cleaned_data
    if op == "reply":
        services.report_reply(report_id=report.pk, user=user, message=data["message"],
                              submission=submission)
        return "Reply sent to the reader."
    if op == "dismiss":
        services.report_dismiss(report_id=report.pk, user=user, reason=data["reason"])
        return "Report dismissed; the reader's address was deleted."
    if op == "correct":
        services.report_open_correction(report_id=report.pk, user=user)
        return ("Correction opened. Edit the story, send it to review and publish it with a "
                "correction note: the note closes this report.")
    source = services.report_add_source(report_id=report.pk, user=user, title=data["title"])
    return f"The suggested link is in the library as {source.key}; its snapshot is queued."


def _may_use_desk(user) -> bool:
    return user.is_active and (user.is_superuser or is_editor(user) or is_reviewer(user))


@admin.register(ErrorReport)
class ErrorReportAdmin(BoundedChangelist, ReadOnlyAdmin, admin.ModelAdmin):
    """Readers' reports, grouped by story and claim, for editors and the story's reviewers."""

    def has_module_permission(self, request):
        return _may_use_desk(request.user)

    def has_view_permission(self, request, obj=None):
        if obj is not None:
            return can_handle_reports(request.user, obj.story)
        return _may_use_desk(request.user)

    def get_queryset(self, request):
        return reports_visible_to(request.user, ErrorReport.objects.all())

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_permission(request):
            raise PermissionDenied
        status = request.GET.get("status", "unresolved")
        if status not in STATUS_FILTERS:
            status = "unresolved"
        reports = self.get_queryset(request)
        counts = reader_selectors.desk_counts(reports)
        if status == "unresolved":
            reports = reports.unresolved()
        elif status != "all":
            reports = reports.filter(status=status)
        context = {
            **self.admin_site.each_context(request), "opts": self.model._meta,
            "title": "Corrections desk", "groups": reader_selectors.desk_groups(reports),
            "status": status, "filters": STATUS_FILTERS, "counts": counts,
        }
        return TemplateResponse(request, "admin/stories/errorreport/desk.html", context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if not is_row_id(object_id):  # the address's id is the admin's text
            raise Http404("No such report.")
        report = get_object_or_404(ErrorReport.objects.select_related(
            "story", "claim", "revision", "suggested_source", "correction", "handled_by"),
            pk=object_id)
        if not can_handle_reports(request.user, report.story):
            # Recorded here, once: the admin's refusal middleware records only what nobody did.
            refuse(request.user, report.story, "report_view", reason=NOT_HANDLER)
        op = request.POST.get("op", "") if request.method == "POST" else ""
        if op and op not in OPS:
            raise Http404("Unknown action.")
        bound = {name: cls(request.POST if name == op else None, prefix=name)
                 for name, cls in OPS.items()}
        status = 200
        if op:
            form = bound[op]
            if form.is_valid():
                try:
                    message = _perform(op, form, report, request.user,
                                       submission=request.POST.get("submission"))
                except services.ActionDenied:
                    raise  # recorded by the service; the middleware says why on a page
                except Conflict as exc:
                    messages.error(request, str(exc))
                    return HttpResponseRedirect(request.path)
                except services.InvalidInput as exc:
                    for name, errors in exc.message_dict.items():
                        form.add_error(name if name in form.fields else None, errors)
                    status = 400
                else:
                    messages.success(request, message)
                    if op == "correct":  # the correction starts as an edit of the story
                        return HttpResponseRedirect(
                            reverse("admin:stories_story_change", args=[report.story_id]))
                    return HttpResponseRedirect(request.path)
            else:
                status = 400
        trail = reader_selectors.report_trail(report)
        context = {
            **self.admin_site.each_context(request), "opts": self.model._meta,
            "title": f"Report #{report.pk} on claim {report.claim.ordinal}",
            "report": report, "original": report, "forms": bound,
            "sources": reader_selectors.claim_sources(report), "trail": trail,
            "desk_url": reverse("admin:stories_errorreport_changelist"),
            "workflow_url": reverse("admin:stories_story_workflow", args=[report.story_id]),
            "change_url": reverse("admin:stories_story_change", args=[report.story_id]),
            "is_live": report.revision_id == report.story.live_revision_id,
        }
        return TemplateResponse(request, "admin/stories/errorreport/report.html", context,
                                status=status)


@admin.register(Subscriber)
class SubscriberAdmin(BoundedChangelist, ReadOnlyAdmin, admin.ModelAdmin):
    """The daily digest for editors: subscriber counts and the next digest as it will go out
    (no addresses are listed)."""

    def has_module_permission(self, request):
        return request.user.is_active and (request.user.is_superuser or is_editor(request.user))

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request) and obj is None

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_permission(request):
            raise PermissionDenied
        content, counts = services.digest_preview()
        context = {**self.admin_site.each_context(request), "opts": self.model._meta,
                   "title": "Daily digest", "content": content, "counts": counts}
        return TemplateResponse(request, "admin/stories/subscriber/digest.html", context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        raise PermissionDenied("Subscribers' addresses are not shown in the admin.")
