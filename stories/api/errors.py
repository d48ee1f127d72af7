"""API bodies for the workflow's own refusals."""

from rest_framework import serializers

from audit.api import StaleVersionSerializer


class StaleSerializer(StaleVersionSerializer):
    """A 412: the revision named (If-Match or `revision`) is not the current one; nothing was
    saved. The body names the current one (StaleRevision.body)."""

    revision = serializers.CharField(help_text="The current revision's content hash.")
    revision_number = serializers.IntegerField(help_text="The current revision's number.")
