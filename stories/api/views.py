"""Story endpoints: the whole workflow over HTTP, each action one call into stories.services."""

import difflib
import hashlib
import json
from datetime import UTC

import django_filters
from django.contrib.auth import get_user_model
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Prefetch
from django.http import Http404
from django.utils.decorators import method_decorator
from django.views.decorators.http import condition
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from audit.api import (
    IDEMPOTENCY_KEY,
    STANDARD_ERRORS,
    ErrorSerializer,
    NewsroomViewSet,
    error_responses,
    etag_header,
    idempotency_key,
    idempotent_replayed_header,
    if_match_header,
    if_match_required,
    replay_marked,
    stale_response,
)
from audit.models import Event
from audit.preconditions import if_match_for, unquoted
from sources import selectors as source_selectors
from sources.csl import story_sources_csl
from sources.selectors import evidence_warnings
from stories import frontend_cache, selectors, services, transparency
from stories.caching import cache_headers, public_page
from stories.models import ClaimCheck, Revision, State, Story
from stories.pages import story_etag
from stories.services import CheckInput, StaleRevision
from stories.source_views import story_evidence
from stories.views import live_story

from . import serializers as s
from .errors import StaleSerializer

STORY_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH,
                            description="The story's id.")
IF_MATCH = if_match_header("story")
IF_NONE_MATCH = OpenApiParameter(
    "If-None-Match", OpenApiTypes.STR, OpenApiParameter.HEADER, required=False,
    description="An ETag from an earlier answer; unchanged content answers 304.",
)
STALE_412 = OpenApiResponse(
    response=StaleSerializer,
    description="The revision you named is not the current one: nothing was saved. The body "
    "carries the current `etag` and `revision`, and after an edit `refused` (the text that "
    "was not saved).",
)
ETAG = etag_header("story", (200, 201, 412))
REPLAYED_201 = idempotent_replayed_header(201)
ACTION_ERRORS = error_responses(*STANDARD_ERRORS, 409)


class StoryFilter(django_filters.FilterSet):
    """state, author (username) and updated_since (ISO 8601)."""

    state = django_filters.ChoiceFilter(choices=State.choices)
    author = django_filters.CharFilter(field_name="authors__username", max_length=150)
    updated_since = django_filters.IsoDateTimeFilter(method="filter_updated_since")

    class Meta:
        model = Story
        fields = ["state", "author", "updated_since"]

    def filter_updated_since(self, queryset, name, value):
        # ISO 8601 allows UTC offsets PostgreSQL refuses (beyond ±15:59): compare in UTC.
        try:
            return queryset.filter(updated_at__gte=value.astimezone(UTC))
        except OverflowError:
            raise ValidationError({name: [
                "This time is out of range once converted to UTC; send a time between "
                "years 1 and 9999."]}) from None


STORY_CREATE_EXAMPLE = OpenApiExample(
    "A story citing one source", request_only=True,
    value={"title": "Harbour cranes arrive", "dek": "Three new cranes double capacity.",
           "body": "The port handled 4.2 million containers in 2024 [@port-annual-2024].",
           "sources": ["port-annual-2024"]},
)
REVIEW_EXAMPLE = OpenApiExample(
    "Approve with every claim supported", request_only=True,
    value={"decision": "approve", "revision": "9f2c…(the `revision` of GET /claims/)",
           "comment": "Checked against the annual report.",
           "checks": [{"claim": 4711, "verdict": "supported", "note": "p. 4"}]},
)


def _read_revision(which: str) -> OpenApiParameter:
    """If-Match on a workflow POST: the revision read, checked against `which` one it acts on."""
    return if_match_header(
        "story", required=False, description=f"The content hash of {which} you read, quoted; "
        "an alternative to the body's `revision` field (the field wins when both are sent). "
        f"A list of tags holds when any of them is {which} (RFC 9110), as on PATCH. `*` "
        "names no revision, as if the header were left out (so it answers 400 naming "
        "`revision` wherever one is required).")


REVIEWED_REVISION = _read_revision("the revision in review (the latest)")
LATEST_REVISION = _read_revision("the latest revision")
APPROVED_REVISION = _read_revision("the approved revision")


def _named_revision(request, fields, current) -> str:
    """The revision hash the caller says they read: the body's `revision`, else If-Match read
    against `current` (the revision the action applies to) as an edit reads it, so a list
    holds when any tag in it is current; "*" and no header name none ("")."""
    if fields.get("revision"):
        return fields["revision"]
    named = if_match_for(request, current.content_hash if current is not None else "")
    return named if named not in (None, "*") else ""


# What a story list shows of a story (StorySerializer).
LISTED = ("slug", "title", "dek", "state", "publish_at", "published_at", "created_at",
          "updated_at")


def _authors() -> Prefetch:
    """A story's authors as a plain list (to_attr): a related manager per story holds a
    queryset that refers back to its story, a cycle only the garbage collector frees. Made per
    query: prefetching writes hints (the first story) on the Prefetch's own queryset."""
    return Prefetch("authors", to_attr="author_list",
                    queryset=get_user_model().objects.only("username", "first_name", "last_name"))


@extend_schema_view(
    list=extend_schema(summary="Stories you may see", responses={
        200: s.StorySerializer(many=True), **error_responses(*STANDARD_ERRORS)}),
    create=extend_schema(summary="Create a draft", request=s.StoryCreateSerializer,
                         parameters=[ETAG, IDEMPOTENCY_KEY, REPLAYED_201],
                         responses={201: s.StoryDetailSerializer,
                                    **error_responses(*STANDARD_ERRORS)},
                         examples=[STORY_CREATE_EXAMPLE]),
    retrieve=extend_schema(summary="A story with its state, revision and etag",
                           parameters=[STORY_ID, ETAG],
                           responses={200: s.StoryDetailSerializer,
                                      **error_responses(*STANDARD_ERRORS)}),
    partial_update=extend_schema(
        summary="Edit a story (If-Match required)", parameters=[STORY_ID, IF_MATCH, ETAG],
        request=s.StoryUpdateSerializer,
        responses={200: s.StoryDetailSerializer, **error_responses(*STANDARD_ERRORS),
                   412: STALE_412, 428: ErrorSerializer},
        description="Saves a new revision. Send the etag you read as If-Match: 412 when "
        "someone saved since (nothing is saved; the body has the current etag and your "
        "refused text), 428 when If-Match is missing.",
    ),
)
class StoryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, NewsroomViewSet):
    """Stories the caller may see (others answer 404); every change goes through the workflow."""

    filterset_class = StoryFilter
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        stories = Story.objects.visible_to(self.request.user).order_by("-updated_at", "-id")
        if self.action == "list":
            # Only the columns StorySerializer shows: a page of 50 stories with their whole
            # revisions (bodies, HTML, pinned sources) read 150 revisions' text and made
            # thousands of objects for the collector (a 25-40 ms pause every few pages).
            return (stories.select_related("latest_revision", "live_revision")
                    .only(*LISTED, "latest_revision__content_hash", "latest_revision__number",
                          "live_revision__content_hash")
                    .prefetch_related(_authors()))
        return (stories.select_related("latest_revision", "live_revision", "approved_revision")
                .prefetch_related("authors"))

    def get_serializer_class(self):
        return s.StorySerializer if self.action == "list" else s.StoryDetailSerializer

    def _detail(self, story_id, code=status.HTTP_200_OK) -> Response:
        # Not filtered by visibility: the caller just read or changed this story.
        story = (Story.objects.select_related("latest_revision", "live_revision",
                                              "approved_revision")
                 .prefetch_related(_authors()).get(pk=story_id))
        response = Response(s.StoryDetailSerializer(story, context=self.get_serializer_context())
                            .data, status=code)
        response["ETag"] = s.etag_of(story.latest_revision)
        return response

    def retrieve(self, request, pk=None):
        return self._detail(self.get_object().pk)

    def create(self, request):
        data = s.StoryCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        story = services.story_create(
            author=request.user, title=fields["title"], dek=fields.get("dek", ""),
            body=fields.get("body", ""), source_keys=fields.get("sources", []),
            slug=fields.get("slug", ""), submission=idempotency_key(request),
        )
        return replay_marked(self._detail(story.pk, status.HTTP_201_CREATED), story)

    def partial_update(self, request, pk=None):
        story = self.get_object()
        latest = story.latest_revision
        read = if_match_for(request, latest.content_hash if latest is not None else "")
        if read is None:
            return if_match_required("story")
        data = s.StoryUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        if "sources" in fields:
            fields["source_keys"] = fields.pop("sources")
        base = None if read == "*" else read
        try:
            services.story_update(story_id=story.pk, user=request.user, base_revision=base,
                                  **fields)
        except StaleRevision as exc:
            return stale_response(exc, refused=request.data)
        return self._detail(story.pk)

    # --- workflow actions ---------------------------------------------------------------

    @extend_schema(summary="Send the latest revision to review (authors)", request=None,
                   parameters=[STORY_ID], responses={200: s.StoryDetailSerializer,
                                                     **ACTION_ERRORS})
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        story = self.get_object()
        services.story_submit(story_id=story.pk, user=request.user)
        return self._detail(story.pk)

    @extend_schema(summary="Take a submission back to draft (authors)", request=None,
                   parameters=[STORY_ID], responses={200: s.StoryDetailSerializer,
                                                     **ACTION_ERRORS})
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        story = self.get_object()
        services.story_withdraw(story_id=story.pk, user=request.user)
        return self._detail(story.pk)

    @extend_schema(summary="Review the latest revision (reviewers)",
                   parameters=[STORY_ID, REVIEWED_REVISION, IDEMPOTENCY_KEY, REPLAYED_201],
                   request=s.ReviewInputSerializer,
                   responses={201: s.ReviewSerializer, **ACTION_ERRORS, 412: STALE_412},
                   examples=[REVIEW_EXAMPLE],
                   description="`revision` (or If-Match) names the content hash of the "
                   "revision you read (`revision` in GET /claims/): required to approve and to "
                   "send checks (400 naming `revision` when missing); when it is not the "
                   "revision in review now, nothing is recorded and the answer is 412 with the "
                   "current `revision`. Each check names a claim by its `id` from GET "
                   "/claims/. approve needs a `supported` check on every claim; "
                   "request_changes needs a comment. Authors, and reviewers who edited the "
                   "revision, are refused (403). Every refusal is audited once.")
    @action(detail=True, methods=["post"])
    def reviews(self, request, pk=None):
        story = self.get_object()
        data = s.ReviewInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        review = services.review_submit(
            story_id=story.pk, reviewer=request.user, decision=fields["decision"],
            comment=fields.get("comment", ""),
            base_revision=_named_revision(request, fields, story.latest_revision),
            checks=[CheckInput(claim_id=c["claim"], verdict=c["verdict"],
                               note=c.get("note", "")) for c in fields.get("checks", [])],
            submission=idempotency_key(request),
        )
        return replay_marked(
            Response(s.ReviewSerializer(review).data, status=status.HTTP_201_CREATED), review)

    @extend_schema(summary="Publish or schedule the approved revision (editors)",
                   parameters=[STORY_ID, APPROVED_REVISION], request=s.PublishInputSerializer,
                   responses={200: s.StoryDetailSerializer, **ACTION_ERRORS, 412: STALE_412},
                   description="`revision` (or If-Match) is the content hash of the approved "
                   "revision you saw (`approved_revision` of GET /stories/{id}/): required "
                   "(400 naming `revision` when missing); any other hash answers 412 with the "
                   "approved one, and nothing is published.")
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        story = self.get_object()
        data = s.PublishInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = {k: v for k, v in data.validated_data.items() if v is not None}
        fields["revision"] = _named_revision(request, fields, story.approved_revision)
        services.story_publish(story_id=story.pk, user=request.user, **fields)
        return self._detail(story.pk)

    @extend_schema(summary="Retract a published story (editors)", parameters=[STORY_ID],
                   request=s.RetractInputSerializer,
                   responses={200: s.StoryDetailSerializer, **ACTION_ERRORS})
    @action(detail=True, methods=["post"])
    def retract(self, request, pk=None):
        story = self.get_object()
        data = s.RetractInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.story_retract(story_id=story.pk, user=request.user,
                               reason=data.validated_data["reason"])
        return self._detail(story.pk)

    # --- comments (never public) -------------------------------------------------------

    @extend_schema(methods=["GET"], summary="The story's comment threads (never public)",
                   parameters=[STORY_ID],
                   responses={200: s.CommentThreadSerializer(many=True),
                              **error_responses(*STANDARD_ERRORS)},
                   description="Open threads first, each against the latest revision: `claim` "
                   "(its ordinal now) and `line` (in the body source) while its words are "
                   "unchanged, `outdated` once they changed.")
    @extend_schema(methods=["POST"], summary="Comment on a claim or passage (reviewers, editors)",
                   parameters=[STORY_ID, LATEST_REVISION, IDEMPOTENCY_KEY, REPLAYED_201],
                   request=s.CommentInputSerializer,
                   responses={201: s.CommentThreadSerializer, **ACTION_ERRORS, 412: STALE_412},
                   description="`revision` (or If-Match) is the content hash of the latest "
                   "revision you read; `claim` a claim's `id` from GET /claims/, or `quote` the "
                   "exact words of a passage (400 naming `quote` when they are not in the "
                   "revision). Writers reply; only reviewers and editors start threads (403). "
                   "Every refusal is audited once.")
    @action(detail=True, methods=["get", "post"])
    def comments(self, request, pk=None):
        from stories.review_selectors import comment_threads

        story = self.get_object()
        if request.method == "POST":
            data = s.CommentInputSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            fields = data.validated_data
            thread = services.comment_start(
                story_id=story.pk, user=request.user, text=fields["text"],
                revision=_named_revision(request, fields, story.latest_revision),
                claim_id=fields.get("claim"),
                quote=fields.get("quote", ""), submission=idempotency_key(request))
            story.refresh_from_db()
            view = next(v for v in comment_threads(story) if v.thread.pk == thread.pk)
            return replay_marked(Response(s.CommentThreadSerializer(view).data,
                                          status=status.HTTP_201_CREATED), thread)
        page = self.paginate_queryset(comment_threads(story))
        return self.get_paginated_response(s.CommentThreadSerializer(page, many=True).data)

    def _thread_view(self, story, thread_id):
        from stories.review_selectors import comment_threads

        story.refresh_from_db()
        return next(v for v in comment_threads(story) if v.thread.pk == int(thread_id))

    def _story_thread(self, story, thread_id):
        if not story.comment_threads.filter(pk=thread_id).exists():
            raise Http404

    @extend_schema(summary="Reply to a comment (authors, reviewers, editors)",
                   parameters=[STORY_ID, OpenApiParameter("thread_id", OpenApiTypes.INT,
                                                          OpenApiParameter.PATH),
                               IDEMPOTENCY_KEY, REPLAYED_201],
                   request=s.CommentReplyInputSerializer,
                   responses={201: s.CommentThreadSerializer, **ACTION_ERRORS},
                   description="A resolved thread takes no replies (409).")
    @action(detail=True, methods=["post"], url_path=r"comments/(?P<thread_id>-?[0-9]+)/replies")
    def comment_replies(self, request, pk=None, thread_id=None):
        story = self.get_object()
        self._story_thread(story, thread_id)
        data = s.CommentReplyInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        reply = services.comment_reply(thread_id=int(thread_id), user=request.user,
                                       text=data.validated_data["text"],
                                       submission=idempotency_key(request))
        return replay_marked(
            Response(s.CommentThreadSerializer(self._thread_view(story, thread_id)).data,
                     status=status.HTTP_201_CREATED), reply)

    @extend_schema(summary="Resolve a comment (the story's authors, its author, editors)",
                   parameters=[STORY_ID, OpenApiParameter("thread_id", OpenApiTypes.INT,
                                                          OpenApiParameter.PATH)],
                   request=None, responses={200: s.CommentThreadSerializer, **ACTION_ERRORS})
    @action(detail=True, methods=["post"], url_path=r"comments/(?P<thread_id>-?[0-9]+)/resolve")
    def comment_resolve(self, request, pk=None, thread_id=None):
        story = self.get_object()
        self._story_thread(story, thread_id)
        services.comment_resolve(thread_id=int(thread_id), user=request.user)
        return Response(s.CommentThreadSerializer(self._thread_view(story, thread_id)).data)

    # --- reads --------------------------------------------------------------------------

    @extend_schema(summary="Claims of the latest revision, with checks, evidence and problems",
                   parameters=[STORY_ID],
                   responses={200: s.ClaimsSerializer, **error_responses(*STANDARD_ERRORS)})
    @action(detail=True, methods=["get"])
    def claims(self, request, pk=None):
        story = self.get_object()
        revision = (
            Revision.objects.filter(pk=story.latest_revision_id)
            .prefetch_related(Prefetch("claims__checks", queryset=ClaimCheck.objects
                                       .select_related("reviewer").order_by("created_at", "id")))
            .first()
        )
        if revision is None:
            raise Http404
        context = {"evidence": source_selectors.claim_evidence(revision)}
        revision.all_warnings = [*revision.warnings, *evidence_warnings(revision)]
        return Response(s.ClaimsSerializer(revision, context=context).data)

    @extend_schema(summary="The story's audit events, oldest first", parameters=[STORY_ID],
                   responses={200: s.EventSerializer(many=True),
                              **error_responses(*STANDARD_ERRORS)})
    @action(detail=True, methods=["get"])
    def audit(self, request, pk=None):
        from stories.permissions import events_visible_to

        story = self.get_object()  # a story the user may not see answers 404
        events = events_visible_to(request.user, Event.objects.filter(story=story)).order_by("id")
        page = self.paginate_queryset(events)
        return self.get_paginated_response(s.EventSerializer(page, many=True).data)

    @extend_schema(
        summary="The story's numbered source list as CSL-JSON (for reference managers)",
        parameters=[STORY_ID],
        responses={200: OpenApiResponse(
            response={"type": "array", "items": {"type": "object", "additionalProperties": True}},
            description="CSL-JSON items in number order; `citation-number` is the number.",
        ), **error_responses(*STANDARD_ERRORS)},
    )
    @action(detail=True, methods=["get"], url_path="csl")
    def csl(self, request, pk=None):
        return Response(story_sources_csl(self.get_object()))

    @extend_schema(summary="The story's revisions, newest first", parameters=[STORY_ID],
                   responses={200: s.RevisionSerializer(many=True),
                              **error_responses(*STANDARD_ERRORS)})
    @action(detail=True, methods=["get"])
    def revisions(self, request, pk=None):
        story = self.get_object()
        revisions = (Revision.objects.filter(story=story)
                     .select_related("created_by", "restored_from")
                     .defer("body", "html", "search_vector").order_by("-number"))
        page = self.paginate_queryset(revisions)
        return self.get_paginated_response(s.RevisionSerializer(page, many=True).data)

    @extend_schema(summary="What changed between two revisions",
                   # The query's own serializer: the schema states the bounds it enforces.
                   parameters=[STORY_ID, s.DiffQuerySerializer],
                   responses={200: s.DiffSerializer, **error_responses(*STANDARD_ERRORS)})
    @action(detail=True, methods=["get"], url_path="revisions/diff", filterset_class=None,
            pagination_class=None)
    def revisions_diff(self, request, pk=None):
        story = self.get_object()
        query = s.DiffQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        numbers = [query.validated_data["from"], query.validated_data["to"]]
        found = {r.number: r for r in Revision.objects.filter(story=story, number__in=numbers)}
        missing = [n for n in numbers if n not in found]
        if missing:
            raise Http404
        old, new = found[numbers[0]], found[numbers[1]]
        diff = "".join(difflib.unified_diff(
            _as_text(old).splitlines(keepends=True), _as_text(new).splitlines(keepends=True),
            fromfile=f"revision {old.number}", tofile=f"revision {new.number}",
        ))
        return Response({
            "from": {"number": old.number, "hash": old.content_hash},
            "to": {"number": new.number, "hash": new.content_hash},
            "diff": diff,
            "sources_added": [k for k in new.source_keys if k not in old.source_keys],
            "sources_removed": [k for k in old.source_keys if k not in new.source_keys],
        })


def _as_text(revision: Revision) -> str:
    return f"# {revision.title}\n\n{revision.dek}\n\n{revision.body}\n"


# --- public ------------------------------------------------------------------------------


def _content_etag(data) -> str:
    canonical = json.dumps(data, sort_keys=True, cls=DjangoJSONEncoder, separators=(",", ":"))
    return '"' + hashlib.sha256(canonical.encode()).hexdigest()[:40] + '"'


def _not_modified(request, etag: str) -> bool:
    seen = [unquoted(v) for v in request.headers.get("If-None-Match", "").split(",")]
    return "*" in seen or etag.strip('"') in seen


def _cacheable(request, data) -> Response:
    """200 with an ETag (a digest of the data) and the public pages' Cache-Control, or 304
    when the client's copy is current."""
    etag = _content_etag(data)
    if _not_modified(request, etag):
        response = Response(status=status.HTTP_304_NOT_MODIFIED)
    else:
        response = Response(data)
    response["ETag"] = etag
    return cache_headers(request, response)


def _public_etag(request, slug=None):
    page = live_story(request, slug)
    return None if page is None else story_etag(page).replace('"', '"api-', 1)


@extend_schema_view(
    list=extend_schema(summary="Published stories, newest first", auth=[],
                       parameters=[IF_NONE_MATCH],
                       responses={200: s.PublicStorySerializer(many=True),
                                  304: OpenApiResponse(description="Not modified."),
                                  **error_responses(400, 404)}),
    retrieve=extend_schema(summary="A published story as readers see it", auth=[],
                           parameters=[IF_NONE_MATCH],
                           responses={200: s.PublicStoryDetailSerializer,
                                      304: OpenApiResponse(description="Not modified."),
                                      **error_responses(404)}),
)
class PublicStoryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, NewsroomViewSet):
    """Anyone may read published stories (the live revision only); cacheable with ETags."""

    authentication_classes = []
    permission_classes = [AllowAny]
    lookup_field = "slug"
    lookup_value_regex = r"[-a-zA-Z0-9_]+"
    serializer_class = s.PublicStorySerializer

    def get_queryset(self):
        return selectors.published_stories()

    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        items = [s.public_story_item(request, story, authors=story.authors.all(),
                                     revision=story.live_revision) for story in page]
        return _cacheable(request, self.get_paginated_response(items).data)

    @method_decorator(public_page)
    @method_decorator(condition(etag_func=_public_etag))
    def retrieve(self, request, slug=None):
        page = live_story(request, slug)  # read once: the validators above used it too
        if page is None:
            raise Http404
        response = Response(
            s.PublicStoryDetailSerializer(s.public_story_detail(request, page)).data)
        return frontend_cache.tag(response, frontend_cache.story_page_tags(page))

    @extend_schema(
        summary="A published story's evidence: its approved snapshots as one WACZ package",
        description="The WARC files of the snapshots the live revision was approved against, "
                    "with a CDXJ index, a page list and datapackage.json (sha256 of every "
                    "file): a WACZ 1.1.1 package that ReplayWeb.page and py-wacz open.",
        auth=[], parameters=[IF_NONE_MATCH],
        responses={(200, "application/wacz"): OpenApiTypes.BINARY,
                   304: OpenApiResponse(description="Not modified."),
                   **error_responses(404)})
    @action(detail=True, methods=["get"], url_path="evidence", url_name="evidence")
    def evidence(self, request, slug=None):
        # The same view as the public page's "Download the evidence" link (one place).
        return story_evidence(request._request, slug)

    @extend_schema(summary="The live revision's canonical content (what its hash covers)",
                   auth=[], parameters=[IF_NONE_MATCH],
                   responses={200: s.PublicCanonicalSerializer,
                              304: OpenApiResponse(description="Not modified."),
                              **error_responses(404)})
    @action(detail=True, methods=["get"], pagination_class=None)
    def canonical(self, request, slug=None):
        story = selectors.published_stories().filter(slug=slug).first()
        if story is None:
            raise Http404
        revision = Revision.objects.get(pk=story.live_revision_id)
        data = {**transparency.canonical_content(story, revision),
                "transparency": s.log_refs(request, transparency.story_log(story))}
        return _cacheable(request, s.PublicCanonicalSerializer(data).data)
