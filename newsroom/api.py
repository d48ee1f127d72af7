"""The project's API wiring: one mapping of every app's domain errors to status codes, the
JSON 500 and 404, the token endpoint, and the schema and its docs page. What API views share
lives in audit.api."""

import logging

from django.conf import settings
from django.contrib.auth import authenticate
from django.core.exceptions import (
    DisallowedHost,
    ObjectDoesNotExist,
    RequestDataTooBig,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpResponseBadRequest, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.translation import get_supported_language_variant
from django.views import defaults
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import OpenApiExample, extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework import exceptions, serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle, ScopedRateThrottle
from rest_framework.views import exception_handler as drf_exception_handler

from audit.api import (
    ErrorSerializer,
    NewsroomAPIView,
    NewsroomMetadata,
    RequestTooLarge,
    stale_response,
    too_large_message,
)
from audit.errors import ActionDenied, Stale
from audit.errors import Conflict as DomainConflict

log = logging.getLogger(__name__)

# --- error mapping -----------------------------------------------------------------------


def _flatten(value) -> list[str]:
    if isinstance(value, dict):
        return [m for v in value.values() for m in _flatten(v)]
    if isinstance(value, list | tuple):
        return [m for v in value for m in _flatten(v)]
    return [str(value)]


def invalid_input_body(errors) -> dict:
    """{"detail": "field: first message; …", "errors": {field: [messages]}}."""
    if not isinstance(errors, dict):
        errors = {"non_field_errors": errors if isinstance(errors, list) else [errors]}
    parts = []
    for field, messages in errors.items():
        first = (_flatten(messages) or ["Invalid value."])[0]
        parts.append(first if field == "non_field_errors" else f"{field}: {first}")
    return {"detail": "Invalid input. " + "; ".join(parts), "errors": errors}


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The story is not in a state that allows this."
    default_code = "conflict"


NESTED_TOO_DEEPLY = "The JSON is nested too deeply to read."
OUT_OF_RANGE = ("A value in the request is out of range (a date must stay within the years "
                "1 to 9999 once converted to UTC).")
SERVER_ERROR = "Something went wrong on our side; it has been logged."


def exception_handler(exc, context):
    """Map the workflow's exceptions once: 403, 409, 412, 400 naming the field, 404; hostile
    input that breaks a parser or a conversion (nesting, dates past the calendar) is a 400."""
    if isinstance(exc, RecursionError):
        # json.loads of a few thousand nested brackets (also on the anonymous token endpoint).
        exc = exceptions.ParseError(NESTED_TOO_DEEPLY)
    elif isinstance(exc, OverflowError):
        # e.g. ?updated_since=9999-12-31T23:59:59-23:59, past year 9999 once in UTC.
        log.info("request value out of range: %s", exc)
        exc = exceptions.ValidationError({"non_field_errors": [OUT_OF_RANGE]})
    if isinstance(exc, Stale):
        return stale_response(exc)
    if isinstance(exc, DjangoValidationError):
        errors = exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        return Response(invalid_input_body(errors), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, RequestDataTooBig):
        exc = RequestTooLarge(too_large_message())
    # IllegalTransition, RevisionAltered, a resolved comment...: the record's state says no.
    if isinstance(exc, DomainConflict):
        exc = Conflict(str(exc))
    elif isinstance(exc, ActionDenied):
        exc = exceptions.PermissionDenied(exc.reason)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, ObjectDoesNotExist):
        exc = Http404()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        response.data = invalid_input_body(response.data)
    elif not isinstance(response.data, dict) or "detail" not in response.data:
        response.data = {"detail": str(response.data)}
    if response.status_code == status.HTTP_404_NOT_FOUND and isinstance(exc, Http404):
        response.data = {"detail": "Not found (or not visible to you)."}
    return response


# --- tokens ------------------------------------------------------------------------------


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=4096, trim_whitespace=False,
                                     style={"input_type": "password"})


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text='Send it as "Authorization: Token <token>".')
    username = serializers.CharField()


LOCKED_OUT = ("Too many failed sign-in attempts for this account from this address. "
              "Wait 15 minutes, then try again.")


class AuthTokenView(NewsroomAPIView):
    """POST: exchange a username and password for a token; DELETE: revoke the caller's token."""

    throttle_scope = "token"

    def get_permissions(self):
        return [AllowAny()] if self.request.method == "POST" else [IsAuthenticated()]

    def get_authenticators(self):
        # Signing in ignores whatever credentials come with it (a stale token in a client's
        # defaults must not turn a sign-in into an undocumented 401).
        if self.request is not None and self.request.method == "POST":
            return []
        return super().get_authenticators()

    def get_throttles(self):
        if self.request.method == "POST":
            return [ScopedRateThrottle(), AnonRateThrottle()]
        return super().get_throttles()

    @extend_schema(
        operation_id="auth_token_create", tags=["auth"], auth=[],
        request=TokenRequestSerializer,
        responses={200: TokenSerializer, 400: ErrorSerializer, 429: ErrorSerializer},
        examples=[OpenApiExample("Sign in", request_only=True,
                                 value={"username": "writer", "password": "…"})],
        description="Exchange credentials for an API token (the same token on every call "
        "until revoked). Throttled against password guessing; repeated failures lock the "
        "account for this address (429).",
    )
    def post(self, request):
        data = TokenRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        # Axes needs the request to count failures and refuse locked-out clients.
        user = authenticate(request=request, username=data.validated_data["username"],
                            password=data.validated_data["password"])
        if getattr(request, "axes_locked_out", False):
            return Response({"detail": LOCKED_OUT}, status=status.HTTP_429_TOO_MANY_REQUESTS)
        if user is None or not user.is_active:
            return Response(invalid_input_body(
                {"non_field_errors": ["Unable to sign in with this username and password."]}),
                status=status.HTTP_400_BAD_REQUEST)
        token, _ = Token.objects.get_or_create(user=user)
        return Response({"token": token.key, "username": user.get_username()})

    @extend_schema(
        operation_id="auth_token_destroy", tags=["auth"], request=None,
        responses={204: None, 401: ErrorSerializer},
        description="Revoke the caller's token; a new POST issues a fresh one.",
    )
    def delete(self, request):
        Token.objects.filter(user=request.user).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- the schema and its docs page --------------------------------------------------------

UNKNOWN_LANGUAGE = ("Not a language code this server knows (such as en, fr or de); the "
                    "schema's own text is in English either way.")
ONE_VERSION = ("The schema has one version; the API's version is part of each path "
               "(/api/v1/), so ?version is not taken.")


def _check_schema_query(request) -> None:
    """?lang must name a language Django has (drf-spectacular would activate any text, and
    a path-like one reads translation files from wherever it points); ?version is refused
    (it was copied into the schema's info.version and a header, where a newline is a 500)."""
    errors = {}
    lang = request.query_params.get("lang")
    if lang:
        try:
            get_supported_language_variant(lang)
        except LookupError:
            errors["lang"] = [UNKNOWN_LANGUAGE]
    if "version" in request.query_params:
        errors["version"] = [ONE_VERSION]
    if errors:
        raise exceptions.ValidationError(errors)


class _RefusalsInJSON:
    """What the endpoint serves when it can (YAML, HTML); its refusals and OPTIONS answer JSON
    with a `detail`, like every other address under /api/."""

    metadata_class = NewsroomMetadata

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        _check_schema_query(request)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if isinstance(response, Response) and (response.status_code >= 400
                                               or request.method == "OPTIONS"):
            response.accepted_renderer = JSONRenderer()
            response.accepted_media_type = JSONRenderer.media_type
        return response


class SchemaView(_RefusalsInJSON, SpectacularAPIView):
    """The OpenAPI 3 schema: YAML by default, JSON with ?format=json or an Accept of
    application/json or application/vnd.oai.openapi+json; ?lang picks a language."""


class DocsView(_RefusalsInJSON, SpectacularSwaggerSplitView):
    """The schema's browsable docs (Swagger UI, served from this site)."""


UNKNOWN_HOST = ("This server does not serve the site named in the request (its Host header); "
                "check the address.")
TOO_MANY_FIELDS = (f"The request carries more fields than any form here has (at most "
                   f"{settings.DATA_UPLOAD_MAX_NUMBER_FIELDS:,}).")
UNREADABLE = "The request could not be read; check the address and try again."


def _refusal(exception) -> str:
    if isinstance(exception, DisallowedHost):
        return UNKNOWN_HOST  # never the Host itself: it is the sender's text
    if isinstance(exception, TooManyFieldsSent | TooManyFilesSent):
        return TOO_MANY_FIELDS
    return UNREADABLE


def bad_request(request, exception):
    """handler400: a request refused before any view read it, with the reason: JSON under
    /api/, the site's page elsewhere, never Django's bare "Bad Request (400)". A body too large
    answers 413 with the limit."""
    api = request.path.startswith("/api/")
    if isinstance(exception, RequestDataTooBig):
        if api:
            return JsonResponse({"detail": too_large_message()}, status=413)
        return render(request, "400.html", {"reason": too_large_message(), "kept": True},
                      status=413)
    if api:
        return JsonResponse({"detail": _refusal(exception)}, status=400)
    # Rendered without the request: with a forged Host, anything that asks for the host
    # (an absolute URL in a context processor) would raise again.
    return HttpResponseBadRequest(render_to_string("400.html", {"reason": _refusal(exception)}))


def server_error(request):
    """handler500: a JSON body under /api/, Django's HTML page everywhere else."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": SERVER_ERROR}, status=500)
    return defaults.server_error(request)


@csrf_exempt  # a POST to no endpoint is a 404, not the CSRF failure page
def not_found(request, *args, **kwargs):
    """A JSON 404 for any address under /api/ that matches no endpoint."""
    return JsonResponse({"detail": "No API endpoint at this address."}, status=404)
