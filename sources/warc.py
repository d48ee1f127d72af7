"""WARC files of snapshots (ISO 28500, WARC/1.1), written and read with warcio.

A capture's WARC holds, in order: a `warcinfo` record naming the software; for every hop of the
fetch (each redirect, then the final answer) a `request` record (the request as sent) and a
`response` record (status line and headers as the server sent them, then the payload as
received, still content-encoded); and a `metadata` record, concurrent to the final response,
with the requested and final URLs, the redirect chain and what we extracted. Payload and block
digests are warcio's (sha1, base32), so `warcio check` and every replay tool can verify them.

A snapshot taken before WARCs existed kept only the decoded body, not the headers: its WARC is a
`resource` record (the body as kept) and a `metadata` record saying so, never an invented HTTP
response.

Reading is bounded (MAX_WARC_BYTES of file, MAX_RECORDS records, fetch.MAX_BYTES of payload) and
never raises anything but WarcError, so a damaged or hostile file is a message, not a 500.
"""

from __future__ import annotations

import io
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import version
from urllib.parse import urlsplit

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.statusandheaders import StatusAndHeaders
from warcio.timeutils import datetime_to_iso_date
from warcio.warcwriter import WARCWriter

from . import fetch

SOFTWARE = "Newsroom source preservation"
MAX_RECORDS = 64  # 5 redirects make 14 records; anything far beyond is not ours
MAX_WARC_BYTES = 3 * fetch.MAX_BYTES  # raw body, decoded copy never stored, headers: ample
MIME = "application/warc"


class WarcError(Exception):
    """The WARC is missing, damaged or not one of ours; the message says which."""


@dataclass(frozen=True)
class Capture:
    """What a snapshot's WARC records about the page: for the metadata record."""

    requested_url: str
    final_url: str
    redirects: tuple[str, ...] = ()
    fetched_at: datetime | None = None
    source_key: str = ""
    title: str = ""
    author: str = ""
    published_on: str = ""
    site_name: str = ""
    sha256: str = ""  # of the decoded body we extracted from


@dataclass(frozen=True)
class Replay:
    """The archived answer for a URL, read back from a WARC: decoded payload and its type."""

    target_uri: str
    status_code: int | None
    content_type: str
    body: bytes
    date: str
    record_type: str  # response or resource
    digest_ok: bool


def software() -> str:
    return f"{SOFTWARE} (warcio {version('warcio')})"


def _writer(out: io.BytesIO) -> WARCWriter:
    return WARCWriter(out, gzip=True, warc_version="WARC/1.1")


def _date(when: datetime | None) -> str:
    if when is None:
        return ""
    if when.tzinfo is not None:  # warcio formats naive UTC; an offset would be written twice
        when = when.astimezone(UTC).replace(tzinfo=None)
    return datetime_to_iso_date(when, use_micros=True)


def _warcinfo(writer: WARCWriter, filename: str, description: str) -> str:
    record = writer.create_warcinfo_record(filename, {
        "software": software(),
        "format": "WARC File Format 1.1",
        "conformsTo": "https://iso.org/standard/68004.html",
        "robots": "ignore (a newsroom preserving a source it cites)",
        "description": description,
    })
    writer.write_record(record)
    return record.rec_headers.get_header("WARC-Record-ID")


def _request_line(url: str) -> str:
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return f"GET {target}"


def _framed(exchange: fetch.Exchange) -> bytes:
    """The payload as an HTTP message carries it: httpx removed the chunked framing, so a
    chunked answer is framed again (as one chunk) and the headers stay exactly as received."""
    chunked = any(k.lower() == "transfer-encoding" and "chunked" in v.lower()
                  for k, v in exchange.headers)
    if not chunked:
        return exchange.body
    if not exchange.body:
        return b"0\r\n\r\n"
    return b"%x\r\n%s\r\n0\r\n\r\n" % (len(exchange.body), exchange.body)


def _metadata_fields(capture: Capture, note: str = "") -> bytes:
    rows = [("via", capture.requested_url), ("final-url", capture.final_url)]
    rows += [("redirect", url) for url in capture.redirects]
    rows += [(name, value) for name, value in (
        ("source-key", capture.source_key), ("fetched-at", _date(capture.fetched_at)),
        ("title", capture.title), ("author", capture.author),
        ("published", capture.published_on), ("site-name", capture.site_name),
        ("decoded-body-sha256", capture.sha256), ("note", note),
    ) if value]
    # warc-fields: one "name: value" per line; values never span lines.
    return "".join(f"{name}: {' '.join(str(value).split())}\r\n"
                   for name, value in rows).encode("utf-8")


def write_capture(result: fetch.FetchResult, capture: Capture, filename: str) -> bytes:
    """A WARC (gzip per record) of a fetch that got a page: every hop's request and
    response, then the metadata record."""
    if not result.exchanges:
        raise WarcError("This fetch got no answer, so there is nothing to archive.")
    out = io.BytesIO()
    writer = _writer(out)
    _warcinfo(writer, filename, f"Capture of {capture.requested_url}")
    response_id = ""
    for exchange in result.exchanges:
        date = _date(exchange.started)
        request = writer.create_warc_record(
            exchange.url, "request", payload=io.BytesIO(b""),
            http_headers=StatusAndHeaders(_request_line(exchange.url),
                                          list(exchange.request_headers),
                                          protocol=exchange.http_version, is_http_request=True),
            warc_headers_dict={"WARC-Date": date})
        status = f"{exchange.status_code} {exchange.reason}".strip()
        headers = {"WARC-Date": date}
        if exchange.ip_address:
            headers["WARC-IP-Address"] = exchange.ip_address
        response = writer.create_warc_record(
            exchange.url, "response", payload=io.BytesIO(_framed(exchange)),
            http_headers=StatusAndHeaders(status, list(exchange.headers),
                                          protocol=exchange.http_version),
            warc_headers_dict=headers)
        response_id = response.rec_headers.get_header("WARC-Record-ID")
        request.rec_headers.add_header("WARC-Concurrent-To", response_id)
        writer.write_record(response)
        writer.write_record(request)
    metadata = writer.create_warc_record(
        capture.final_url or capture.requested_url, "metadata",
        payload=io.BytesIO(_metadata_fields(capture)), warc_content_type="application/warc-fields",
        warc_headers_dict={"WARC-Concurrent-To": response_id,
                           "WARC-Date": _date(result.exchanges[-1].started)})
    writer.write_record(metadata)
    return out.getvalue()


def write_conversion(body: bytes, content_type: str, capture: Capture, filename: str) -> bytes:
    """A WARC of a snapshot kept before WARCs: a resource record of the body as kept (its
    headers were not kept, so no response is invented) and a metadata record saying so."""
    out = io.BytesIO()
    writer = _writer(out)
    _warcinfo(writer, filename, f"Conversion of an earlier snapshot of {capture.requested_url}")
    uri = capture.final_url or capture.requested_url
    date = _date(capture.fetched_at)
    resource = writer.create_warc_record(
        uri, "resource", payload=io.BytesIO(body),
        warc_content_type=content_type or "application/octet-stream",
        warc_headers_dict={"WARC-Date": date} if date else None)
    writer.write_record(resource)
    note = ("converted from a snapshot kept before WARC capture: the body is as it was kept "
            "(decoded); the HTTP request and response headers were not recorded")
    metadata = writer.create_warc_record(
        uri, "metadata", payload=io.BytesIO(_metadata_fields(capture, note)),
        warc_content_type="application/warc-fields",
        warc_headers_dict={"WARC-Concurrent-To": resource.rec_headers.get_header(
            "WARC-Record-ID"), **({"WARC-Date": date} if date else {})})
    writer.write_record(metadata)
    return out.getvalue()


def _bounded(stream, limit: int) -> bytes:
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise WarcError(f"The archived payload is larger than {limit:,} bytes.")
    return data


def records(data: bytes) -> list[dict]:
    """Every record's type, target and digest check, in order (bounded): what `warcio check`
    and `warcio index` report, for tests and the admin."""
    if len(data) > MAX_WARC_BYTES:
        raise WarcError(f"The WARC is larger than {MAX_WARC_BYTES:,} bytes.")
    found = []
    try:
        for record in ArchiveIterator(io.BytesIO(data), check_digests=True):
            if len(found) >= MAX_RECORDS:
                raise WarcError(f"The WARC has more than {MAX_RECORDS} records.")
            if record.format != "warc":
                raise WarcError("The file holds ARC records, not WARC records.")
            _bounded(record.content_stream(), MAX_WARC_BYTES)
            checker = record.digest_checker
            found.append({
                "type": record.rec_type,
                "uri": record.rec_headers.get_header("WARC-Target-URI") or "",
                "digest_ok": checker.passed is not False,
                "problems": list(checker.problems),
            })
    except WarcError:
        raise
    except (ArchiveLoadFailed, ValueError, EOFError, OSError, zlib.error, IndexError,
            UnicodeError, TypeError, AttributeError) as exc:
        raise WarcError(f"The WARC cannot be read: {type(exc).__name__}: {exc}") from exc
    if not found or found[0]["type"] != "warcinfo":
        raise WarcError("The WARC does not start with a warcinfo record.")
    return found


def replay(data: bytes, url: str) -> Replay:
    """The archived page for url (or, failing that, the last response or resource in the
    WARC: the final answer), its payload decoded and bounded."""
    if len(data) > MAX_WARC_BYTES:
        raise WarcError(f"The WARC is larger than {MAX_WARC_BYTES:,} bytes.")
    best: Replay | None = None
    count = 0
    try:
        for record in ArchiveIterator(io.BytesIO(data), check_digests=True):
            count += 1
            if count > MAX_RECORDS:
                raise WarcError(f"The WARC has more than {MAX_RECORDS} records.")
            if count == 1 and (record.format != "warc" or record.rec_type != "warcinfo"):
                raise WarcError("The WARC does not start with a warcinfo record.")
            if record.rec_type not in ("response", "resource"):
                continue
            target = record.rec_headers.get_header("WARC-Target-URI") or ""
            body = _bounded(record.content_stream(), fetch.MAX_BYTES)
            if record.rec_type == "response" and record.http_headers is not None:
                status = record.http_headers.get_statuscode()
                status_code = int(status) if status and status.isdigit() else None
                content_type = record.http_headers.get_header("Content-Type") or ""
                if status_code in fetch.REDIRECT_CODES:
                    continue
            else:
                status_code = None
                content_type = record.rec_headers.get_header("Content-Type") or ""
            checker = record.digest_checker
            found = Replay(target, status_code, content_type, body,
                           record.rec_headers.get_header("WARC-Date") or "", record.rec_type,
                           checker.passed is not False)
            if target == url:
                return found
            best = found
    except WarcError:
        raise
    except (ArchiveLoadFailed, ValueError, EOFError, OSError, zlib.error, IndexError,
            UnicodeError, TypeError, AttributeError) as exc:
        raise WarcError(f"The WARC cannot be read: {type(exc).__name__}: {exc}") from exc
    if best is None:
        raise WarcError("The WARC holds no archived page.")
    return best
