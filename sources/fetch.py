"""Fetching a source's URL safely, and extracting its title and main text.

Rules: http(s) only; every host (the first and each redirect hop) is resolved and refused when
any address it resolves to is loopback, private, link-local, reserved, multicast or otherwise not
global, unless settings.SOURCE_FETCH_ALLOW_PRIVATE (or the address is in one of the networks of
settings.SOURCE_FETCH_ALLOW_NETWORKS); at most 5 redirects, followed by hand; a
10 s timeout per operation and overall; a 5 MB cap on the (decoded) body; an honest User-Agent.

The connection is pinned to the address we checked: the request goes to that IP with the real
Host header and, for HTTPS, the real name as SNI and for certificate verification. So a DNS
answer that changes between the check and the connect (DNS rebinding) cannot redirect us.

fetch() never raises: failures come back as FetchResult.error, "<kind>: <reason>", where kind
is one of ERROR_KINDS. Only "network" and "timeout" are worth retrying (is_transient).
"""

from __future__ import annotations

import ipaddress
import socket
import time
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx

MAX_REDIRECTS = 5
TIMEOUT_SECONDS = 10.0
MAX_BYTES = 5 * 1024 * 1024
REDIRECT_CODES = {301, 302, 303, 307, 308}
ERROR_KINDS = ("scheme", "refused", "network", "timeout", "too_many_redirects", "too_large")
TRANSIENT_KINDS = ("network", "timeout")


@dataclass(frozen=True)
class FetchResult:
    """What one fetch got: status and final URL, or the reason it failed."""

    status_code: int | None
    final_url: str
    content_type: str = ""
    body: bytes = b""
    error: str = ""
    redirects: tuple[str, ...] = field(default_factory=tuple)

    @property
    def error_kind(self) -> str:
        return self.error.split(":", 1)[0] if self.error else ""

    @property
    def transient(self) -> bool:
        return is_transient(self.error)


def is_transient(error: str) -> bool:
    """A failure a later retry may cure: the host did not answer (in time)."""
    return bool(error) and error.split(":", 1)[0] in TRANSIENT_KINDS


class Refused(Exception):
    """The URL may not be fetched (scheme or address); carries the error kind."""

    def __init__(self, kind: str, reason: str):
        self.kind = kind
        super().__init__(reason)


def user_agent() -> str:
    from django.conf import settings

    return ("NewsroomBot/1.0 (+source preservation; contact: "
            f"{getattr(settings, 'DEFAULT_FROM_EMAIL', 'newsroom@localhost')})")


def _allow_private_default() -> bool:
    from django.conf import settings

    return bool(getattr(settings, "SOURCE_FETCH_ALLOW_PRIVATE", False))


def allowed_networks() -> tuple:
    """settings.SOURCE_FETCH_ALLOW_NETWORKS as ip_network objects (bad entries are ignored)."""
    from django.conf import settings

    networks = []
    for entry in getattr(settings, "SOURCE_FETCH_ALLOW_NETWORKS", ()) or ():
        try:
            networks.append(ipaddress.ip_network(str(entry).strip(), strict=False))
        except ValueError:
            continue
    return tuple(networks)


def address_is_public(address: str) -> bool:
    """True for a globally routable unicast address."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    mapped = getattr(ip, "ipv4_mapped", None)
    if mapped is not None:
        ip = mapped
    return not (ip.is_loopback or ip.is_private or ip.is_link_local or ip.is_reserved
                or ip.is_multicast or ip.is_unspecified or not ip.is_global)


def _allowed(address: str, networks: tuple) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    return any(ip.version == net.version and ip in net for net in networks)


def resolve(host: str, port: int, *, allow_private: bool,
            networks: tuple = ()) -> list[str]:
    """Resolve host; refuse it when any address is not public (every address is checked),
    unless private addresses are allowed or the address is in an allowed network."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise Refused("network", f"cannot resolve {host}: {exc}") from exc
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not addresses:
        raise Refused("network", f"{host} has no addresses")
    if not allow_private:
        for address in addresses:
            if not address_is_public(address) and not _allowed(address, networks):
                raise Refused("refused", f"{host} resolves to a non-public address ({address})")
    return addresses


def _check_url(url: str) -> tuple[str, str, int]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in {"http", "https"}:
        raise Refused("scheme", f"only http and https links are fetched, not {scheme or '?'}:")
    host = parts.hostname
    if not host:
        raise Refused("scheme", "the link has no host name")
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError as exc:
        raise Refused("scheme", f"bad port in {url}") from exc
    return scheme, host, port


def _pinned_url(url: str, address: str) -> str:
    parts = urlsplit(url)
    host = f"[{address}]" if ":" in address else address
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))


def _host_header(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or ""
    host = f"[{host}]" if ":" in host else host
    return f"{host}:{parts.port}" if parts.port else host


def fetch(url: str, *, allow_private: bool | None = None, max_bytes: int = MAX_BYTES,
          timeout: float = TIMEOUT_SECONDS, max_redirects: int = MAX_REDIRECTS) -> FetchResult:
    """GET url under the rules above; never raises."""
    if allow_private is None:
        allow_private = _allow_private_default()
    networks = () if allow_private else allowed_networks()
    deadline = time.monotonic() + timeout
    redirects: list[str] = []
    current = url
    headers = {"User-Agent": user_agent(), "Accept": "text/html,application/xhtml+xml,"
               "application/pdf,text/plain;q=0.9,*/*;q=0.5", "Accept-Encoding": "gzip, deflate"}
    # trust_env=False: no proxy from the environment, so the pinned address is what we reach.
    with httpx.Client(timeout=httpx.Timeout(timeout), follow_redirects=False,
                      trust_env=False) as client:
        while True:
            try:
                scheme, host, port = _check_url(current)
                addresses = resolve(host, port, allow_private=allow_private, networks=networks)
            except Refused as exc:
                return FetchResult(None, current, error=f"{exc.kind}: {exc}",
                                   redirects=tuple(redirects))
            try:
                response = _get(client, current, addresses, headers, scheme, host, deadline,
                                max_bytes)
            except _Failure as exc:
                return FetchResult(exc.status_code, current, exc.content_type,
                                   error=exc.message, redirects=tuple(redirects))
            status, content_type, body, location = response
            if status in REDIRECT_CODES and location:
                if len(redirects) >= max_redirects:
                    return FetchResult(status, current, content_type,
                                       error=f"too_many_redirects: more than {max_redirects}",
                                       redirects=tuple(redirects))
                current = urljoin(current, location)
                redirects.append(current)
                continue
            return FetchResult(status, current, content_type, body, "", tuple(redirects))


class _Failure(Exception):
    def __init__(self, message: str, status_code: int | None = None, content_type: str = ""):
        super().__init__(message)
        self.message, self.status_code, self.content_type = message, status_code, content_type


def _get(client: httpx.Client, url: str, addresses: list[str], headers: dict, scheme: str,
         host: str, deadline: float, max_bytes: int):
    last_error: Exception | None = None
    for address in addresses:
        if time.monotonic() > deadline:
            raise _Failure("timeout: no answer within the time limit")
        request_headers = dict(headers, Host=_host_header(url))
        extensions = {"sni_hostname": host} if scheme == "https" else {}
        try:
            with client.stream("GET", _pinned_url(url, address), headers=request_headers,
                               extensions=extensions) as response:
                return _read(response, deadline, max_bytes)
        except httpx.ConnectError as exc:
            last_error = exc  # try the next checked address
        except httpx.TimeoutException as exc:
            raise _Failure(f"timeout: {type(exc).__name__} after {TIMEOUT_SECONDS:g} s") from exc
        except httpx.HTTPError as exc:
            raise _Failure(f"network: {type(exc).__name__}: {exc}") from exc
    raise _Failure(f"network: cannot connect to {host}: {last_error}")


def _read(response: httpx.Response, deadline: float, max_bytes: int):
    status = response.status_code
    content_type = response.headers.get("content-type", "")
    location = response.headers.get("location", "")
    if status in REDIRECT_CODES and location:
        return status, content_type, b"", location
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise _Failure(f"too_large: the server announces {int(declared):,} bytes; "
                       f"the cap is {max_bytes:,}", status, content_type)
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > max_bytes:
            raise _Failure(f"too_large: the body passed the {max_bytes:,}-byte cap; "
                           "download stopped", status, content_type)
        if time.monotonic() > deadline:
            raise _Failure("timeout: the body took longer than the time limit", status,
                           content_type)
        chunks.append(chunk)
    return status, content_type, b"".join(chunks), location


# --- text extraction ---------------------------------------------------------------------

DROP_TAGS = ["script", "style", "noscript", "template", "nav", "header", "footer", "aside",
             "form", "svg", "iframe"]
BLOCK_SELECTOR = ("p,li,div,h1,h2,h3,h4,h5,h6,br,tr,td,th,blockquote,section,article,pre,"
                  "figcaption,dd,dt")


@dataclass(frozen=True)
class Extracted:
    """Title and main text of a fetched body; kind is html, text, pdf or other."""

    kind: str
    title: str = ""
    text: str = ""


def media_type(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def _charset(content_type: str) -> str:
    for part in content_type.split(";")[1:]:
        name, _, value = part.strip().partition("=")
        if name.lower() == "charset" and value:
            return value.strip("\"' ")
    return "utf-8"


def _decode(body: bytes, content_type: str) -> str:
    try:
        return body.decode(_charset(content_type), errors="replace")
    except LookupError:
        return body.decode("utf-8", errors="replace")


def _tidy(text: str) -> str:
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def extract_html(html: str) -> Extracted:
    from selectolax.lexbor import LexborHTMLParser

    tree = LexborHTMLParser(html)
    title_node = tree.css_first("title")
    title = " ".join(title_node.text().split()) if title_node else ""
    if not title:
        h1 = tree.css_first("h1")
        title = " ".join(h1.text().split()) if h1 else ""
    tree.strip_tags(DROP_TAGS)
    root = tree.css_first("article") or tree.css_first("main") or tree.body or tree.root
    if root is None:
        return Extracted("html", title[:1000], "")
    # Block boundaries become line breaks; inline markup (<b>6</b>%) stays joined.
    for node in root.css(BLOCK_SELECTOR):
        node.insert_before("\n")
    return Extracted("html", title[:1000], _tidy(root.text(separator="")))


def extract_pdf(body: bytes) -> Extracted:
    import io

    try:
        from pypdf import PdfReader

        reader = PdfReader(io.BytesIO(body))
        title = ""
        if reader.metadata and reader.metadata.title:
            title = str(reader.metadata.title)
        text = "\n".join(page.extract_text() or "" for page in reader.pages)
    except Exception:  # noqa: BLE001 - a damaged PDF is still stored, just without text
        return Extracted("pdf")
    return Extracted("pdf", title[:1000], _tidy(text))


def extract(content_type: str, body: bytes) -> Extracted:
    """Title and main text: HTML (article/main preferred), plain text as is, PDF via pypdf."""
    kind = media_type(content_type)
    if kind in {"text/html", "application/xhtml+xml"} or (
        not kind and body.lstrip()[:15].lower().startswith((b"<!doctype html", b"<html"))
    ):
        return extract_html(_decode(body, content_type))
    if kind == "text/plain":
        return Extracted("text", "", _decode(body, content_type))
    if kind == "application/pdf" or body[:5] == b"%PDF-":
        return extract_pdf(body)
    return Extracted("other")
