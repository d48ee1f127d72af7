"""Readers' error reports over HTTP: anyone may report a claim of a published story; editors
and the story's reviewers list, reply to, dismiss, correct from and take sources from them.
Each action is one call into stories.services (the same as the admin's corrections desk)."""

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle

from audit.api import (
    ID_SCHEMA,
    IDEMPOTENCY_KEY,
    LARGEST_ID,
    STANDARD_ERRORS,
    NewsroomViewSet,
    error_responses,
    idempotency_key,
    idempotent_replayed_header,
    replay_marked,
)
from sources.api.serializers import archive_url
from stories import reader_selectors, services
from stories.models import Claim, ErrorReport, ReportStatus, Story
from stories.permissions import reports_visible_to
from stories.services.reports import (
    DISMISSAL_REASON,
    READER_EMAIL,
    READER_LINK,
    READER_NOTE,
    REPORT_REPLY,
)
from stories.throttles import REPORT_THROTTLES

REPORT_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH,
                             description="The report's id.")
SLUG = OpenApiParameter("slug", OpenApiTypes.STR, OpenApiParameter.PATH,
                        description="The published story's slug.")
ACTION_ERRORS = error_responses(*STANDARD_ERRORS, 409)


class ReportInputSerializer(serializers.Serializer):
    claim = serializers.IntegerField(min_value=1, max_value=LARGEST_ID,
                                     help_text="The claim's number on the page "
                                     "(claim-K in the story's markup).")
    note = serializers.CharField(validators=[READER_NOTE], help_text="What is wrong (plain text).")
    suggested_url = serializers.CharField(validators=[READER_LINK], required=False,
                                          allow_blank=True,
                                          help_text="A better source (http or https).")
    email = serializers.CharField(validators=[READER_EMAIL], required=False, allow_blank=True,
                                  help_text="For a reply only; erased when the report closes.")
    revision = serializers.CharField(max_length=64, required=False, allow_blank=True,
                                     help_text="Content hash of the version read (default: "
                                     "the live one).")
    website = serializers.CharField(max_length=200, required=False, allow_blank=True,
                                    help_text="Leave empty (a honeypot for form bots).")


class ReportReceivedSerializer(serializers.Serializer):
    claim = serializers.IntegerField()
    revision = serializers.CharField(help_text="Content hash of the version reported.")
    status = serializers.CharField(help_text='Always "received": reports are not published.')


class ReportSourceSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    key = serializers.CharField()
    title = serializers.CharField()
    url = serializers.CharField(allow_blank=True)
    snapshot = serializers.IntegerField(allow_null=True)
    archive_url = serializers.CharField(allow_null=True)
    health = serializers.CharField()


class ReportSerializer(serializers.ModelSerializer):
    """A report as the corrections desk sees it (the e-mail only while the report is open)."""

    story = serializers.SerializerMethodField()
    claim = serializers.SerializerMethodField()
    revision = serializers.CharField(source="content_hash")
    revision_number = serializers.IntegerField(source="revision.number")
    correction = serializers.SerializerMethodField()
    suggested_source = serializers.CharField(source="suggested_source.key", default=None,
                                             allow_null=True)
    sources = serializers.SerializerMethodField()
    # Plain text, not the model's URLField and EmailField: either may be "" (none given, or
    # the e-mail erased on closing), which a `uri` or `email` format refuses.
    suggested_url = serializers.CharField(
        read_only=True, help_text='A better source the reader suggests ("" when none).')
    email = serializers.CharField(
        read_only=True,
        help_text='For the reply only ("" when none given, and once erased on closing).')

    class Meta:
        model = ErrorReport
        fields = ["id", "story", "claim", "revision", "revision_number", "note",
                  "suggested_url", "email", "status", "resolution", "replied_at", "correction",
                  "suggested_source", "sources", "created_at", "closed_at"]
        read_only_fields = fields

    def get_story(self, report) -> dict[str, str | int]:
        return {"id": report.story_id, "slug": report.story.slug, "title": report.story.title}

    def get_claim(self, report) -> dict[str, str | int]:
        return {"ordinal": report.claim.ordinal, "text": report.claim_text}

    def get_correction(self, report) -> dict[str, str | int] | None:
        c = report.correction
        return None if c is None else {"id": c.pk, "kind": c.kind, "note": c.note}

    @extend_schema_field(ReportSourceSerializer(many=True))
    def get_sources(self, report) -> list[dict]:
        request = self.context.get("request")
        return [{"number": s.number, "key": s.key, "title": s.pin.title, "url": s.pin.url,
                 "snapshot": s.pin.snapshot_id, "health": s.health,
                 "archive_url": archive_url(request, s.pin.snapshot_id)
                 if s.pin.snapshot_id else None}
                for s in reader_selectors.claim_sources(report)]


class ReportReplyInputSerializer(serializers.Serializer):
    message = serializers.CharField(validators=[REPORT_REPLY], help_text="E-mailed to the reader.")


class DismissInputSerializer(serializers.Serializer):
    reason = serializers.CharField(validators=[DISMISSAL_REASON], help_text="Why (internal).")


class AddSourceInputSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=500, required=False, allow_blank=True)


class AddedSourceSerializer(serializers.Serializer):
    key = serializers.CharField()
    url = serializers.CharField()
    title = serializers.CharField()


class PublicReportViewSet(NewsroomViewSet):
    """Anyone may report an error in a claim of a published story (no account)."""

    authentication_classes = []
    permission_classes = [AllowAny]
    lookup_field = "slug"
    lookup_value_regex = r"[-a-zA-Z0-9_]+"

    def get_throttles(self):
        return [AnonRateThrottle(), *(cls() for cls in REPORT_THROTTLES)]

    @extend_schema(summary="Report an error in a claim (anyone)", auth=[],
                   parameters=[SLUG, IDEMPOTENCY_KEY, idempotent_replayed_header(201)],
                   request=ReportInputSerializer,
                   responses={201: ReportReceivedSerializer, **error_responses(400, 404, 409,
                                                                               429)},
                   description="Tied to the claim, the version read (`revision`, default the "
                   "live one) and its content hash. Throttled per address and per story (429 "
                   "with Retry-After). A retracted story answers 409; an unknown story or "
                   "claim 404. The report is never published; an `email` is kept only until "
                   "the report is closed. Resent with the same Idempotency-Key, nothing more "
                   "is filed or e-mailed and the answer is the first one's, marked "
                   "`Idempotent-Replayed: true` (a resend still counts against the throttles).")
    def create(self, request, slug=None):
        data = ReportInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        if fields.get("website", "").strip():  # a bot: thanked, not stored
            return Response({"claim": fields["claim"], "revision": fields.get("revision", ""),
                             "status": "received"}, status=status.HTTP_201_CREATED)
        try:
            report = services.report_create(
                slug=slug, ordinal=fields["claim"], note=fields["note"],
                suggested_url=fields.get("suggested_url", ""), email=fields.get("email", ""),
                content_hash=fields.get("revision", ""), submission=idempotency_key(request))
        except (Story.DoesNotExist, Claim.DoesNotExist) as exc:
            raise Http404 from exc
        return replay_marked(Response({"claim": report.claim.ordinal,
                                       "revision": report.content_hash, "status": "received"},
                                      status=status.HTTP_201_CREATED), report)


STATUS_FILTER = OpenApiParameter(
    "status", OpenApiTypes.STR, OpenApiParameter.QUERY, required=False,
    enum=[*ReportStatus.values, "unresolved"],
    description="Only reports in this state (unresolved: open or under correction).")
# The ?story= filter: an id within ID_SCHEMA's bounds, as the schema says.
_STORY_ID_RANGE = f"A story id is a number from 1 to {LARGEST_ID}."
STORY_ID = serializers.IntegerField(min_value=1, max_value=LARGEST_ID, error_messages={
    "invalid": "A story id is a number.", "max_string_length": _STORY_ID_RANGE,
    "min_value": _STORY_ID_RANGE, "max_value": _STORY_ID_RANGE})
STORY_FILTER = OpenApiParameter("story", {**ID_SCHEMA}, OpenApiParameter.QUERY,
                                required=False, description="Only reports on this story id.")


@extend_schema_view(
    list=extend_schema(summary="Readers' reports (editors and the story's reviewers)",
                       parameters=[STATUS_FILTER, STORY_FILTER],
                       responses={200: ReportSerializer(many=True),
                                  **error_responses(*STANDARD_ERRORS)}),
    retrieve=extend_schema(summary="One reader's report", parameters=[REPORT_ID],
                           responses={200: ReportSerializer,
                                      **error_responses(*STANDARD_ERRORS)}),
)
class ReportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, NewsroomViewSet):
    """The corrections desk: reports grouped in the admin, one by one here (newest first)."""

    serializer_class = ReportSerializer

    def get_queryset(self):
        reports = reports_visible_to(self.request.user, ErrorReport.objects.all()).select_related(
            "story", "claim", "revision", "correction", "suggested_source")
        wanted = self.request.query_params.get("status", "")
        if wanted == "unresolved":
            reports = reports.unresolved()
        elif wanted in ReportStatus.values:
            reports = reports.filter(status=wanted)
        elif wanted:
            raise serializers.ValidationError({"status": [
                "Use open, correcting, corrected, dismissed or unresolved."]})
        story = self.request.query_params.get("story", "")
        if story:
            try:
                story_id = STORY_ID.run_validation(story)
            except serializers.ValidationError as exc:
                raise serializers.ValidationError({"story": exc.detail}) from exc
            reports = reports.filter(story_id=story_id)
        return reports.order_by("-created_at", "-id")

    def _answer(self, report_id: int) -> Response:
        report = self.get_queryset().get(pk=report_id)
        return Response(ReportSerializer(report, context={"request": self.request}).data)

    @extend_schema(summary="E-mail the reader a reply",
                   parameters=[REPORT_ID, IDEMPOTENCY_KEY, idempotent_replayed_header(200)],
                   request=ReportReplyInputSerializer,
                   responses={200: ReportSerializer, **ACTION_ERRORS})
    @action(detail=True, methods=["post"])
    def reply(self, request, pk=None):
        report = self.get_object()
        data = ReportReplyInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        replied = services.report_reply(report_id=report.pk, user=request.user,
                                        message=data.validated_data["message"],
                                        submission=idempotency_key(request))
        return replay_marked(self._answer(report.pk), replied)

    @extend_schema(summary="Dismiss with a reason (erases the reader's address)",
                   parameters=[REPORT_ID], request=DismissInputSerializer,
                   responses={200: ReportSerializer, **ACTION_ERRORS})
    @action(detail=True, methods=["post"])
    def dismiss(self, request, pk=None):
        report = self.get_object()
        data = DismissInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.report_dismiss(report_id=report.pk, user=request.user,
                                reason=data.validated_data["reason"])
        return self._answer(report.pk)

    @extend_schema(summary="Open a correction (published through the normal workflow)",
                   parameters=[REPORT_ID], request=None,
                   responses={200: ReportSerializer, **ACTION_ERRORS},
                   description="Marks the report `correcting`. Edit the story, have it "
                   "reviewed and publish it with a correction note "
                   "(POST /stories/{id}/publish/ with `note`): that closes the report as "
                   "`corrected`, linked to the note.")
    @action(detail=True, methods=["post"])
    def correct(self, request, pk=None):
        report = self.get_object()
        services.report_open_correction(report_id=report.pk, user=request.user)
        return self._answer(report.pk)

    @extend_schema(summary="Add the suggested URL to the source library", parameters=[REPORT_ID],
                   request=AddSourceInputSerializer,
                   responses={201: AddedSourceSerializer, **ACTION_ERRORS},
                   description="Through the library's normal path: the source is created "
                   "(or an existing one with that URL reused) and its snapshot queued.")
    @action(detail=True, methods=["post"], url_path="add-source")
    def add_source(self, request, pk=None):
        report = self.get_object()
        data = AddSourceInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        source = services.report_add_source(report_id=report.pk, user=request.user,
                                            title=data.validated_data.get("title", ""))
        return Response({"key": source.key, "url": source.url, "title": source.title},
                        status=status.HTTP_201_CREATED)
