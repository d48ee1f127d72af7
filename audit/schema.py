"""The OpenAPI schema of what every API view shares (REST_FRAMEWORK's DEFAULT_SCHEMA_CLASS):
refusals and bounds that follow from a view's own classes are documented from those classes,
so a client generated from the schema knows what the server refuses, and the schema cannot
drift from the code.

- Every throttled operation documents 429 with Retry-After (its throttle classes).
- Every operation with a JSON body documents 413 (BoundedJSONParser's limit) and 415.
- An integer in an API path is a row's id: 1 to audit.api.LARGEST_ID.
- A django-filter text filter's max_length is the parameter's maxLength; a list of objects'
  max_length (`many=True, max_length=…`) is its maxItems.
"""

from drf_spectacular.contrib.django_filters import DjangoFilterExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import is_list_serializer
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse

from .api import ID_SCHEMA, BoundedJSONParser, ErrorSerializer, too_large_message

RETRY_AFTER = OpenApiParameter(
    "Retry-After", OpenApiTypes.INT, OpenApiParameter.HEADER, response=[429],
    description="Seconds to wait before the next request is accepted.",
)
THROTTLED = OpenApiResponse(
    ErrorSerializer, description="Too many requests from this client (or, signing in, too many "
    "failed attempts); wait Retry-After seconds where it is given.")
UNSUPPORTED = OpenApiResponse(
    ErrorSerializer, description="The body is not JSON (send Content-Type: application/json).")


class NewsroomAutoSchema(AutoSchema):
    """drf-spectacular's AutoSchema, plus the refusals every API view's classes imply."""

    def _throttled(self) -> bool:
        return bool(self.view.get_throttles())

    def _reads_bounded_json(self) -> bool:
        return any(isinstance(p, BoundedJSONParser) for p in self.view.get_parsers())

    def get_filter_backends(self):
        # A viewset's filters narrow its list only (audit.api.NewsroomViewSet.filter_queryset);
        # spectacular would offer them on every action answering a list (a story's audit).
        if getattr(self.view, "action", "list") not in (None, "list"):
            return []
        return super().get_filter_backends()

    def get_override_parameters(self):
        parameters = list(super().get_override_parameters())
        if self._throttled():
            parameters.append(RETRY_AFTER)
        return parameters

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "path" and parameter["schema"].get("type") == "integer":
                parameter["schema"].update(ID_SCHEMA)
        responses = operation["responses"]
        if self._throttled() and "429" not in responses:
            responses["429"] = self._get_response_for_code(THROTTLED, "429")
        if "requestBody" in operation:
            if self._reads_bounded_json() and "413" not in responses:
                responses["413"] = self._get_response_for_code(OpenApiResponse(
                    ErrorSerializer, description=too_large_message()), "413")
            responses.setdefault("415", self._get_response_for_code(UNSUPPORTED, "415"))
        operation["responses"] = dict(sorted(responses.items()))
        return operation

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if schema and is_list_serializer(field):
            if field.max_length is not None:
                schema["maxItems"] = field.max_length
            if field.min_length is not None:
                schema["minItems"] = field.min_length
        return schema


class BoundedFilterExtension(DjangoFilterExtension):
    """django-filter's parameters, with a text filter's max_length as its maxLength."""

    priority = 1

    def resolve_filter_field(self, auto_schema, model, filterset_class, field_name, filter_field):
        parameters = super().resolve_filter_field(auto_schema, model, filterset_class,
                                                  field_name, filter_field)
        max_length = filter_field.extra.get("max_length")
        for parameter in parameters:
            if max_length and parameter["schema"].get("type") == "string":
                parameter["schema"]["maxLength"] = max_length
        return parameters
