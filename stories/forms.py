"""Admin forms for stories: they validate input and hand it to the workflow in one call."""

import json

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Q
from django.forms.models import BaseInlineFormSet
from django.urls import reverse
from django.utils import timezone

from audit.forms import (
    ChoiceByIdField,
    StaleSaveMerge,
    SubmissionField,
    SubmittedOnce,
    WholeNumberField,
    is_row_id,
)
from sources.api.serializers import source_field_limits
from sources.keys import KEY, KEY_CHARS, KEY_MAX_LENGTH
from sources.models import Source

from . import citations, services
from .images import prepared_upload
from .models import Image, Story, StorySource
from .permissions import EDITORS, REVIEWERS, WRITERS


def newsroom_users():
    return get_user_model().objects.filter(
        Q(is_superuser=True) | Q(groups__name__in=[WRITERS, REVIEWERS, EDITORS]), is_active=True
    ).distinct().order_by("first_name", "last_name", "username")


class StorySourceForm(forms.ModelForm):
    """One entry of the numbered source list; its number orders the list."""

    number = WholeNumberField(
        min_value=1, required=False, widget=forms.NumberInput(attrs={
            "class": "source-number", "aria-label": "Number on the source list"}),
        help_text="Sources are numbered in this order. Leave empty to add at the end.",
    )

    class Meta:
        model = StorySource
        fields = ("source",)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial.setdefault("number", self.instance.position + 1)


    def _post_clean(self):
        # The workflow owns these rows and rewrites them on every save, so there is no model
        # instance to validate (and no query per row); duplicates are the formset's to report.
        pass


class LibrarySourceField(ChoiceByIdField):
    """A source choice looked up in a dict the formset filled with one query."""

    def __init__(self, *args, library=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.library = library if library is not None else {}

    def to_python(self, value):
        if value not in self.empty_values and str(value) in self.library:
            return self.library[str(value)]
        return super().to_python(value)


class StorySourceFormSet(BaseInlineFormSet):
    """The source list as the writer ordered it; never saved by the admin itself."""

    request = None  # set per request by StorySourceInline.get_formset

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.request is not None:
            self.request.story_source_formset = self

    def _library(self) -> dict:
        # One query for every source the submitted rows name, instead of one per row.
        if not hasattr(self, "_library_cache"):
            ids = [self.data.get(f"{self.add_prefix(i)}-source") for i in
                   range(self.total_form_count())] if self.is_bound else []
            ids = [i for i in ids if i and is_row_id(i)]
            self._library_cache = {str(pk): s for pk, s in Source.objects.in_bulk(ids).items()}
        return self._library_cache

    def add_fields(self, form, index):
        super().add_fields(form, index)
        field = form.fields["source"]
        # The table's column headings are not labels: name each control for screen readers.
        # (on the select inside the admin's add/edit wrapper, which renders its own attrs)
        getattr(field.widget, "widget", field.widget).attrs["aria-label"] = "Source"
        if "DELETE" in form.fields:
            form.fields["DELETE"].widget.attrs["aria-label"] = "Remove from the source list"
        form.fields["source"] = LibrarySourceField(
            queryset=field.queryset, widget=field.widget, label=field.label,
            help_text=field.help_text, required=field.required, library=self._library(),
        )
        # Rows are replaced by each save, so a form opened before someone else's save
        # carries ids that no longer exist; they only identify the row on screen.
        form.fields[self._pk_field.name] = forms.IntegerField(
            required=False, initial=form.instance.pk, widget=forms.HiddenInput
        )

    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        form.fields[self._pk_field.name].required = False
        return form

    def validate_unique(self):
        pass

    def clean(self):
        super().clean()
        seen = set()
        for form in self.forms:
            source = getattr(form, "cleaned_data", {}).get("source")
            if source is None or form.cleaned_data.get("DELETE"):
                continue
            if source.pk in seen:
                raise forms.ValidationError(f'"{source.key}" is on the source list twice.')
            seen.add(source.pk)

    def source_keys(self) -> list[str]:
        """Keys in the order of their numbers; unnumbered ones keep their place at the end."""
        rows = []
        for index, form in enumerate(self.forms):
            data = getattr(form, "cleaned_data", {})
            if not data or data.get("DELETE") or data.get("source") is None:
                continue
            number = data.get("number")
            rows.append((number if number is not None else float("inf"), index,
                         data["source"].key))
        return [key for _, _, key in sorted(rows)]


class StoryAdminForm(SubmittedOnce, forms.ModelForm):
    """The writer's story form; saving it makes one revision through the workflow (and an add
    form sent twice one story)."""

    base_revision = forms.CharField(required=False, widget=forms.HiddenInput)
    submission = SubmissionField()
    submission_action = "story_create"

    request = None  # set per request by StoryAdmin.get_form

    class Meta:
        model = Story
        fields = ("title", "slug", "dek", "body", "authors")
        widgets = {
            "body": forms.Textarea(attrs={"rows": 30, "cols": 100, "class": "story-body",
                                          "spellcheck": "true"}),
            "dek": forms.Textarea(attrs={"rows": 2, "cols": 100}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "slug" in self.fields:
            self.fields["slug"].required = False
            if not self.instance.pk:
                self.fields["slug"].help_text = "Leave empty to make one from the title."
        if "authors" in self.fields:
            self.fields["authors"].queryset = newsroom_users()
            self.fields["authors"].required = bool(self.instance.pk)
            if not self.instance.pk:
                self.fields["authors"].help_text = "Co-authors; you are an author anyway."
        if self.instance.pk and self.instance.latest_revision_id:
            self.fields["base_revision"].initial = self.instance.latest_revision.content_hash
        self.saved = None
        if "body" in self.fields:
            self.fields["body"].widget.attrs.update(self._editor_attrs())

    def clean_slug(self):
        slug = self.cleaned_data.get("slug", "")
        if slug and Story.objects.filter(slug=slug).exclude(pk=self.instance.pk).exists():
            # The admin fills the slug in from the title, so say what it is and what to do.
            raise forms.ValidationError(
                f"{Story(slug=slug).get_absolute_url()} is already the address of another story: "
                "change the slug, or empty it to have a free one made from the title.")
        return slug

    def _editor_attrs(self) -> dict:
        """Where the admin editor (assets/editor/, built into stories/static/stories/editor/)
        checks and buffers text, and the rules it applies as the writer types."""
        pk = self.instance.pk
        user = getattr(getattr(self.request, "user", None), "pk", None)
        def url(name):
            return reverse(f"api-story-editor-{name}", args=[pk]) if pk else reverse(
                f"api-story-editor-{name}-new")

        return {
            "data-editor": "story", "data-story": pk or "", "data-user": user or "",
            # CodeMirror writes its styles in a <style> element; the page's CSP wants a nonce.
            "data-csp-nonce": str(getattr(self.request, "csp_nonce", "")),
            "data-check-url": url("check"), "data-draft-url": url("draft"),
            "data-story-url": reverse("api-story-detail", args=[pk]) if pk else "",
            "data-sources-url": reverse("api-source-list"),
            "data-source-admin-url": reverse("admin:sources_source_add"),
            # The editor's "Checked at" and "kept at" times, like every other time on the page.
            "data-time-zone": timezone.get_current_timezone_name(),
            # A longer body is not sent at all (the form could not keep it): the editor says so.
            "data-body-limit": settings.NEWSROOM_MAX_BODY_BYTES,
            # The key grammar (sources.keys), for the picker and the add-source dialog: a whole
            # key (an HTML pattern attribute), the characters of one, the longest one kept.
            "data-key-pattern": KEY, "data-key-chars": KEY_CHARS,
            "data-key-max-length": KEY_MAX_LENGTH,
            # What the dialog's fields may hold: the library's own limits, as JSON.
            "data-source-limits": json.dumps(source_field_limits()),
        }

    def _post_clean(self):
        super()._post_clean()
        formset = getattr(self.request, "story_source_formset", None)
        if self.errors or (formset is not None and not formset.is_valid()):
            return
        # Saving here, inside validation, puts every refusal on the form with the text kept.
        source_keys = formset.source_keys() if formset is not None else None
        try:
            self.saved = self._save_through_workflow(source_keys)
        except services.StaleRevision as exc:
            self.add_error(None, str(exc))
            # The editor opens a merge of this revision with the writer's text.
            self.fields["body"].widget.attrs["data-stale-revision"] = exc.current.content_hash
        except services.InvalidInput as exc:
            for field, messages in exc.message_dict.items():
                if field in self.fields:
                    self.add_error(field, messages)
                else:
                    label = "Source list" if field == "sources" else field.replace("_", " ")
                    self.add_error(None, [f"{label.capitalize()}: {m}" for m in messages])
        except services.ActionDenied as exc:
            self.add_error(None, exc.reason)
        except services.IllegalTransition as exc:
            self.add_error(None, str(exc))

    def _save_through_workflow(self, source_keys):
        data = self.cleaned_data
        user = self.request.user
        if self.request.POST.get("_renumber"):
            # "Save and renumber by first citation": the list in the order readers meet it.
            doc = services.parse_story(body=data.get("body", ""), source_keys=source_keys or [])
            source_keys = list(citations.first_citation_order(doc))
        authors = list(data["authors"]) if "authors" in self.fields else None
        if self.instance.pk is None:
            return services.story_create(
                author=user, title=data["title"], dek=data.get("dek", ""),
                body=data.get("body", ""), slug=data.get("slug") or "",
                source_keys=source_keys or [],
                authors=[a for a in authors or [] if a.pk != user.pk],
                submission=self.submission,
            )
        changes = {"title": data["title"], "dek": data.get("dek", ""),
                   "body": data.get("body", "")}
        if data.get("slug"):
            changes["slug"] = data["slug"]
        if source_keys is not None:
            changes["source_keys"] = source_keys
        if authors is not None:
            changes["authors"] = authors
        return services.story_update(
            story_id=self.instance.pk, user=user,
            # A form that lost its base revision is refused like a stale one, never saved blind.
            base_revision=data.get("base_revision") or "", **changes,
        )


class ImageAdminForm(StaleSaveMerge, SubmittedOnce, forms.ModelForm):
    """An uploaded figure: alt text is required so every reader knows what it shows. Saved
    through image_upload / image_update while it validates; a figure is shared by every story
    placing it, so an edit started from an older version (someone saved it meanwhile) is
    refused, naming who and when, what was typed kept and theirs taken in (StaleSaveMerge)."""

    class Meta:
        model = Image
        fields = Image.EDITED

    # The file is not merged: a browser cannot be handed back a file to post; a replaced file
    # changes the version, so alt text written for the old picture is refused, not saved.
    merged_fields = ("alt", "caption", "credit", "credit_source")
    version = forms.CharField(required=False, widget=forms.HiddenInput)
    # An add form sent twice (a double click, a resent page) uploads one figure.
    submission = SubmissionField()
    submission_action = "image_upload"
    request = None  # set per request by the admin (SavedByServiceAdmin.get_form)
    saved = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.track_version(self.instance.version)

    # A plain file field: images.prepared_upload does the decoding checks, with messages that
    # say what is wrong (size, pixels, kind) instead of "not an image or a corrupted image".
    file = forms.FileField(label="Image", help_text="JPEG, PNG, GIF or WebP. It is re-encoded "
                           "for the web; the original file is not kept.")

    def clean_file(self):
        """A new upload is checked and re-encoded under a fresh name; a kept file stays."""
        uploaded = self.cleaned_data.get("file")
        if isinstance(uploaded, UploadedFile):
            return prepared_upload(uploaded)
        return uploaded

    def _post_clean(self):
        super()._post_clean()
        if self.errors:
            return
        # Saving here, inside validation, lets a refusal land on the field it concerns.
        typed = {name: self.cleaned_data.get(name) for name in Image.EDITED if name != "file"}
        try:
            if self.instance.pk:
                if "file" in self.changed_data:
                    typed["file"] = self.cleaned_data["file"]
                self.saved = services.image_update(
                    image_id=self.instance.pk, user=self.request.user,
                    # A form that lost its version is refused like a stale one, never saved blind.
                    base_version=self.cleaned_data.get("version") or "", **typed)
            else:
                self.saved = services.image_upload(user=self.request.user,
                                                   file=self.cleaned_data["file"],
                                                   submission=self.submission, **typed)
        except services.StaleImage as exc:
            self.refuse_as_stale(exc.image, str(exc),
                                 {name: typed.get(name) for name in self.merged_fields})
        except services.InvalidInput as exc:
            for field, messages in exc.message_dict.items():
                self.add_error(field if field in self.fields else None, messages)
        except services.ActionDenied as exc:
            self.add_error(None, exc.reason)
