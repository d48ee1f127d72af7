"""The API's content negotiation (REST_FRAMEWORK's DEFAULT_CONTENT_NEGOTIATION_CLASS): its own
module, as DRF imports it while rest_framework.views is still loading."""

from django.http import Http404
from rest_framework import exceptions
from rest_framework.negotiation import DefaultContentNegotiation


class NewsroomContentNegotiation(DefaultContentNegotiation):
    """DRF's choice of renderer, with refusals that say what the endpoint serves: an unknown
    ?format= is a 404 naming the formats (DRF's bare Http404 read "Not found (or not visible to
    you)"), an Accept no renderer meets a 406 naming the media types."""

    def select_renderer(self, request, renderers, format_suffix=None):
        try:
            return super().select_renderer(request, renderers, format_suffix)
        except Http404:
            # Never the sender's value: it is their text, and may be anything.
            formats = " or ".join(dict.fromkeys(r.format for r in renderers))
            raise exceptions.NotFound(
                f"This endpoint serves no such format: ?format= takes {formats} (or leave it "
                "out).") from None
        except exceptions.NotAcceptable:
            types = ", ".join(dict.fromkeys(r.media_type for r in renderers))
            raise exceptions.NotAcceptable(
                f"This endpoint answers {types}; the Accept header allows none of them.") from None
