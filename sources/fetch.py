"""Fetching a source's URL safely, keeping each hop's exchange as received (for its WARC).

Rules: http(s) only; every host (the first and each redirect hop) is resolved and refused when
any address it resolves to is loopback, private, link-local, reserved, multicast or otherwise not
global, unless settings.SOURCE_FETCH_ALLOW_PRIVATE (or the address is in one of the networks of
settings.SOURCE_FETCH_ALLOW_NETWORKS); at most 5 redirects, followed by hand; one 10 s deadline
for the whole exchange (every connect, TLS handshake, header and body read of every hop ends by
it, so a server trickling headers cannot hold a worker); a 5 MB cap on the decoded body, counted
as it is decompressed (at most MAX_ENCODINGS stacked gzip/deflate layers, so a small gzip bomb
never inflates in memory); an honest User-Agent.

The connection is pinned to the address we checked: the request goes to that IP with the real
Host header and, for HTTPS, the real name as SNI and for certificate verification. So a DNS
answer that changes between the check and the connect (DNS rebinding) cannot redirect us.

fetch() never raises: failures come back as FetchResult.error, "<kind>: <reason>", where kind
is one of ERROR_KINDS. Only "network" and "timeout" are worth retrying (is_transient). A
failure after a 2xx or 3xx status line (a body too large, too slow or undecodable) has no
status_code: the server gave no usable answer, and the error names the status it began with.
"""

from __future__ import annotations

import functools
import ipaddress
import socket
import ssl
import time
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpcore
import httpx

MAX_REDIRECTS = 5
TIMEOUT_SECONDS = 10.0
MAX_BYTES = 5 * 1024 * 1024
REDIRECT_CODES = {301, 302, 303, 307, 308}
MAX_ENCODINGS = 2  # "gzip" or "deflate", or one stacked on the other; more is refused
ERROR_KINDS = ("scheme", "refused", "network", "timeout", "too_many_redirects", "too_large")
TRANSIENT_KINDS = ("network", "timeout")


@dataclass(frozen=True)
class Exchange:
    """One HTTP request and its response as they went over the wire (a hop of a fetch): what a
    WARC records. The body is the payload as received (still content-encoded), the headers
    are the server's, in its order and spelling."""

    url: str
    started: datetime
    request_headers: tuple[tuple[str, str], ...]
    http_version: str
    status_code: int
    reason: str
    headers: tuple[tuple[str, str], ...]
    body: bytes = b""
    ip_address: str = ""


@dataclass(frozen=True)
class FetchResult:
    """What one fetch got: status and final URL, or the reason it failed; exchanges holds
    every complete hop (redirects first, the final response last)."""

    status_code: int | None
    final_url: str
    content_type: str = ""
    body: bytes = b""
    error: str = ""
    redirects: tuple[str, ...] = field(default_factory=tuple)
    exchanges: tuple[Exchange, ...] = field(default_factory=tuple)

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
    exchanges: list[Exchange] = []
    current = url
    headers = {"User-Agent": user_agent(), "Accept": "text/html,application/xhtml+xml,"
               "application/pdf,text/plain;q=0.9,*/*;q=0.5", "Accept-Encoding": "gzip, deflate"}
    # trust_env=False: no proxy from the environment, so the pinned address is what we reach.
    with httpx.Client(timeout=httpx.Timeout(timeout), follow_redirects=False, trust_env=False,
                      transport=_DeadlineTransport(deadline)) as client:
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
                status = exc.status_code if (exc.status_code or 0) >= 400 else None
                return FetchResult(status, current, exc.content_type,
                                   error=exc.message, redirects=tuple(redirects))
            status, content_type, body, location, exchange = response
            exchanges.append(exchange)
            if status in REDIRECT_CODES and location:
                if len(redirects) >= max_redirects:
                    return FetchResult(status, current, content_type,
                                       error=f"too_many_redirects: more than {max_redirects}",
                                       redirects=tuple(redirects))
                current = urljoin(current, location)
                redirects.append(current)
                continue
            return FetchResult(status, current, content_type, body, "", tuple(redirects),
                               tuple(exchanges))


class _Failure(Exception):
    def __init__(self, message: str, status_code: int | None = None, content_type: str = ""):
        if status_code is not None and status_code < 400:
            kind, _, reason = message.partition(": ")
            message = f"{kind}: HTTP {status_code}, but {reason}"
        super().__init__(message)
        self.message, self.status_code, self.content_type = message, status_code, content_type


# --- one deadline for the whole exchange ---------------------------------------------------


class _DeadlineStream(httpcore.NetworkStream):
    """A socket whose every read, write and handshake ends by the fetch's deadline: a server
    that sends a byte just before each read timeout still cannot stretch the exchange."""

    def __init__(self, stream: httpcore.NetworkStream, deadline: float):
        self._stream, self._deadline = stream, deadline

    def _left(self, timeout: float | None, error: type[Exception]) -> float:
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise error("the fetch's deadline passed")
        return left if timeout is None else min(timeout, left)

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, self._left(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, self._left(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(self, ssl_context, server_hostname=None, timeout=None):
        stream = self._stream.start_tls(ssl_context, server_hostname,
                                        self._left(timeout, httpcore.ConnectTimeout))
        return _DeadlineStream(stream, self._deadline)

    def get_extra_info(self, info: str):
        return self._stream.get_extra_info(info)


class _DeadlineBackend(httpcore.SyncBackend):
    def __init__(self, deadline: float):
        self._deadline = deadline

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise httpcore.ConnectTimeout("the fetch's deadline passed")
        stream = super().connect_tcp(host, port, left if timeout is None else min(timeout, left),
                                     local_address, socket_options)
        return _DeadlineStream(stream, self._deadline)


class _DeadlineTransport(httpx.HTTPTransport):
    """httpx's own transport over a connection pool on the deadline backend (httpx takes no
    network backend as an argument, so the pool it built is replaced by an equivalent one)."""

    def __init__(self, deadline: float):
        context = _ssl_context()
        super().__init__(verify=context, trust_env=False)
        self._pool = httpcore.ConnectionPool(ssl_context=context,
                                             network_backend=_DeadlineBackend(deadline))


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    """httpx's verifying context (certifi's CAs, no environment overrides), made once a process:
    loading the CA bundle costs about 65 ms, and each fetch used to load it twice."""
    return httpx.create_ssl_context(trust_env=False)


# --- bounded decoding ------------------------------------------------------------------------


class _Inflate:
    """One gzip or deflate layer whose output is bounded: zlib never returns more than asked,
    and the rest of the input waits in unconsumed_tail, so memory stays within the cap."""

    def __init__(self, encoding: str):
        self.encoding = encoding
        self._wbits = 16 + zlib.MAX_WBITS if encoding == "gzip" else zlib.MAX_WBITS
        self._zlib = zlib.decompressobj(self._wbits)
        self._started = False

    def feed(self, data: bytes, room: int) -> bytes:
        """Decode data, returning at most room + 1 bytes (one more means: over the cap)."""
        out = bytearray()
        while data and len(out) <= room:
            try:
                chunk = self._zlib.decompress(data, room + 1 - len(out))
            except zlib.error:
                if self.encoding == "deflate" and not self._started:
                    # Some servers send raw deflate without the zlib header.
                    self._zlib, self._started = zlib.decompressobj(-zlib.MAX_WBITS), True
                    continue
                raise
            self._started = True
            out += chunk
            if self._zlib.eof:
                rest = self._zlib.unused_data
                if not rest:
                    break
                self._zlib = zlib.decompressobj(self._wbits)  # the next gzip member
                data = rest
            else:
                data = self._zlib.unconsumed_tail
        return bytes(out)


def _decoders(content_encoding: str) -> list[_Inflate]:
    layers = [e.strip().lower() for e in content_encoding.split(",") if e.strip()]
    layers = [e for e in layers if e != "identity"]
    if len(layers) > MAX_ENCODINGS:
        raise _Failure(f"refused: {len(layers)} stacked Content-Encodings "
                       f"({content_encoding}); at most {MAX_ENCODINGS} are decoded")
    for layer in layers:
        if layer not in ("gzip", "x-gzip", "deflate"):
            raise _Failure(f"refused: unsupported Content-Encoding {layer}")
    # Applied in the order listed, so decoded from the last one back.
    return [_Inflate("gzip" if e == "x-gzip" else e) for e in reversed(layers)]


def _decode_chunk(decoders: list[_Inflate], data: bytes, room: int) -> bytes:
    for decoder in decoders:
        data = decoder.feed(data, room)
        if len(data) > room:
            break
    return data


def _get(client: httpx.Client, url: str, addresses: list[str], headers: dict, scheme: str,
         host: str, deadline: float, max_bytes: int):
    last_error: Exception | None = None
    for address in addresses:
        if time.monotonic() > deadline:
            raise _Failure("timeout: no answer within the time limit")
        request_headers = dict(headers, Host=_host_header(url))
        extensions = {"sni_hostname": host} if scheme == "https" else {}
        started = datetime.now(UTC)
        try:
            with client.stream("GET", _pinned_url(url, address), headers=request_headers,
                               extensions=extensions) as response:
                status, content_type, body, location, raw = _read(response, deadline,
                                                                  max_bytes)
                sent = tuple((k.decode("latin-1"), v.decode("latin-1"))
                             for k, v in response.request.headers.raw)
                exchange = Exchange(
                    url=url, started=started, request_headers=sent,
                    http_version=response.http_version or "HTTP/1.1", status_code=status,
                    reason=response.reason_phrase or "",
                    headers=tuple((k.decode("latin-1"), v.decode("latin-1"))
                                  for k, v in response.headers.raw),
                    body=raw, ip_address=address.split("%", 1)[0])
                return status, content_type, body, location, exchange
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
        return status, content_type, b"", location, b""
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise _Failure(f"too_large: the server announces {int(declared):,} bytes; "
                       f"the cap is {max_bytes:,}", status, content_type)
    try:
        decoders = _decoders(response.headers.get("content-encoding", ""))
    except _Failure as exc:
        raise _Failure(exc.message, status, content_type) from None
    chunks: list[bytes] = []
    raws: list[bytes] = []  # as received, for the WARC; within the same cap as the decoded body
    size = received = 0
    too_large = _Failure(f"too_large: the body passed the {max_bytes:,}-byte cap (decoded); "
                         "download stopped", status, content_type)
    try:
        # Raw bytes, decoded here: httpx would inflate each chunk whole, however large.
        for raw in response.iter_raw():
            received += len(raw)
            if received > max_bytes:
                raise too_large
            chunk = _decode_chunk(decoders, raw, max_bytes - size)
            size += len(chunk)
            if size > max_bytes:
                raise too_large
            if time.monotonic() > deadline:
                raise _Failure("timeout: the body took longer than the time limit", status,
                               content_type)
            chunks.append(chunk)
            raws.append(raw)
    except zlib.error as exc:
        raise _Failure(f"network: the body is not valid {response.headers['content-encoding']}"
                       f" ({exc})", status, content_type) from exc
    raw_body = b"".join(raws) if decoders else b""  # no encoding: the raw body is the body
    body = b"".join(chunks)
    return status, content_type, body, location, raw_body or body
