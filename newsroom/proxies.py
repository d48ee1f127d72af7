"""Proxy headers count only when they come from a configured proxy.

settings.NEWSROOM_TRUSTED_PROXIES lists the networks of the reverse proxies in front of the
site (empty: none, the site is reached directly). A request from anywhere else has its
X-Forwarded-For and X-Forwarded-Proto removed: a client cannot choose the address that
throttles and the sign-in lockout count, nor claim HTTPS. A request from a proxy gets the
nearest address in X-Forwarded-For that is not itself a proxy as REMOTE_ADDR, so the throttles,
django-axes and the logs all see the client, however it rotates the entries it wrote itself.
"""

import ipaddress
from functools import lru_cache

from django.conf import settings

PROXY_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_HOST",
                 "HTTP_X_REAL_IP", "HTTP_FORWARDED")


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries)


def _ip(value: str):
    try:
        return ipaddress.ip_address(value.strip().strip("[]"))
    except ValueError:
        return None


def _trusted(address, networks) -> bool:
    return address is not None and any(
        address.version == net.version and address in net for net in networks)


def client_ip(meta) -> str:
    """The client's address: REMOTE_ADDR, or behind a trusted proxy the nearest untrusted hop."""
    remote = meta.get("REMOTE_ADDR", "")
    networks = _networks(tuple(getattr(settings, "NEWSROOM_TRUSTED_PROXIES", ()) or ()))
    if not _trusted(_ip(remote), networks):
        return remote
    hops = [hop for hop in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    for hop in reversed(hops):
        address = _ip(hop)
        if address is None:
            break  # garbage the proxy passed on: trust nothing further left
        if not _trusted(address, networks):
            return str(address)
    return remote


class TrustedProxyMiddleware:
    """First of all: REMOTE_ADDR becomes the client's address, and proxy headers are kept
    only from a configured proxy (then X-Forwarded-For is reduced to the client)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        meta = request.META
        networks = _networks(tuple(getattr(settings, "NEWSROOM_TRUSTED_PROXIES", ()) or ()))
        if _trusted(_ip(meta.get("REMOTE_ADDR", "")), networks):
            meta["REMOTE_ADDR"] = client_ip(meta)
            meta.pop("HTTP_X_FORWARDED_FOR", None)  # DRF would key throttles on all of it
        else:
            for header in PROXY_HEADERS:
                meta.pop(header, None)
        return self.get_response(request)
