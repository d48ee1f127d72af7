"""Admin pieces for the source admin to wire in: a capture action and history inlines.

    from .admin_extras import LinkCheckInline, SnapshotInline, capture_selected
    class SourceAdmin(admin.ModelAdmin):
        actions = [capture_selected]
        inlines = [SnapshotInline, LinkCheckInline]
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.html import format_html

from . import services
from .models import LinkCheck, Snapshot


@admin.action(description="Take a fresh snapshot of the selected sources")
def capture_selected(modeladmin, request, queryset):
    """Queue a snapshot of each selected source through source_request_capture."""
    queued, skipped = [], []
    for source in queryset.only("pk", "key", "url"):
        try:
            services.source_request_capture(source_id=source.pk, user=request.user)
        except PermissionDenied as exc:
            modeladmin.message_user(request, str(exc), messages.ERROR)
            return
        except ValidationError:
            skipped.append(source.key)
            continue
        queued.append(source.key)
    if queued:
        modeladmin.message_user(
            request, f"Snapshot queued for {len(queued)} source(s): {', '.join(queued[:10])}"
            + ("…" if len(queued) > 10 else ""), messages.SUCCESS)
    if skipped:
        modeladmin.message_user(
            request, f"No link to capture for: {', '.join(skipped[:10])}", messages.WARNING)


class _ReadOnlyInline(admin.TabularInline):
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class SnapshotInline(_ReadOnlyInline):
    """Every snapshot of the source, newest first; each is kept."""

    model = Snapshot
    fields = ["fetched_at", "status_code", "final_url", "content_type", "size", "short_sha",
              "error", "archive"]
    readonly_fields = fields
    ordering = ["-fetched_at", "-id"]
    verbose_name_plural = "Snapshots (archived copies)"

    @admin.display(description="SHA-256")
    def short_sha(self, obj):
        return obj.sha256[:12]

    @admin.display(description="Archived copy")
    def archive(self, obj):
        if not obj.pk or not obj.body:
            return "—"
        return format_html('<a href="{}">open</a>', obj.body.url)


class LinkCheckInline(_ReadOnlyInline):
    """The link-health history behind Source.health."""

    model = LinkCheck
    fields = ["checked_at", "status", "status_code", "final_url", "detail"]
    readonly_fields = fields
    ordering = ["-checked_at", "-id"]
    verbose_name_plural = "Link checks"
