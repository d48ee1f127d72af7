"""What every app's API views share: JSON only, token-first authentication, throttles,
pagination and the error body. The mapping of errors to status codes is the project's
(newsroom.api.exception_handler)."""

import io
import re
import uuid

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema_field
from rest_framework import exceptions, serializers, status
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.metadata import SimpleMetadata
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import JSONParser
from rest_framework.permissions import BasePermission
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle
from rest_framework.validators import ProhibitSurrogateCharactersValidator
from rest_framework.views import APIView
from rest_framework.viewsets import GenericViewSet

from .dates import DATE_INVALID, DATE_PATTERN, ISO_DATETIME_PATTERN, typed_date
from .errors import Stale
from .numbers import WHOLE_NUMBER
from .paging import LIMIT, BoundedPaginator
from .roles import is_writer
from .services import audit_denied
from .submissions import replayed

# --- shared fields -----------------------------------------------------------------------

_SURROGATE = re.compile("[\ud800-\udfff]")


class _ProhibitSurrogates(ProhibitSurrogateCharactersValidator):
    """DRF's refusal of unpaired surrogates, same message, found by one regular expression
    rather than a Python loop over every character (20 ms for a 350,000-character body)."""

    def __call__(self, value):
        found = _SURROGATE.search(str(value))
        if found:
            raise serializers.ValidationError(
                self.message.format(code_point=ord(found.group())), code=self.code)


class LongTextField(serializers.CharField):
    """A CharField for story-sized text (a body, up to about 1 MB): the same checks."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.validators = [
            _ProhibitSurrogates() if isinstance(v, ProhibitSurrogateCharactersValidator) else v
            for v in self.validators
        ]


class WholeNumberField(serializers.IntegerField):
    """DRF's integer field, reading text in ASCII digits only (audit.numbers): "٣" or "3.0"
    sent as a string is "A valid integer is required.", not 3."""

    def to_internal_value(self, data):
        if not isinstance(data, int) and not WHOLE_NUMBER.fullmatch(str(data).strip()):
            self.fail("invalid")
        return super().to_internal_value(data)


@extend_schema_field({"type": "string", "format": "date", "pattern": DATE_PATTERN})
class TypedDateField(serializers.DateField):
    """A date as the admin's inputs take it (audit.dates.typed_date), refused with their message."""

    default_error_messages = {"invalid": DATE_INVALID}

    def to_internal_value(self, value):
        if not isinstance(value, str):
            self.fail("invalid")
        try:
            return typed_date(value)
        except ValueError:
            self.fail("invalid")


@extend_schema_field({"type": "string", "format": "date-time", "pattern": ISO_DATETIME_PATTERN})
class IsoDateTimeField(serializers.DateTimeField):
    """A date-time in the one ISO 8601 form its error message names, in ASCII digits: DRF's
    parser would also take the basic form (20301203T1405), week dates, other scripts' digits
    and a trailing NUL."""

    def to_internal_value(self, value):
        if isinstance(value, str) and not re.fullmatch(ISO_DATETIME_PATTERN, value.strip()):
            self.fail("invalid", format="YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]")
        return super().to_internal_value(value)


# --- shared bodies -----------------------------------------------------------------------


class ErrorSerializer(serializers.Serializer):
    """Every refusal: a readable `detail`; invalid input also names each field in `errors`."""

    detail = serializers.CharField(help_text="What went wrong, in words a person can act on.")
    errors = serializers.DictField(
        child=serializers.JSONField(), required=False,
        help_text="Invalid input only: messages keyed by field name.",
    )


def error_responses(*codes: int) -> dict:
    """The documented error answers of an operation (always 401 and 403 for signed-in ones)."""
    return {code: ErrorSerializer for code in codes}


STANDARD_ERRORS = (400, 401, 403, 404)


# --- optimistic locking: ETag out, If-Match in, 412 when stale, 428 when missing ----------


class StaleVersionSerializer(ErrorSerializer):
    """A 412: the version named in If-Match is not the current one; nothing was saved."""

    etag = serializers.CharField(help_text="The current version's ETag: send it as If-Match.")
    refused = serializers.JSONField(
        required=False, help_text="An edit (PATCH) only: the body that was not saved, to merge.")


def stale_response(exc: Stale, *, refused=None) -> Response:
    """The 412 of a stale write: the refusal's body (with what was not saved, for an edit) and
    the current version as the ETag header."""
    body = exc.body() if refused is None else {**exc.body(), "refused": refused}
    response = Response(body, status=status.HTTP_412_PRECONDITION_FAILED)
    response["ETag"] = exc.etag
    return response


def if_match_required(what: str) -> Response:
    """The 428 of an edit sent without If-Match: it could overwrite a newer version unseen."""
    return Response(
        {"detail": f"Send the {what}'s etag in an If-Match header (GET the {what} to read "
         "it) so a newer version is never overwritten."},
        status=status.HTTP_428_PRECONDITION_REQUIRED)


def if_match_header(what: str, *, required: bool = True, description: str = "") -> OpenApiParameter:
    """The If-Match request header of an edit, as the schema documents it."""
    return OpenApiParameter(
        "If-Match", OpenApiTypes.STR, OpenApiParameter.HEADER, required=required,
        description=description or f"The {what}'s etag (from GET or the ETag header). A stale "
        + ('value answers 412; a missing one 428. ' if required else
           "value answers 412; without it the edit is saved over whatever is there. ")
        + '"*" overwrites whatever is there.')


def etag_header(what: str, responses=(200, 412)) -> OpenApiParameter:
    """The ETag response header: the version to send back as If-Match."""
    return OpenApiParameter(
        "ETag", OpenApiTypes.STR, OpenApiParameter.HEADER, response=list(responses),
        description=f"The {what}'s current version, quoted: send it back as If-Match.")


# The largest id a primary key holds (64-bit): an id past it names nothing, and SQLite cannot
# even compare it (OverflowError), so input ids are bounded by it.
LARGEST_ID = 2**63 - 1
# An id as the OpenAPI schema states it (audit.schema gives it to every integer in a path).
ID_SCHEMA = {"type": "integer", "minimum": 1, "maximum": LARGEST_ID}


# The optional header that makes a resent creating POST harmless (audit.submissions).
IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key", OpenApiTypes.UUID, OpenApiParameter.HEADER, required=False,
    description="Optional: a UUID you make for this one request. Sending the request again "
    "with the same key (a retry after a timeout) records nothing more and answers with what "
    "the first request made, marked `Idempotent-Replayed: true`; without the header every "
    "request is recorded.",
)


REPLAYED = "Idempotent-Replayed"


def idempotent_replayed_header(*codes: int) -> OpenApiParameter:
    """The response header that says an answer is a replay of an earlier request's."""
    return OpenApiParameter(
        REPLAYED, OpenApiTypes.STR, OpenApiParameter.HEADER, response=list(codes), enum=["true"],
        description="`true` when this answers a replay: an earlier request with the same "
        "Idempotency-Key made what the body shows, and nothing was recorded again. Absent on "
        "the request that made it, and without an Idempotency-Key.")


def replay_marked(response: Response, made) -> Response:
    """`response` to a creating POST, with `Idempotent-Replayed: true` when `made` is what an
    earlier request with the same Idempotency-Key made (audit.submissions.replayed)."""
    if replayed(made):
        response[REPLAYED] = "true"
    return response


def idempotency_key(request) -> str | None:
    """The request's Idempotency-Key header, None when absent; 400 naming it when not a UUID."""
    key = request.headers.get("Idempotency-Key", "").strip()
    if not key:
        return None
    try:
        uuid.UUID(key)
    except ValueError:
        raise exceptions.ValidationError({"Idempotency-Key": [
            "Send a UUID you made for this request (e.g. 3f2b…-…), or leave the header out."
        ]}) from None
    return key


# --- base views --------------------------------------------------------------------------


class IsNewsroomStaff(BasePermission):
    """Writers, reviewers and editors; a refused write is audited as `<action>.denied`."""

    message = "Only newsroom staff (writers, reviewers and editors) can use this endpoint."

    def has_permission(self, request, view):
        if not request.user or not request.user.is_authenticated:
            return False
        if is_writer(request.user):
            return True
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            audit_denied(action=getattr(view, "action", None) or "api", user=request.user,
                         story=None, reason=self.message)
        return False


class NewsroomPagination(PageNumberPagination):
    """Pages of 50 by default; `page_size` up to 200 (larger asks get 200). `count` stops at
    audit.paging.LIMIT, and pages past that row are out of range (404): narrow the list with
    its filters instead. No list is counted or read in full, however large."""

    django_paginator_class = BoundedPaginator
    invalid_page_message = ("Invalid page: pages run from 1 to the last page of the list, and "
                            f"stop at item {LIMIT:,}; use the list's filters to reach "
                            "older items.")

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def get_schema_operation_parameters(self, view):
        bounds = {
            self.page_query_param: {"minimum": 1, "maximum": LIMIT},
            self.page_size_query_param: {"minimum": 1, "maximum": self.max_page_size},
        }
        descriptions = {
            self.page_query_param: f"A page from 1; pages stop at item {LIMIT:,} (a page past "
            "the list or past that item answers 404).",
            self.page_size_query_param: f"Items a page: {self.page_size} unless given, at most "
            f"{self.max_page_size} (a larger ask gets {self.max_page_size}).",
        }
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"].update(bounds.get(parameter["name"], {}))
            parameter["description"] = descriptions.get(parameter["name"],
                                                        parameter["description"])
        return parameters

    def get_paginated_response_schema(self, schema):
        paginated = super().get_paginated_response_schema(schema)
        paginated["properties"]["count"].update(
            maximum=LIMIT, description=f"How many items the list has, counted up to {LIMIT:,}.")
        return paginated


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "request_too_large"


def too_large_message() -> str:
    return (f"The request body is over {settings.DATA_UPLOAD_MAX_MEMORY_SIZE:,} bytes; "
            "a story body may be at most about 1 MB.")


class BoundedJSONParser(JSONParser):
    """JSON bodies up to DATA_UPLOAD_MAX_MEMORY_SIZE: DRF reads the stream itself, past the
    check Django applies to request.body, so a many-megabyte body would be parsed whole."""

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is not None and stream is not None:
            data = stream.read(limit + 1)
            if len(data) > limit:
                raise RequestTooLarge(too_large_message())
            stream = io.BytesIO(data)
        return super().parse(stream, media_type, parser_context)


class NewsroomMetadata(SimpleMetadata):
    """OPTIONS: the endpoint's name, description and media types (Allow names its methods).
    Each method's fields are in the OpenAPI schema (/api/schema/): DRF's guess from the view's
    serializer_class and get_object() is wrong for views that read their own input
    serializers, and a 500 for those with neither (a report, the unsaved story's draft)."""

    def determine_actions(self, request, view):
        return {}


class ApiMixin:
    """JSON in and out; a token answers 401 when missing; throttled per client."""

    authentication_classes = [TokenAuthentication, SessionAuthentication]
    permission_classes = [IsNewsroomStaff]
    parser_classes = [BoundedJSONParser]
    renderer_classes = [JSONRenderer]
    throttle_classes = [AnonRateThrottle, UserRateThrottle]
    pagination_class = NewsroomPagination
    metadata_class = NewsroomMetadata


class NewsroomAPIView(ApiMixin, APIView):
    pass


class NewsroomViewSet(ApiMixin, GenericViewSet):
    """A viewset whose filters (filterset_class) narrow its list: a row looked up by its id,
    and what is read under it (a story's audit, revisions, comments), is that row whatever
    query string comes with it (DRF filters get_object's look-up too: ?state=published on a
    draft's audit answered 404). The schema offers them on the list alone
    (audit.schema.NewsroomAutoSchema)."""

    def filter_queryset(self, queryset):
        return super().filter_queryset(queryset) if self.action == "list" else queryset
