"""The source library in the admin: every save goes through sources.services."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce

from audit.admin_mixins import (
    BoundedChangelist,
    RefusedFormAnswers400,
    SavedByServiceAdmin,
    person,
)
from audit.errors import ActionDenied, InvalidInput
from audit.forms import DATE_FIELDS, StaleSaveMerge, SubmissionField, SubmittedOnce, is_row_id
from audit.submissions import FIELD as SUBMISSION

from . import citing, selectors, services
from .admin_extras import LinkCheckInline, SnapshotInline, capture_selected
from .models import EDITABLE, Source, normalise_url


class SourceAdminForm(StaleSaveMerge, SubmittedOnce, forms.ModelForm):
    """Validates like the library does, then saves through source_create / source_update (an
    add form sent twice adds one source)."""

    url = forms.URLField(
        label="URL", required=False, max_length=2000, assume_scheme="https",
        help_text=Source._meta.get_field("url").help_text,
    )

    # The version the form was opened on (Source.version): a save that started from an older
    # one is refused, so two people editing one source never silently overwrite each other.
    version = forms.CharField(required=False, widget=forms.HiddenInput)
    submission = SubmissionField()
    submission_action = "source_create"

    merged_fields = EDITABLE
    request = None  # set per request by SourceAdmin.get_form

    class Meta:
        model = Source
        fields = list(EDITABLE)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.track_version(self.instance.version)

    def clean_url(self):
        url = self.cleaned_data.get("url", "")
        try:
            normalised = normalise_url(url)
        except ValidationError as exc:
            raise ValidationError(exc.messages) from exc
        if normalised:
            clash = Source.objects.filter(url=normalised).exclude(pk=self.instance.pk).first()
            if clash:
                raise ValidationError(
                    f'This link is already in the library as "{clash.key}" ({clash.title}).'
                )
        return url

    def _post_clean(self):
        super()._post_clean()
        if self.errors:
            return
        # Saving here, inside validation, lets a refusal land on the field it concerns.
        fields = {name: self.cleaned_data[name] for name in EDITABLE
                  if name in self.cleaned_data}
        try:
            if self.instance.pk:
                self.saved = services.source_update(
                    source_id=self.instance.pk, user=self.request.user,
                    # A form that lost its version is refused like a stale one, never saved blind.
                    base_version=self.cleaned_data.get("version") or "", **fields)
            else:
                self.saved = services.source_create(user=self.request.user,
                                                    submission=self.submission, **fields)
        except services.StaleSource as exc:
            self.refuse_as_stale(exc.source, str(exc), fields)
        except InvalidInput as exc:
            for field, messages in exc.message_dict.items():
                self.add_error(field if field in self.fields else None, messages)
        except ActionDenied as exc:
            self.add_error(None, exc.reason)


class OutletFilter(admin.AllValuesFieldListFilter):
    """The library's outlets (selectors.outlets: a skip scan of the outlet index, cached), not
    a DISTINCT over every source on each request."""

    def __init__(self, field, request, params, model, model_admin, field_path):
        super().__init__(field, request, params, model, model_admin, field_path)
        self.lookup_choices = selectors.outlets()


@admin.register(Source)
class SourceAdmin(BoundedChangelist, SavedByServiceAdmin, RefusedFormAnswers400, admin.ModelAdmin):
    """Library sources: searchable, filterable, and where each is cited."""

    form = SourceAdminForm
    formfield_overrides = DATE_FIELDS  # the publication date as YYYY-MM-DD, like every admin date
    actions = (capture_selected,)
    inlines = (SnapshotInline, LinkCheckInline)
    list_display = ("key", "title", "outlet", "kind", "health", "cited_by")
    # As the story list: a source is found in a library of thousands by searching or filtering,
    # not by scanning a long page, and half the rows is half the page's rendering (Django's
    # changelist costs about a quarter of a millisecond a row here).
    list_per_page = 50
    list_filter = ("kind", "health", ("outlet", OutletFilter))

    def view_on_site(self, obj):
        # A source's public page exists only while a published story cites it; otherwise
        # the button led to a 404.
        return obj.get_absolute_url() if citing.is_public(obj) else None
    search_fields = ("key", "title", "outlet", "url")
    readonly_fields = ("added_by_name", "created_at", "updated_at", "health", "health_checked_at")
    added_by_name = person("added_by", "added by")

    class Media:
        # Paste a link on the add form and fetch the page's details (sources.proposals).
        js = ("sources/lookup.js",)

    fieldsets = (
        (None, {"fields": ("key", "title", "url", "outlet", "author", "published_on", "kind",
                           "version")}),
        ("Without a link", {"fields": ("description",)}),
        ("Internal", {"fields": ("notes",)}),
        ("Record", {"fields": ("added_by_name", "created_at", "updated_at", "health",
                               "health_checked_at")}),
    )

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None:
            return fieldsets
        (name, options), *rest = fieldsets
        return [(name, {**options, "fields": (*options["fields"], SUBMISSION)}), *rest]

    def has_delete_permission(self, request, obj=None):
        # Stories and the audit trail refer to sources; removal is not a library edit.
        return False

    def get_queryset(self, request):
        # A correlated count, computed for the rows on the page only (a join and GROUP BY
        # would count every source's citations for each page of the list).
        # The entries model is reached through the relation: sources import no app above it.
        # COUNT(*), not COUNT(DISTINCT story): a story lists a source once (story_source_once),
        # and counting rows reads the source_id index alone (26 ms a page of 100 at 100,000
        # stories with DISTINCT, 1.3 ms without).
        entries = Source._meta.get_field("story_entries").related_model._default_manager
        citations = (entries.filter(source=OuterRef("pk")).order_by()
                     .values("source").annotate(n=Count("*")).values("n"))
        return super().get_queryset(request).annotate(
            cited_count=Coalesce(Subquery(citations), 0)
        ).order_by("key")

    def construct_change_message(self, request, form, formsets, add=False):
        return super().construct_change_message(request, form, [], add)

    @admin.display(description="cited by", ordering="cited_count")
    def cited_by(self, obj):
        return obj.cited_count

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = dict(extra_context or {})
        source = Source.objects.filter(pk=object_id).first() if is_row_id(object_id) else None
        if source is not None:
            cited = citing.cited_in(source, request.user)
            extra_context["cited_in"] = cited.visible
            extra_context["cited_hidden"] = cited.hidden
        return super().change_view(request, object_id, form_url, extra_context)
