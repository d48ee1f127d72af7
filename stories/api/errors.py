"""API bodies for the workflow's own refusals."""

from rest_framework import serializers

from audit.api import ErrorSerializer
from stories.services import StaleRevision


def stale_body(exc: StaleRevision) -> dict:
    current = exc.current
    return {"detail": str(exc), "etag": f'"{current.content_hash}"',
            "revision": current.content_hash, "revision_number": current.number}


class StaleSerializer(ErrorSerializer):
    """A 412: the revision named (If-Match or `revision`) is not the current one; nothing was
    saved. The body names the current one (stale_body)."""

    etag = serializers.CharField(help_text="The current revision's ETag: send it as If-Match.")
    revision = serializers.CharField(help_text="The current revision's content hash.")
    revision_number = serializers.IntegerField(help_text="The current revision's number.")
    refused = serializers.JSONField(
        required=False, help_text="An edit (PATCH) only: the body that was not saved, to merge.")
