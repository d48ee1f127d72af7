"""Source library bodies: what the API shows of a source and its snapshots, and what it accepts."""

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from audit.api import TypedDateField
from audit.preconditions import entity_tag
from sources.keys import KEY_MAX_LENGTH, KEY_PATTERN
from sources.models import Kind, LinkCheck, Snapshot, Source


def archive_url(request, snapshot_id: int) -> str:
    """The public page of an archived snapshot."""
    path = reverse("snapshot-detail", args=[snapshot_id])
    return request.build_absolute_uri(path) if request is not None else path


class SnapshotSerializer(serializers.ModelSerializer):
    """One fetch of the source's URL, with a link to its public archived copy."""

    archive_url = serializers.SerializerMethodField()
    final_url = serializers.CharField(read_only=True, help_text="Where redirects ended.")

    class Meta:
        model = Snapshot
        fields = ["id", "fetched_at", "status_code", "final_url", "content_type", "sha256",
                  "size", "error", "archive_url"]

    @extend_schema_field(OpenApiTypes.URI)
    def get_archive_url(self, snapshot) -> str:
        return archive_url(self.context.get("request"), snapshot.pk)


LINK_HISTORY = 50


class LinkCheckSerializer(serializers.ModelSerializer):
    """One link-health check: the history behind the source's `health`."""

    final_url = serializers.CharField(read_only=True)

    class Meta:
        model = LinkCheck
        fields = ["checked_at", "status", "status_code", "final_url", "detail"]


class SourceSerializer(serializers.ModelSerializer):
    """A library source as listed."""

    url = serializers.CharField(read_only=True, help_text="Link to the original; empty for "
                                "offline sources (see description).")
    added_by = serializers.SlugRelatedField(slug_field="username", read_only=True,
                                            allow_null=True)
    etag = serializers.SerializerMethodField(help_text="Send it back as If-Match to edit.")

    class Meta:
        model = Source
        fields = ["key", "url", "title", "outlet", "author", "published_on", "kind",
                  "description", "notes", "health", "health_checked_at", "added_by",
                  "created_at", "updated_at", "etag"]
        read_only_fields = fields

    def get_etag(self, source) -> str:
        return entity_tag(source.version)


class SourceDetailSerializer(SourceSerializer):
    """A source with its snapshots and link checks, newest first."""

    snapshots = SnapshotSerializer(many=True, read_only=True)
    link_checks = serializers.SerializerMethodField(
        help_text=f"Link-health history, newest first (the latest {LINK_HISTORY}).")

    class Meta(SourceSerializer.Meta):
        fields = [*SourceSerializer.Meta.fields, "snapshots", "link_checks"]
        read_only_fields = fields

    @extend_schema_field(LinkCheckSerializer(many=True))
    def get_link_checks(self, source) -> list:
        checks = source.link_checks.order_by("-checked_at", "-id")[:LINK_HISTORY]
        return LinkCheckSerializer(checks, many=True).data


class SourceWriteSerializer(serializers.Serializer):
    """What a client may set; the library's rules (unique key and URL, …) live in the service."""

    key = serializers.RegexField(KEY_PATTERN, max_length=KEY_MAX_LENGTH,
                                 help_text="Short unique name cited as [@key].")
    url = serializers.CharField(max_length=2000, allow_blank=True, required=False,
                                help_text="http(s) link to the original; empty for offline "
                                "sources, which then need a description.")
    title = serializers.CharField(max_length=500)
    outlet = serializers.CharField(max_length=200, allow_blank=True, required=False)
    author = serializers.CharField(max_length=300, allow_blank=True, required=False)
    published_on = TypedDateField(allow_null=True, required=False,
                                  help_text="YYYY-MM-DD (ASCII digits; no other ISO 8601 "
                                  "form), as the admin's date inputs take it.")
    kind = serializers.ChoiceField(choices=Kind.choices, required=False)
    description = serializers.CharField(max_length=20000, allow_blank=True, required=False)
    notes = serializers.CharField(max_length=20000, allow_blank=True, required=False)


def source_field_limits() -> dict[str, int]:
    """The longest value the library keeps in each text field of a source (SourceWriteSerializer),
    for forms that write one: the editor's add-source dialog caps its inputs at these."""
    return {name: field.max_length for name, field in SourceWriteSerializer().fields.items()
            if getattr(field, "max_length", None)}
