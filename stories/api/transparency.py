"""The public transparency log over HTTP: the signed tree head and keys, entries, inclusion and
consistency proofs (docs/transparency.md). Anyone may read them; answers are cacheable and the
publish service purges them (stories.frontend_cache)."""

import json
import re

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny

from audit import merkle
from audit import transparency as log
from audit.api import NewsroomAPIView, error_responses
from audit.models import TransparencyEntry

from ..transparency import publishing_entry_index
from .views import IF_NONE_MATCH, _cacheable

MAX_PAGE = 1000
NOT_MODIFIED = {304: OpenApiResponse(description="Not modified.")}
_WHOLE = re.compile(r"[0-9]{1,16}")


class LogDamagedError(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The transparency log is damaged."
    default_code = "log_damaged"


# --- bodies ---------------------------------------------------------------------------------


class TreeHeadSerializer(serializers.Serializer):
    """A signed tree head: the log had `size` entries with Merkle root `root` at `timestamp`."""

    v = serializers.IntegerField()
    size = serializers.IntegerField()
    root = serializers.CharField(help_text="Hex SHA-256 Merkle tree root (RFC 9162).")
    timestamp = serializers.CharField(help_text="UTC, ISO 8601, as signed.")
    key = serializers.CharField(help_text="Id of the signing key (see `keys`).")
    signature = serializers.CharField(help_text="Base64 Ed25519 signature of the tree head's "
                                      "bytes, as docs/transparency.md defines them.")


class KeySerializer(serializers.Serializer):
    id = serializers.CharField(help_text="The first 16 hex digits of SHA-256 of the raw key.")
    algorithm = serializers.CharField()
    public_key = serializers.CharField(help_text="Base64 of the raw 32-byte Ed25519 public key.")
    current = serializers.BooleanField(help_text="False for a former key, kept so that the "
                                       "tree heads it signed still verify.")


class LogSerializer(serializers.Serializer):
    tree_head = TreeHeadSerializer(allow_null=True, help_text="Null while the log is empty.")
    keys = KeySerializer(many=True)


class EntrySerializer(serializers.Serializer):
    index = serializers.IntegerField()
    data = serializers.CharField(help_text="The entry's exact text: its UTF-8 bytes are the "
                                 "Merkle leaf. Hash it yourself; do not trust `leaf_hash`.")
    leaf_hash = serializers.CharField(help_text="SHA-256(0x00 || data), as the log stores it.")
    entry = serializers.JSONField(help_text="`data`, parsed.")


class EntriesSerializer(serializers.Serializer):
    size = serializers.IntegerField(help_text="Entries in the log now.")
    start = serializers.IntegerField()
    entries = EntrySerializer(many=True)
    next = serializers.CharField(allow_null=True)


class InclusionSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    leaf_hash = serializers.CharField()
    path = serializers.ListField(child=serializers.CharField(), help_text="The audit path, "
                                 "hex, deepest first (RFC 9162 2.1.3).")
    tree_head = TreeHeadSerializer()


class ConsistencySerializer(serializers.Serializer):
    first = serializers.IntegerField()
    second = serializers.IntegerField()
    path = serializers.ListField(child=serializers.CharField(), help_text="The consistency "
                                 "proof, hex (RFC 9162 2.1.4).")
    first_tree_head = TreeHeadSerializer(allow_null=True, help_text="Null for size 0.")
    second_tree_head = TreeHeadSerializer()


def log_document() -> dict:
    """The current signed tree head and every public key."""
    head = log.tree_head()
    return {"tree_head": head.as_dict() if head else None, "keys": log.published_keys()}


def entry_body(row: TransparencyEntry) -> dict:
    return {"index": row.index, "data": row.data, "leaf_hash": row.nodes[:64],
            "entry": json.loads(row.data)}


# --- parameters -----------------------------------------------------------------------------


def whole(request, name: str, *, default: int | None = None, required: bool = False):
    """A query parameter that must be a whole number no larger than the log can be."""
    raw = request.query_params.get(name, "")
    if raw == "":
        if required:
            raise ValidationError({name: ["Required: a whole number."]})
        return default
    if not _WHOLE.fullmatch(raw) or int(raw) > log.MAX_SIZE:
        raise ValidationError({name: [f"Must be a whole number from 0 to {log.MAX_SIZE}, not "
                                      f"{raw[:40]!r}."]})
    return int(raw)


def _param(name: str, description: str, *, required: bool = False, text: bool = False,
           least: int = 0, most: int = log.MAX_SIZE):
    """A query parameter as whole() reads it (a whole number from `least` to `most`), or text."""
    kind = OpenApiTypes.STR if text else {"type": "integer", "minimum": least, "maximum": most}
    return OpenApiParameter(name, kind, OpenApiParameter.QUERY, required=required,
                            description=description)


class _Public(NewsroomAPIView):
    authentication_classes = []
    permission_classes = [AllowAny]

    def handle_exception(self, exc):
        if isinstance(exc, merkle.ProofError):
            exc = ValidationError({"non_field_errors": [str(exc)]})
        elif isinstance(exc, log.LogDamaged):
            exc = LogDamagedError(f"{exc}; nothing it says can be proved until it is repaired.")
        return super().handle_exception(exc)


# --- views ----------------------------------------------------------------------------------


class LogView(_Public):
    """The log's current signed tree head and every public key, current and former."""

    @extend_schema(summary="The transparency log's signed tree head and keys", auth=[],
                   parameters=[IF_NONE_MATCH],
                   responses={200: LogSerializer, **NOT_MODIFIED})
    def get(self, request):
        return _cacheable(request, log_document())


class TreeHeadView(_Public):
    """The signed tree head at a size the log had (default: now)."""

    @extend_schema(summary="A signed tree head", auth=[], parameters=[
        _param("size", "A size the log had (1 or more); default: the current size."),
        IF_NONE_MATCH],
        responses={200: TreeHeadSerializer, **NOT_MODIFIED, **error_responses(400, 404)})
    def get(self, request):
        size = whole(request, "size")
        head = log.tree_head(size)
        if head is None:
            raise exceptions.NotFound(f"The log has {log.log_size()} entries: no tree head of "
                                      f"size {size if size is not None else 0}.")
        return _cacheable(request, head.as_dict())


class EntriesView(_Public):
    """Entries oldest first, from `start`, at most `limit` (1000) a page."""

    @extend_schema(summary="Log entries", auth=[], parameters=[
        _param("start", "The first entry's index (default 0)."),
        _param("limit", f"How many (default 100, at most {MAX_PAGE}).", least=1,
               most=MAX_PAGE), IF_NONE_MATCH],
        responses={200: EntriesSerializer, **NOT_MODIFIED, **error_responses(400)})
    def get(self, request):
        start = whole(request, "start", default=0)
        limit = whole(request, "limit", default=100)
        if not 1 <= limit <= MAX_PAGE:
            raise ValidationError({"limit": [f"Must be from 1 to {MAX_PAGE}."]})
        size = log.log_size()
        if start > size:
            raise ValidationError({"start": [f"The log has {size} entries."]})
        rows = log.entries(start=start, limit=limit)
        after = start + len(rows)
        following = (request.build_absolute_uri(reverse("api-transparency-entries"))
                     + f"?start={after}&limit={limit}") if after < size else None
        return _cacheable(request, {"size": size, "start": start,
                                    "entries": [entry_body(r) for r in rows],
                                    "next": following})


class InclusionView(_Public):
    """The inclusion proof of an entry, by index or as the entry that published a story's
    revision, in the tree of `size` entries (default: now)."""

    @extend_schema(summary="Inclusion proof of an entry", auth=[], parameters=[
        _param("index", "The entry's index."),
        _param("story", "Instead of index: a story's slug, with `revision`.", text=True),
        _param("revision", "With `story`: the revision number whose publication to prove."),
        _param("size", "The tree size to prove against (default: the current size)."),
        IF_NONE_MATCH],
        responses={200: InclusionSerializer, **NOT_MODIFIED, **error_responses(400, 404, 503)})
    def get(self, request):
        size = whole(request, "size")
        slug = request.query_params.get("story", "")
        if slug:
            number = whole(request, "revision", required=True)
            index = publishing_entry_index(slug=slug[:200], number=number)
            if index is None:
                raise exceptions.NotFound(f"No log entry publishes revision {number} of "
                                          f"story {slug[:200]!r}.")
        else:
            index = whole(request, "index", required=True)
        proof = log.inclusion_proof(index=index, size=size)
        return _cacheable(request, {"index": proof.index, "leaf_hash": proof.leaf_hash,
                                    "path": proof.path, "tree_head": proof.head.as_dict()})


class ConsistencyView(_Public):
    """The consistency proof between the tree heads at two sizes (second default: now)."""

    @extend_schema(summary="Consistency proof between two tree sizes", auth=[], parameters=[
        _param("first", "The earlier size (0 or more).", required=True),
        _param("second", "The later size (default: the current size)."), IF_NONE_MATCH],
        responses={200: ConsistencySerializer, **NOT_MODIFIED, **error_responses(400, 503)})
    def get(self, request):
        first = whole(request, "first", required=True)
        second = whole(request, "second")
        proof = log.consistency_proof(first=first, second=second)
        return _cacheable(request, {
            "first": first, "second": proof.second.size, "path": proof.path,
            "first_tree_head": proof.first.as_dict() if proof.first else None,
            "second_tree_head": proof.second.as_dict()})
