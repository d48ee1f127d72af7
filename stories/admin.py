"""The writers' admin: stories, their source lists, revisions, previews and figures.

Every save goes through stories.services; the admin only shows forms and maps refusals to
messages on them.
"""

import difflib

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.db.models import Count, Prefetch
from django.forms import Script
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from audit.admin_mixins import (
    BoundedChangelist,
    BoundedIdChoices,
    PageChangeList,
    PostedIdAutocomplete,
    ReadOnlyAdmin,
    RefusedFormAnswers400,
    SavedByServiceAdmin,
    person,
)
from audit.forms import is_row_id
from audit.numbers import typed_whole_number
from audit.services import display_name
from audit.submissions import FIELD as SUBMISSION
from audit.submissions import replayed
from sources.archive import NotArchived
from sources.csl import story_sources_csl
from sources.selectors import numbered_sources

from . import selectors, services
from .admin_comments import comment_urls, comments_context
from .admin_refusals import refuse, visible_story
from .evidence_selectors import revision_snapshots
from .forms import ImageAdminForm, StoryAdminForm, StorySourceForm, StorySourceFormSet
from .models import Image, Revision, Story, StorySource
from .permissions import is_author, is_editor, is_writer
from .review_selectors import revision_warnings
from .source_views import evidence_response

# --- panels and diffs ---------------------------------------------------------------------


def _pinned_lines(revision: Revision) -> str:
    return "\n".join(
        f"{pin.key}: {pin.title} | {pin.outlet} | {pin.author} | {pin.published_on} | {pin.url}"
        f" | snapshot {pin.snapshot_id or 'none'}" for pin in revision.pins)


def _claim_row(claim, titles: dict) -> str:
    locators = list(claim.locators) + [""] * len(claim.numbers)
    cites = format_html_join(
        mark_safe("<br>"), '<span class="cite-number">[{}]</span> {}{}',  # noqa: S308  # nosec B308 B703 - a constant tag
        ((n, titles.get(n, "?"), f", {locators[i]}" if locators[i] else "")
         for i, n in enumerate(claim.numbers)),
    )
    return format_html(
        '<tr id="panel-claim-{}"><td class="ordinal">{}</td><td class="claim-text">{}</td>'
        '<td class="claim-sources">{}</td><td class="where">line {}, column {}</td></tr>',
        claim.ordinal, claim.ordinal, claim.text, cites, claim.line, claim.column,
    )


def claims_panel(revision: Revision | None) -> dict:
    """What the Claims & sources panel shows: two queries whatever the number of claims."""
    if revision is None:
        return {}
    sources = numbered_sources(revision.pins)
    titles = {entry.number: entry.pin.title or entry.key for entry in sources}
    claims = list(revision.claims.order_by("ordinal").only(
        "revision", "ordinal", "text", "line", "column", "numbers", "locators"))
    cited = {n for claim in claims for n in claim.numbers}
    order = list(dict.fromkeys(n for claim in claims for n in claim.numbers))
    # Rows are built here rather than in the template: a long story has thousands of claims.
    rows = mark_safe("".join(_claim_row(claim, titles) for claim in claims))  # noqa: S308  # nosec B308 B703 - rows built by format_html
    return {"panel_revision": revision, "panel_claim_count": len(claims),
            "panel_claim_rows": rows, "panel_sources": sources, "panel_cited": cited,
            "panel_outdated": [entry for entry in sources if entry.outdated],
            "panel_errors": revision.errors, "panel_warnings": revision_warnings(revision),
            "panel_out_of_order": out_of_order_note(order) if order != sorted(order) else ""}


def reading_order(revision: Revision) -> list[int]:
    """Source numbers in the order readers first meet them in the revision."""
    numbers = revision.claims.order_by("ordinal").values_list("numbers", flat=True)
    return list(dict.fromkeys(n for row in numbers for n in row or []))


def out_of_order_note(order: list[int]) -> str:
    shown = ", ".join(map(str, order[:12])) + (", …" if len(order) > 12 else "")
    return (f"Readers meet the sources numbered {shown}: a source cited for the first time was "
            "added after the others on the list. Use “Save and renumber by first citation” to "
            "number them in reading order.")


def _diff_rows(old: str, new: str) -> list[tuple[str, str]]:
    rows = []
    lines = difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=2)
    for line in lines:
        if line.startswith(("---", "+++")):
            continue
        kind = {"@": "hunk", "+": "add", "-": "del"}.get(line[:1], "ctx")
        rows.append((kind, line[1:] if kind != "hunk" else line))
    return rows


def revision_diff(old: Revision, new: Revision) -> list[dict]:
    """Unified diffs of title, dek, body and the pinned sources, one section each."""
    parts = [
        ("Title", old.title, new.title),
        ("Dek", old.dek, new.dek),
        ("Body", old.body, new.body),
        ("Sources as pinned", _pinned_lines(old), _pinned_lines(new)),
    ]
    return [{"label": label, "rows": _diff_rows(a, b)} for label, a, b in parts]


# --- stories ------------------------------------------------------------------------------


class KnownSourceSelect(PostedIdAutocomplete):
    """An autocomplete select that labels its chosen source from sources the formset already
    loaded, instead of one query per row (a long story lists 300)."""

    known: dict = {}

    def optgroups(self, name, value, attr=None):
        chosen = [str(v) for v in value if str(v) not in self.choices.field.empty_values]
        if any(v not in self.known for v in chosen):
            # A posted id no source has: the select looks it up (ids no row can have dropped).
            return super().optgroups(name, chosen, attr)
        options = [] if self.is_required else [self.create_option(name, "", "", False, 0)]
        label = self.choices.field.label_from_instance
        for v in chosen[:1]:
            source = self.known[v]
            options.append(self.create_option(name, source.pk, label(source), set(chosen),
                                              len(options)))
        return [(None, options, 0)]


class SourceListFormSet(StorySourceFormSet):
    """The inline's formset: every row's select reads the sources loaded with the rows."""

    def _known_sources(self) -> dict:
        if not hasattr(self, "_known_cache"):
            known = {str(row.source_id): row.source for row in self.get_queryset()}
            known.update(self._library())
            self._known_cache = known
        return self._known_cache

    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        widget = form.fields["source"].widget
        select = getattr(widget, "widget", widget)  # inside the related-widget wrapper
        if isinstance(select, KnownSourceSelect):
            select.known = self._known_sources()
        return form

    @property
    def empty_form(self):
        form = super().empty_form
        widget = form.fields["source"].widget
        select = getattr(widget, "widget", widget)
        if isinstance(select, KnownSourceSelect):
            select.known = self._known_sources()
        return form


class StorySourceInline(admin.TabularInline):
    """The numbered source list: pick sources from the library, order them by number."""

    model = StorySource
    form = StorySourceForm
    formset = SourceListFormSet
    fields = ("number", "source")
    autocomplete_fields = ("source",)
    extra = 1
    verbose_name = "numbered source"
    verbose_name_plural = "Source list (numbered in this order)"
    classes = ("source-list",)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("source")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "source":
            kwargs["widget"] = KnownSourceSelect(db_field, self.admin_site,
                                                 using=kwargs.get("using"))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_formset(self, request, obj=None, **kwargs):
        formset_class = super().get_formset(request, obj, **kwargs)
        formset_class.request = request
        return formset_class

    # The workflow decides who may change a story's list; these only gate the screen.
    def _may_edit(self, request, obj) -> bool:
        user = request.user
        return is_writer(user) if obj is None else is_editor(user) or is_author(user, obj)

    def has_view_permission(self, request, obj=None):
        return is_writer(request.user)

    def has_add_permission(self, request, obj=None):
        return self._may_edit(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._may_edit(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._may_edit(request, obj)


class StoryChangeList(PageChangeList):
    """The story list reads only the columns it shows: a story's body and its latest
    revision's body, HTML, pinned sources and search vector stay in the database, and the
    authors come as a plain list per story (a prefetch into a manager per row costs more than
    the query)."""

    def get_queryset(self, request, exclude_parameters=None):
        authors = Prefetch("authors", to_attr="author_list", queryset=get_user_model().objects
                           .only("username", "first_name", "last_name"))
        return (super().get_queryset(request, exclude_parameters)
                .select_related(None).select_related("latest_revision")
                .prefetch_related(None).prefetch_related(authors)
                .only("title", "state", "updated_at", "latest_revision__number"))


@admin.register(Story)
class StoryAdmin(BoundedChangelist, BoundedIdChoices, SavedByServiceAdmin, RefusedFormAnswers400,
                 admin.ModelAdmin):
    """Stories a user may see; every save is one call to story_create or story_update."""

    form = StoryAdminForm
    inlines = (StorySourceInline,)

    def view_on_site(self, obj):
        """The public page once published; before that, the preview (the page is a 404)."""
        if obj.live_revision_id:
            return obj.get_absolute_url()
        return reverse("admin:stories_story_preview", args=[obj.pk])
    list_display = ("title", "state", "authors_list", "revision_number", "updated_at")
    # Two screens of the stories changed last: an editor finds an older one by its state or by
    # searching, not by scanning a long page (WordPress lists 20 posts a page, Wagtail 20-50;
    # Django's 100 is a generic table's).
    list_per_page = 50
    list_filter = ("state",)
    search_fields = ("title", "slug")
    prepopulated_fields = {"slug": ("title",)}
    readonly_fields = ("state", "authors_list", "revision_summary")
    change_form_template = "admin/stories/story/change_form.html"

    class Media:
        css = {"all": ("newsroom/admin.css", "stories/editor.css")}
        # The writer's editor (assets/editor/, built with make assets); without JavaScript the
        # body stays a plain textarea.
        js = ("newsroom/admin.js", Script("stories/editor/editor.js", type="module"))

    def get_queryset(self, request):
        return (Story.objects.visible_to(request.user)
                .select_related("latest_revision", "latest_revision__created_by")
                .prefetch_related("authors"))

    def get_changelist(self, request, **kwargs):
        return StoryChangeList

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        if obj is None or not allowed:
            return allowed
        return is_editor(request.user) or is_author(request.user, obj)

    def has_delete_permission(self, request, obj=None):
        # No workflow step deletes a story: revisions and the audit trail must stay.
        return False

    def get_fieldsets(self, request, obj=None):
        story = ["title", "slug", "dek", "body"]
        people = []
        if is_editor(request.user):
            people.append("authors")
        elif obj is not None:
            people.append("authors_list")
        if obj is None:
            return [(None, {"fields": story + people + [SUBMISSION]})]
        if self.has_change_permission(request, obj):
            story.append("base_revision")
        return [
            ("Status", {"fields": ["state", "revision_summary", *people]}),
            ("Story", {"fields": story}),
        ]

    def _after_save(self, request, obj, response):
        order = reading_order(obj.latest_revision) if obj.latest_revision_id else []
        if request.POST.get("_renumber"):
            messages.success(request, "Saved. The sources are numbered in the order readers "
                                      "first meet them.")
            return redirect("admin:stories_story_change", obj.pk)
        if order != sorted(order):
            messages.warning(request, out_of_order_note(order))
        return response

    def response_change(self, request, obj):
        return self._after_save(request, obj, super().response_change(request, obj))

    def response_add(self, request, obj, post_url_continue=None):
        response = super().response_add(request, obj, post_url_continue)
        return response if replayed(obj) else self._after_save(request, obj, response)

    def construct_change_message(self, request, form, formsets, add=False):
        revision = form.saved.latest_revision if form.saved else None
        return f"Saved revision {revision.number}." if revision else "Saved."

    @admin.display(description="authors")
    def authors_list(self, obj):
        authors = getattr(obj, "author_list", None)  # the changelist's (StoryChangeList)
        return ", ".join(display_name(a) for a in (obj.authors.all() if authors is None
                                                    else authors))

    @admin.display(description="revision", ordering="latest_revision__number")
    def revision_number(self, obj):
        return obj.latest_revision.number if obj.latest_revision_id else "—"

    @admin.display(description="latest revision")
    def revision_summary(self, obj):
        revision = obj.latest_revision
        if revision is None:
            return "—"
        who = display_name(revision.created_by) if revision.created_by_id else "someone"
        return format_html(
            'Revision {} ({}) by {}, {} · <a href="{}">history</a>',
            revision.number, revision.short_hash, who,
            revision.created_at.strftime("%d %b %Y %H:%M"),
            reverse("admin:stories_story_revisions", args=[obj.pk]),
        )

    def render_change_form(self, request, context, add=False, change=False, form_url="",
                           obj=None):
        # Built only when the form is shown: a successful save redirects without it.
        if obj is not None and obj.pk:
            if context["adminform"].form.is_bound:
                # A refused form filled the instance with what was typed (an emptied address
                # too): the page around the form, its links included, shows the story as saved.
                obj.refresh_from_db(fields=["title", "slug", "dek", "body"])
            context.update(claims_panel(obj.latest_revision))
            services.inbox_mark_read(user=request.user, story_id=obj.pk)
            context.update(comments_context(request, obj))
        return super().render_change_form(request, context, add, change, form_url, obj)

    # --- extra screens ---------------------------------------------------------------

    def get_urls(self):
        from .admin_evidence import evidence_urls
        from .admin_inbox import inbox_urls
        from .admin_review import review_urls

        wrap = self.admin_site.admin_view
        own = [
            path("<int:story_id>/preview/", wrap(self.preview_view),
                 name="stories_story_preview"),
            path("<int:story_id>/revisions/", wrap(self.revisions_view),
                 name="stories_story_revisions"),
            path("<int:story_id>/revisions/diff/", wrap(self.diff_view),
                 name="stories_story_diff"),
            path("<int:story_id>/sources.csl.json", wrap(self.csl_view),
                 name="stories_story_csl"),
            path("<int:story_id>/evidence.wacz", wrap(self.evidence_view),
                 name="stories_story_evidence"),
            path("<int:story_id>/revisions/<int:revision_id>/restore/",
                 wrap(require_POST(self.restore_view)), name="stories_story_restore"),
        ]
        return [*inbox_urls(self), *comment_urls(self), *review_urls(self),
                *evidence_urls(self), *own, *super().get_urls()]

    def _visible_story(self, request, story_id: int, action: str) -> Story:
        return visible_story(request, story_id, action)

    def get_object(self, request, object_id, from_field=None):
        # A story the user may not see is a refusal (audited, with its reason), not the
        # admin's "doesn't exist. Perhaps it was deleted?".
        story = super().get_object(request, object_id, from_field)
        if story is None and from_field is None and is_row_id(object_id):
            hidden = Story.objects.filter(pk=object_id).first()
            if hidden is not None:
                refuse(request.user, hidden, "open", record=False)  # in the form's atomic
        return story

    def _context(self, request, story: Story, title: str) -> dict:
        return {**self.admin_site.each_context(request), "opts": self.opts, "story": story,
                "original": story, "title": title, "subtitle": story.title}

    def csl_view(self, request, story_id: int):
        """The numbered source list as CSL-JSON, for Zotero and other reference managers."""
        story = self._visible_story(request, story_id, "export")
        response = JsonResponse(story_sources_csl(story), safe=False,
                                json_dumps_params={"ensure_ascii": False, "indent": 2})
        response["Content-Disposition"] = f'attachment; filename="{story.slug}-sources.json"'
        return response

    def evidence_view(self, request, story_id: int):
        """The snapshots a revision pins as one WACZ package: the latest revision's (what is
        under review), or with ?live=1 the live revision's (what readers download)."""
        story = self._visible_story(request, story_id, "export")
        live = request.GET.get("live") == "1"
        revision = story.live_revision if live else story.latest_revision
        if revision is None:
            self.message_user(request, "This story has no live revision." if live else
                              "This story has no saved revision yet.", messages.ERROR)
            return redirect("admin:stories_story_change", story.pk)
        try:
            return evidence_response(story, revision, revision_snapshots(revision))
        except NotArchived as exc:
            self.message_user(request, f"No evidence package for revision {revision.number}: "
                              f"{exc}", messages.ERROR)
            return redirect("admin:stories_story_change", story.pk)

    def preview_view(self, request, story_id: int):
        story = self._visible_story(request, story_id, "preview")
        revision = story.latest_revision
        if revision is None:
            raise Http404("This story has no saved revision yet.")
        # The public story template in its preview mode: the page readers will get.
        page = selectors.revision_page(revision)
        response = TemplateResponse(request, "admin/stories/story/preview.html", {
            "page": page, "story": story, "revision": revision, "preview": True,
            "body": mark_safe(revision.html),  # noqa: S308  # nosec B308 B703 - nh3-sanitised at save
            "site_name": settings.NEWSROOM_SITE_NAME,
        })
        response["X-Robots-Tag"] = "noindex, nofollow"
        return response

    def revisions_view(self, request, story_id: int, *, status: int = 200):
        story = self._visible_story(request, story_id, "revisions")
        revisions = (story.revisions.select_related("created_by")
                     .annotate(claim_count=Count("claims")).order_by("-number"))
        context = self._context(request, story, f"Revisions of “{story.title}”")
        latest = story.latest_revision
        context.update(revisions=revisions,
                       can_restore=self.has_change_permission(request, story),
                       # Restoring these would change nothing (the service refuses it).
                       current_text={r.pk for r in revisions
                                     if latest is not None and services.same_text(r, latest)})
        return TemplateResponse(request, "admin/stories/story/revisions.html", context,
                                status=status)

    def diff_view(self, request, story_id: int):
        story = self._visible_story(request, story_id, "revisions")
        revisions = {r.pk: r for r in story.revisions.all()}
        try:
            old = revisions[typed_whole_number(request.GET.get("a", ""))]
            new = revisions[typed_whole_number(request.GET.get("b", ""))]
        except (KeyError, ValueError):
            messages.error(request, "Choose two revisions of this story to compare.")
            return redirect("admin:stories_story_revisions", story.pk)
        if old.number > new.number:
            old, new = new, old
        context = self._context(request, story, f"Changes from revision {old.number} to "
                                                f"{new.number}")
        context.update(old=old, new=new, sections=revision_diff(old, new))
        return TemplateResponse(request, "admin/stories/story/diff.html", context)

    def restore_view(self, request, story_id: int, revision_id: int):
        story = self._visible_story(request, story_id, "restore")
        old = get_object_or_404(Revision, pk=revision_id, story=story)
        try:
            story = services.story_restore(story_id=story.pk, user=request.user,
                                           revision_id=old.pk,
                                           base_revision=request.POST.get("base_revision", ""))
        except services.StaleRevision as exc:  # audited by the service
            messages.error(request, str(exc))
            return self.revisions_view(request, story.pk, status=412)
        except services.AlreadyCurrent as exc:  # a resubmitted restore too
            messages.error(request, str(exc))
            return self.revisions_view(request, story.pk, status=409)
        messages.success(request, f"Revision {old.number} restored as revision "
                                  f"{story.latest_revision.number}.")
        return redirect("admin:stories_story_change", story.pk)


@admin.register(Revision)
class RevisionAdmin(BoundedChangelist, ReadOnlyAdmin, admin.ModelAdmin):
    """Saved revisions, read-only: they are never changed once written."""

    list_display = ("story", "number", "short_hash", "created_by", "created_at", "error_count")
    list_select_related = ("story", "created_by")
    search_fields = ("story__title", "content_hash")
    fields = ("story", "number", "content_hash", "created_by_name", "created_at",
              "restored_from", "title", "dek", "body", "source_keys", "errors", "warnings")
    readonly_fields = fields
    created_by_name = person("created_by", "created by")

    def get_queryset(self, request):
        visible = Story.objects.visible_to(request.user).values("pk")
        return super().get_queryset(request).filter(story__in=visible)


    @admin.display(description="errors")
    def error_count(self, obj):
        return len(obj.errors)


@admin.register(Image)
class ImageAdmin(BoundedChangelist, BoundedIdChoices, SavedByServiceAdmin, RefusedFormAnswers400,
                 admin.ModelAdmin):
    """Uploaded figures: alt text required; the snippet places one in a story body; every save
    is one call to image_upload or image_update, every delete to image_delete."""

    form = ImageAdminForm
    list_display = ("thumbnail_alt", "caption", "credit", "size", "snippet")
    search_fields = ("alt", "caption", "credit")
    autocomplete_fields = ("credit_source",)
    readonly_fields = ("snippet", "size", "uploaded_by_name", "created_at")
    uploaded_by_name = person("uploaded_by", "uploaded by")

    class Media:
        css = {"all": ("newsroom/admin.css",)}
        js = ("newsroom/admin.js",)

    def get_fields(self, request, obj=None):
        fields = list(Image.EDITED)
        # The version it was opened on (ImageAdminForm): a stale save is refused, not lost.
        extra = ["version", "snippet", "size", "uploaded_by_name", "created_at"]
        return fields + (extra if obj else [SUBMISSION])

    def delete_model(self, request, obj):
        services.image_delete(image_id=obj.pk, user=request.user)

    def delete_queryset(self, request, queryset):
        for image_id in queryset.values_list("pk", flat=True):
            services.image_delete(image_id=image_id, user=request.user)

    @admin.display(description="alt text")
    def thumbnail_alt(self, obj):
        return obj.alt

    @admin.display(description="size")
    def size(self, obj):
        return f"{obj.width} × {obj.height} px" if obj.width else "—"

    @admin.display(description="place it with")
    def snippet(self, obj):
        if obj.pk is None:
            return "—"
        text = f"![{obj.alt}](image:{obj.pk})"
        return format_html(
            '<code class="image-snippet">{}</code> '
            '<button type="button" class="button copy-snippet" data-copy="{}">Copy</button>',
            text, text,
        )


# The corrections desk and the daily digest's page (issue 19).
from . import admin_reports  # noqa: E402, F401
