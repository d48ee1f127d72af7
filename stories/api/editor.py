"""The admin editor's endpoints: check unsaved text (no revision is made) and keep the writer's
unsaved-text buffer. Registered before the story routes so /stories/check/ is not read as an id."""

import bisect
import re

from django.conf import settings
from django.http import Http404
from drf_spectacular.utils import extend_schema, extend_schema_field, inline_serializer
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.throttling import UserRateThrottle

from audit.api import (
    LARGEST_ID,
    STANDARD_ERRORS,
    LongTextField,
    NewsroomViewSet,
    WholeNumberField,
    error_responses,
)
from sources.selectors import numbered_sources
from stories.models import Revision, Story
from stories.services import editor

_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


class CheckThrottle(UserRateThrottle):
    """Checks while typing: NEWSROOM_CHECK_RATE per writer (a pause-debounced editor sends a
    few a second at most), on top of the API's general rate."""

    scope = "check"

    def get_rate(self):
        return settings.NEWSROOM_CHECK_RATE


class EditorCheckInputSerializer(serializers.Serializer):
    body = LongTextField(allow_blank=True, trim_whitespace=False,
                         help_text="The unsaved story body (CommonMark with citations).")
    sources = serializers.ListField(
        child=serializers.CharField(max_length=200), required=False, default=list,
        max_length=2000, help_text="The source list's keys in number order.")
    source_ids = serializers.ListField(
        child=WholeNumberField(min_value=1, max_value=LARGEST_ID), required=False,
        default=list, max_length=2000,
        help_text="Or the source list as library ids (the admin form's rows).")


class DraftSerializer(serializers.Serializer):
    kept = serializers.SerializerMethodField(
        help_text="True when unsaved text is kept for you; false (and the other fields empty) "
                  "when nothing is.")
    title = serializers.CharField(allow_blank=True, trim_whitespace=False, required=False,
                                  default="", max_length=300)
    dek = serializers.CharField(allow_blank=True, trim_whitespace=False, required=False,
                                default="")
    body = LongTextField(allow_blank=True, trim_whitespace=False)
    base_revision = serializers.CharField(allow_blank=True, required=False, default="",
                                          max_length=64)
    updated_at = serializers.DateTimeField(read_only=True, allow_null=True)

    def get_kept(self, draft) -> bool:
        return draft is not NOTHING_KEPT


# What a writer with no buffer reads: an explicit empty answer, not a 404 (a form opened with
# nothing kept is the usual case, not an error).
NOTHING_KEPT = {"title": "", "dek": "", "body": "", "base_revision": "", "updated_at": None}


PROBLEM = inline_serializer("EditorProblem", {
    "code": serializers.CharField(), "message": serializers.CharField(),
    "line": serializers.IntegerField(), "column": serializers.IntegerField(),
    "text": serializers.CharField(),
    "from": serializers.IntegerField(allow_null=True, help_text="UTF-16 offset in the body."),
    "to": serializers.IntegerField(allow_null=True),
    "claim": serializers.IntegerField(required=False, help_text=(
        "On an evidence warning (figures_not_found): the claim's ordinal.")),
}, many=True)
CHECK_RESPONSE = inline_serializer("EditorCheck", {
    "claims": serializers.ListField(child=serializers.DictField()),
    "sources": serializers.ListField(child=serializers.DictField()),
    "errors": PROBLEM, "warnings": PROBLEM,
    "reading_order": serializers.ListField(child=serializers.IntegerField()),
    "in_reading_order": serializers.BooleanField(),
    "renumbered": serializers.ListField(child=serializers.CharField()),
})


class RevisionSourceSerializer(serializers.Serializer):
    key = serializers.CharField()
    id = serializers.IntegerField(source="library_id", allow_null=True,
                                  help_text="The library source's id (null: no longer in it).")
    label = serializers.SerializerMethodField(help_text="As the admin's source list names it.")

    def get_label(self, entry) -> str:
        return f"{entry.key}: {entry.pin.title}"


class RevisionTextSerializer(serializers.ModelSerializer):
    hash = serializers.CharField(source="content_hash")
    sources = serializers.SerializerMethodField()

    class Meta:
        model = Revision
        fields = ["number", "hash", "title", "dek", "body", "sources"]
        read_only_fields = fields

    @extend_schema_field(RevisionSourceSerializer(many=True))
    def get_sources(self, revision):
        """The numbered source list, in number order (what the merge of lists reads)."""
        return RevisionSourceSerializer(numbered_sources(revision.pins), many=True).data


class _Utf16:
    """Code-point offsets of a body as UTF-16 offsets (what a browser editor counts)."""

    def __init__(self, body: str):
        self.astral = [m.start() for m in _ASTRAL.finditer(body)]
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", body)]

    def __call__(self, offset: int) -> int:
        return offset + bisect.bisect_left(self.astral, offset)

    def at(self, line: int, column: int) -> int | None:
        if line < 1 or line > len(self.line_starts):
            return None
        return self(self.line_starts[line - 1] + column - 1)


def _problems(items, utf16: _Utf16, body: str) -> list[dict]:
    rows = []
    for p in items:
        start = utf16.at(p.line, p.column) if p.line else None
        end = None
        if start is not None:
            offset = utf16.line_starts[p.line - 1] + p.column - 1
            length = len(p.text) if body.startswith(p.text, offset) and p.text else 1
            end = utf16(offset + length)
        rows.append({"code": p.code, "message": p.message, "line": p.line, "column": p.column,
                     "text": p.text, "from": start, "to": end})
    return rows


def check_body(result: editor.CheckResult) -> dict:
    """The JSON answer of a check: claims, numbered sources, problems with UTF-16 ranges."""
    doc, utf16 = result.document, _Utf16(result.body)
    cited = doc.cited_keys
    listed = set(result.listed)
    sources = []
    for number, key in enumerate(doc.numbered, start=1):
        info = result.library.get(key)
        sources.append({
            "number": number, "key": key, "title": info.title if info else "",
            "outlet": info.outlet if info else "", "url": info.url if info else "",
            "health": info.health if info else "missing", "missing": info is None,
            "cited": key in cited, "listed": key in listed,
        })
    order = list(result.reading_order)
    claims = {c.ordinal: c for c in doc.claims}
    # Evidence warnings underline the whole claim whose figures the snapshots lack.
    body = result.body
    evidence = []
    for ordinal, warning in result.evidence:
        claim = claims[ordinal]
        end = claim.start + len(body[claim.start:claim.end].rstrip())
        evidence.append({**warning, "from": utf16(claim.start), "to": utf16(end),
                         "claim": ordinal})
    return {
        "claims": [{
            "ordinal": c.ordinal, "text": c.text, "line": c.line, "column": c.column,
            "from": utf16(c.start), "to": utf16(c.end),
            "sources": [{"key": s.key, "number": s.number, "locator": s.locator}
                        for s in c.sources],
        } for c in doc.claims],
        "sources": sources,
        "errors": _problems(doc.errors, utf16, result.body),
        "warnings": _problems(doc.warnings, utf16, result.body) + evidence,
        "reading_order": order,
        "in_reading_order": order == sorted(order),
        "renumbered": list(result.renumbered),
    }


class EditorViewSet(NewsroomViewSet):
    """Check unsaved text and keep unsaved-text buffers; only for those who may edit."""

    queryset = Story.objects.none()
    serializer_class = EditorCheckInputSerializer

    def get_queryset(self):
        return Story.objects.visible_to(self.request.user)

    def get_throttles(self):
        throttles = super().get_throttles()
        if self.action in ("check", "check_new"):
            throttles.append(CheckThrottle())
        return throttles

    def _check(self, request, story_id):
        data = EditorCheckInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        keys = fields["sources"] or editor.source_keys_of(fields["source_ids"])
        with editor.collector_paused():  # the check's objects go before the collector runs
            answer = check_body(editor.story_check(user=request.user, body=fields["body"],
                                                   source_keys=keys, story_id=story_id))
        return Response(answer)

    @extend_schema(summary="Check a story's unsaved text: claims, numbers and problems, "
                   "with nothing saved", request=EditorCheckInputSerializer,
                   operation_id="stories_check",
                   responses={200: CHECK_RESPONSE, **error_responses(*STANDARD_ERRORS, 413, 429)})
    @action(detail=True, methods=["post"])
    def check(self, request, pk=None):
        return self._check(request, self.get_object().pk)

    @extend_schema(summary="Check a new story's unsaved text", request=EditorCheckInputSerializer,
                   operation_id="stories_check_new",
                   responses={200: CHECK_RESPONSE, **error_responses(*STANDARD_ERRORS, 413, 429)})
    @action(detail=False, methods=["post"], url_path="check")
    def check_new(self, request):
        return self._check(request, None)

    @extend_schema(operation_id="stories_revision_text",
                   summary="The title, dek and body of one of the story's revisions, by content "
                   "hash: the text a stale save's three-way merge starts from",
                   responses={200: RevisionTextSerializer, **error_responses(*STANDARD_ERRORS)})
    @action(detail=True, methods=["get"], url_path=r"revisions/(?P<revision>[0-9a-f]{64})")
    def revision_text(self, request, pk=None, revision=None):
        story = self.get_object()  # a story the user may not see answers 404
        found = editor.revision_by_hash(story=story, content_hash=revision)
        if found is None:
            raise Http404
        return Response(RevisionTextSerializer(found).data)

    def _draft(self, request, story_id):
        if request.method == "GET":
            draft = editor.draft_get(user=request.user, story_id=story_id)
            return Response(DraftSerializer(NOTHING_KEPT if draft is None else draft).data)
        if request.method == "DELETE":
            editor.draft_discard(user=request.user, story_id=story_id)
            return Response(status=status.HTTP_204_NO_CONTENT)
        data = DraftSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        draft = editor.draft_save(user=request.user, story_id=story_id, **data.validated_data)
        return Response(DraftSerializer(draft).data)

    @extend_schema(methods=["GET"], operation_id="stories_draft_read",
                   summary="Your unsaved text for this story (yours only; not a revision); "
                   "`kept: false` with empty fields when none is kept",
                   responses={200: DraftSerializer, **error_responses(*STANDARD_ERRORS)})
    @extend_schema(methods=["PUT"], operation_id="stories_draft_keep", request=DraftSerializer,
                   summary="Keep your unsaved text for this story",
                   responses={200: DraftSerializer, **error_responses(*STANDARD_ERRORS, 413)})
    @extend_schema(methods=["DELETE"], operation_id="stories_draft_discard",
                   summary="Discard your unsaved text for this story", responses={204: None,
                                                                 **error_responses(*STANDARD_ERRORS)})
    @action(detail=True, methods=["get", "put", "delete"])
    def draft(self, request, pk=None):
        return self._draft(request, self.get_object().pk)

    @extend_schema(methods=["GET"], operation_id="stories_draft_new_read",
                   summary="Your unsaved text for a story not yet saved; `kept: false` with "
                   "empty fields when none is kept",
                   responses={200: DraftSerializer, **error_responses(*STANDARD_ERRORS)})
    @extend_schema(methods=["PUT"], operation_id="stories_draft_new_keep",
                   request=DraftSerializer, summary="Keep your unsaved text for a new story",
                   responses={200: DraftSerializer, **error_responses(*STANDARD_ERRORS, 413)})
    @extend_schema(methods=["DELETE"], operation_id="stories_draft_new_discard",
                   summary="Discard your unsaved text for a new story", responses={204: None,
                                                                 **error_responses(*STANDARD_ERRORS)})
    @action(detail=False, methods=["get", "put", "delete"], url_path="draft")
    def draft_new(self, request):
        return self._draft(request, None)
