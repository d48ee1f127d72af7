"""Rate limits of the readers' forms and pings: DRF's cache-backed throttles, used by the
public views and the API alike. The client address is REMOTE_ADDR as
newsroom.proxies.TrustedProxyMiddleware leaves it (proxy headers count only from a trusted
proxy), so a client cannot pick the address it is counted under."""

import hashlib
from types import SimpleNamespace

from rest_framework.throttling import SimpleRateThrottle


class AddressThrottle(SimpleRateThrottle):
    """So many requests per client address (rates: settings REST_FRAMEWORK throttle rates)."""

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class ReportAddressThrottle(AddressThrottle):
    scope = "reader_report"


class ReportStoryThrottle(SimpleRateThrottle):
    """So many reports per story from everyone together: a flood from many addresses. Counted
    under a digest of the address's slug, which the API takes as any text: a key every cache
    accepts (memcached refuses spaces, control characters and keys over 250 characters)."""

    scope = "reader_report_story"

    def get_cache_key(self, request, view):
        slug = hashlib.sha256(view.kwargs.get("slug", "").encode()).hexdigest()
        return self.cache_format % {"scope": self.scope, "ident": slug}


class SubscribeThrottle(AddressThrottle):
    scope = "digest_subscribe"


class PageViewThrottle(AddressThrottle):
    scope = "page_view"


REPORT_THROTTLES = (ReportAddressThrottle, ReportStoryThrottle)


def refused(request, throttles, **kwargs) -> int | None:
    """Seconds to wait when one of these throttles refuses the request (None: allowed).
    For views outside DRF: `kwargs` are the URL's (the per-story throttle reads the slug)."""
    view = SimpleNamespace(kwargs=kwargs)
    waits = [throttle.wait() for throttle in (cls() for cls in throttles)
             if not throttle.allow_request(request, view)]
    if not waits:
        return None
    return max(1, int(max(w or 1 for w in waits)))
