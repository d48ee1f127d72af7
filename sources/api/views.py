"""Source library endpoints: list, search, create, read, edit and capture by key."""


import django_filters
from django.db.models import Prefetch, Q
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.throttling import UserRateThrottle

from audit.api import (
    IDEMPOTENCY_KEY,
    STANDARD_ERRORS,
    NewsroomViewSet,
    StaleVersionSerializer,
    error_responses,
    etag_header,
    idempotency_key,
    idempotent_replayed_header,
    if_match_header,
    replay_marked,
    stale_response,
)
from audit.preconditions import entity_tag, if_match_for
from sources import proposals, services
from sources.keys import KEY
from sources.models import Health, Kind, Snapshot, Source

from .serializers import SourceDetailSerializer, SourceSerializer, SourceWriteSerializer


class SourceFilter(django_filters.FilterSet):
    """?q= searches key, title, outlet and URL; outlet, kind and health filter exactly."""

    q = django_filters.CharFilter(method="search", max_length=200,
                                  help_text="Words in the key, title, outlet or URL.")
    outlet = django_filters.CharFilter(field_name="outlet", lookup_expr="iexact", max_length=200)
    kind = django_filters.ChoiceFilter(choices=Kind.choices)
    health = django_filters.ChoiceFilter(choices=Health.choices)

    class Meta:
        model = Source
        fields = ["q", "outlet", "kind", "health"]

    def search(self, queryset, name, value):
        for word in value.split()[:10]:
            queryset = queryset.filter(
                Q(key__icontains=word) | Q(title__icontains=word) | Q(outlet__icontains=word)
                | Q(url__icontains=word)
            )
        return queryset


SOURCE_EXAMPLE = OpenApiExample(
    "A news article", request_only=True,
    value={"key": "reuters-wu", "url": "https://www.reuters.com/markets/asia/example",
           "title": "Port operator raises capex plan", "outlet": "Reuters",
           "author": "", "published_on": "2025-09-24", "kind": "article"},
)

CAPTURE_RESPONSE = inline_serializer("CaptureQueued", {
    "detail": serializers.CharField(),
    "source": serializers.CharField(help_text="The source key."),
})


class LookupThrottle(UserRateThrottle):
    """Each look-up fetches a page from outside: NEWSROOM_LOOKUP_RATE per writer."""

    scope = "lookup"

    def get_rate(self):
        from django.conf import settings

        return settings.NEWSROOM_LOOKUP_RATE


class LookupInputSerializer(serializers.Serializer):
    url = serializers.CharField(max_length=2000, help_text="The link to read.")


LOOKUP_RESPONSE = inline_serializer("SourceProposal", {
    "key": serializers.CharField(help_text="A proposed key (outlet-yyyy-slug), unique."),
    "url": serializers.CharField(help_text="The page's canonical URL."),
    "title": serializers.CharField(), "outlet": serializers.CharField(),
    "author": serializers.CharField(), "published_on": serializers.CharField(),
    "kind": serializers.CharField(), "fetched_url": serializers.CharField(),
    "note": serializers.CharField(),
})


STALE_412 = OpenApiResponse(
    response=StaleVersionSerializer,
    description="Someone saved the source since you read it: nothing was saved. The body says "
    "who and when, and carries the current `etag` and `refused` (the fields that were not "
    "saved).")
ETAG = etag_header("source", (200, 201, 412))


@extend_schema_view(
    list=extend_schema(summary="List and search the source library",
                       responses={200: SourceSerializer(many=True),
                                  **error_responses(*STANDARD_ERRORS)}),
    create=extend_schema(summary="Add a source to the library", request=SourceWriteSerializer,
                         parameters=[IDEMPOTENCY_KEY, idempotent_replayed_header(201)],
                         description="A `key` or `url` already in the library answers 400 "
                         "naming it; a resend with the same Idempotency-Key answers the source "
                         "the first request added instead (201, `Idempotent-Replayed: true`).",
                         responses={201: SourceDetailSerializer,
                                    **error_responses(*STANDARD_ERRORS)},
                         examples=[SOURCE_EXAMPLE]),
    retrieve=extend_schema(summary="A source with its health, snapshots (newest first) and etag",
                           parameters=[ETAG],
                           responses={200: SourceDetailSerializer,
                                      **error_responses(*STANDARD_ERRORS)}),
    partial_update=extend_schema(
        summary="Edit a source (If-Match recommended)",
        parameters=[if_match_header("source", required=False), ETAG],
        request=SourceWriteSerializer(partial=True),
        responses={200: SourceDetailSerializer, **error_responses(*STANDARD_ERRORS),
                   412: STALE_412},
        description="Send the etag you read as If-Match: 412 when someone saved the source "
        "since (nothing is saved; the body has the current etag and your refused fields). "
        "Without If-Match the edit is saved over whatever is there (the last save wins), as "
        "the contract has always allowed. A link check changes `health`, never the etag."),
)
class SourceViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, NewsroomViewSet):
    """Writers, reviewers and editors share one library; every write goes through the service."""

    lookup_field = "key"
    lookup_value_regex = KEY
    filterset_class = SourceFilter
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        queryset = Source.objects.select_related("added_by").order_by("key")
        if self.action != "list":
            queryset = queryset.prefetch_related(
                Prefetch("snapshots", queryset=Snapshot.objects.order_by("-fetched_at", "-id"))
            )
        return queryset

    def get_serializer_class(self):
        return SourceSerializer if self.action == "list" else SourceDetailSerializer

    def _detail(self, source, code=status.HTTP_200_OK):
        source = self.get_queryset().get(pk=source.pk)
        response = Response(SourceDetailSerializer(
            source, context=self.get_serializer_context()).data, status=code)
        response["ETag"] = entity_tag(source.version)
        return response

    def retrieve(self, request, key=None):
        return self._detail(self.get_object())

    def create(self, request):
        data = SourceWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        source = services.source_create(user=request.user, submission=idempotency_key(request),
                                        **data.validated_data)
        return replay_marked(self._detail(source, status.HTTP_201_CREATED), source)

    def partial_update(self, request, key=None):
        source = self.get_object()
        read = if_match_for(request, source.version)  # optional: without it, the last save wins
        data = SourceWriteSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        try:
            source = services.source_update(
                source_id=source.pk, user=request.user,
                base_version=None if read in (None, "*") else read, **data.validated_data)
        except services.StaleSource as exc:
            return stale_response(exc, refused=request.data)
        return self._detail(source)

    def get_throttles(self):
        throttles = super().get_throttles()
        if self.action == "lookup":
            throttles.append(LookupThrottle())
        return throttles

    @extend_schema(summary="Read a link's page and propose a source from its metadata "
                   "(nothing is saved)", request=LookupInputSerializer,
                   responses={200: LOOKUP_RESPONSE, **error_responses(*STANDARD_ERRORS, 429)})
    @action(detail=False, methods=["post"])
    def lookup(self, request):
        data = LookupInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        proposal = proposals.source_propose(user=request.user, url=data.validated_data["url"])
        return Response(proposal.as_dict())

    @extend_schema(summary="Queue a fresh snapshot of the source's URL", request=None,
                   responses={202: CAPTURE_RESPONSE, **error_responses(*STANDARD_ERRORS)})
    @action(detail=True, methods=["post"])
    def capture(self, request, key=None):
        source = services.source_request_capture(source_id=self.get_object().pk,
                                                 user=request.user)
        return Response({"detail": "Snapshot queued.", "source": source.key},
                        status=status.HTTP_202_ACCEPTED)

