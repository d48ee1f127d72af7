import gzip
import io
import subprocess
import sys
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from sources import services, warc
from sources.models import Snapshot
from tests.factories import SourceFactory
from tests.sources.fixture_server import Page, fixture_server, redirect

ARTICLE = ("<html><head><title>Harbour dredging approved</title></head><body><article>"
           "<p>The council approved 1.8 million euros for dredging the harbour.</p>"
           "</article></body></html>")
WARCIO = Path(sys.executable).with_name("warcio")


@pytest.fixture
def site(settings):
    settings.SOURCE_FETCH_ALLOW_PRIVATE = True
    chunked_body = ARTICLE.encode()

    def chunked(handler):
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html; charset=utf-8")
        handler.send_header("Transfer-Encoding", "chunked")
        handler.send_header("X-Served-By", "Harbour-CMS")
        handler.end_headers()
        for part in (chunked_body[:40], chunked_body[40:]):
            handler.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
        handler.wfile.write(b"0\r\n\r\n")

    routes = {
        "/article": Page(ARTICLE, headers={"X-Served-By": "Harbour-CMS", "Set-Cookie": "a=1"}),
        "/gz": Page(gzip.compress(ARTICLE.encode()), headers={"Content-Encoding": "gzip"}),
        "/old": redirect("/moved"), "/moved": redirect("/article", status=301),
        "/chunked": chunked,
        "/binary": Page(bytes(range(256)) * 4000, content_type="application/octet-stream"),
        "/broken": Page("<html><body><p>Unclosed <b><i>tags <table><tr><td>1.8m"
                        "\x00\xff\xfe</scr", content_type="text/html"),
        "/huge": Page(b"<p>" + b"lorem ipsum " * 400_000 + b"</p>"),
    }
    with fixture_server(routes) as (base, server):
        yield base, server


def read(snapshot: Snapshot) -> bytes:
    with snapshot.warc.open("rb") as handle:
        return handle.read()


def records(data: bytes):
    """(record, its content read while iterating): a record's stream ends with the next."""
    return [(record, record.content_stream().read())
            for record in ArchiveIterator(io.BytesIO(data))]


def warcio_check(data: bytes, tmp_path) -> subprocess.CompletedProcess:
    path = tmp_path / "capture.warc.gz"
    path.write_bytes(data)
    return subprocess.run([str(WARCIO), "check", "-v", str(path)], capture_output=True,
                          text=True, timeout=60)


def capture(base, path):
    source = SourceFactory(url=f"{base}{path}")
    return services.source_capture(source_id=source.pk)


def test_capture_writes_warcinfo_request_response_and_metadata(site, db):
    base, _ = site
    snapshot = capture(base, "/article")
    kinds = [(r["type"], r["uri"]) for r in warc.records(read(snapshot))]
    assert kinds == [("warcinfo", ""), ("response", f"{base}/article"),
                     ("request", f"{base}/article"), ("metadata", f"{base}/article")]
    assert len(snapshot.warc_sha256) == 64


def test_warcinfo_names_the_software(site, db):
    base, _ = site
    _, info = records(read(capture(base, "/article")))[0]
    assert b"software: Newsroom source preservation (warcio " in info


def test_response_keeps_the_headers_as_received(site, db):
    base, _ = site
    response, _ = records(read(capture(base, "/article")))[1]
    headers = response.http_headers
    assert headers.get_statuscode() == "200"
    assert headers.get_header("X-Served-By") == "Harbour-CMS"
    assert headers.get_header("Set-Cookie") == "a=1"
    assert headers.get_header("Server").startswith("BaseHTTP")
    assert response.rec_headers.get_header("WARC-IP-Address") == "127.0.0.1"
    assert response.rec_headers.get_header("WARC-Payload-Digest").startswith("sha1:")


def test_request_record_is_the_request_as_sent(site, db):
    base, _ = site
    request, _ = records(read(capture(base, "/article")))[2]
    assert request.http_headers.protocol == "GET"
    assert request.http_headers.statusline.startswith("/article")
    assert request.http_headers.get_header("User-Agent").startswith("NewsroomBot/1.0")


def test_gzip_answer_is_archived_encoded_and_replays_decoded(site, db):
    base, _ = site
    snapshot = capture(base, "/gz")
    response, _ = records(read(snapshot))[1]
    assert response.http_headers.get_header("Content-Encoding") == "gzip"
    page = warc.replay(read(snapshot), snapshot.final_url)
    assert page.body == ARTICLE.encode()
    assert page.digest_ok


def test_redirects_are_recorded_hop_by_hop_and_metadata_names_the_final_url(site, db):
    base, _ = site
    snapshot = capture(base, "/old")
    found = [(r["type"], r["uri"]) for r in warc.records(read(snapshot))]
    assert [uri for kind, uri in found if kind == "response"] == [
        f"{base}/old", f"{base}/moved", f"{base}/article"]
    metadata = records(read(snapshot))[-1][1].decode()
    assert f"final-url: {base}/article" in metadata
    assert f"via: {base}/old" in metadata
    assert f"redirect: {base}/moved" in metadata
    assert warc.replay(read(snapshot), snapshot.final_url).body == ARTICLE.encode()


def test_chunked_answer_keeps_its_transfer_encoding_header_and_replays(site, db):
    base, _ = site
    snapshot = capture(base, "/chunked")
    response, _ = records(read(snapshot))[1]
    assert response.http_headers.get_header("Transfer-Encoding") == "chunked"
    assert warc.replay(read(snapshot), snapshot.final_url).body == ARTICLE.encode()


@pytest.mark.parametrize("path", ["/article", "/gz", "/old", "/chunked", "/binary", "/broken",
                                  "/huge"])
def test_every_capture_passes_warcio_check(site, db, tmp_path, path):
    base, _ = site
    snapshot = capture(base, path)
    assert snapshot.warc, snapshot.error
    result = warcio_check(read(snapshot), tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "digest pass" in result.stdout
    assert all(r["digest_ok"] for r in warc.records(read(snapshot)))


def test_failed_fetch_has_no_warc(site, db, settings):
    settings.SOURCE_FETCH_ALLOW_PRIVATE = False
    base, _ = site
    snapshot = capture(base, "/article")
    assert snapshot.error.startswith("refused")
    assert not snapshot.warc


@pytest.mark.parametrize("data", [
    b"", b"not a warc at all\r\n\r\n",
    gzip.compress(b"WARC/1.1\r\nWARC-Type: response\r\nContent-Length: 99999999\r\n\r\nabc"),
    b"\x1f\x8b\x08\x00" + b"\x00" * 20,
    b"WARC/1.1\r\nWARC-Type: warcinfo\r\nContent-Length: -5\r\n\r\n",
], ids=["empty", "text", "no-warcinfo", "bad-gzip", "negative-length"])
def test_damaged_warcs_replay_as_an_error_message(data):
    with pytest.raises(warc.WarcError, match="^The WARC"):
        warc.replay(data, "https://example.org/")


def test_a_compressed_bomb_in_a_warc_is_refused_not_inflated():
    payload = gzip.compress(b"\0" * (40 * 1024 * 1024))
    http = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Encoding: gzip\r\n\r\n"
    record = (b"WARC/1.1\r\nWARC-Type: response\r\nWARC-Target-URI: https://e.org/\r\n"
              b"WARC-Record-ID: <urn:uuid:1>\r\nWARC-Date: 2026-01-01T00:00:00Z\r\n"
              b"Content-Type: application/http; msgtype=response\r\n"
              b"Content-Length: %d\r\n\r\n" % (len(http) + len(payload)))
    info = (b"WARC/1.1\r\nWARC-Type: warcinfo\r\nWARC-Record-ID: <urn:uuid:0>\r\n"
            b"WARC-Date: 2026-01-01T00:00:00Z\r\nContent-Length: 0\r\n\r\n\r\n\r\n")
    bomb = gzip.compress(info) + gzip.compress(record + http + payload + b"\r\n\r\n")
    with pytest.raises(warc.WarcError, match="larger than"):
        warc.replay(bomb, "https://e.org/")


def test_conversion_writes_a_resource_record_and_says_headers_were_not_kept(db, tmp_path):
    from django.core.files.base import ContentFile

    source = SourceFactory(url="https://example.org/kept")
    snapshot = Snapshot(source=source, requested_url=source.url, final_url=source.url,
                        status_code=200, content_type="text/html; charset=utf-8", sha256="ab")
    snapshot.body.save("kept.html", ContentFile(ARTICLE.encode()), save=False)
    snapshot.save()
    assert services.snapshots_convert_to_warc() == 1
    snapshot.refresh_from_db()
    data = read(snapshot)
    assert [r["type"] for r in warc.records(data)] == ["warcinfo", "resource", "metadata"]
    assert "headers were not recorded" in records(data)[-1][1].decode()
    assert warc.replay(data, source.url).body == ARTICLE.encode()
    assert warcio_check(data, tmp_path).returncode == 0
    assert services.snapshots_convert_to_warc() == 0


def test_archive_snapshots_command_reports_what_it_converted(db):
    from io import StringIO

    from django.core.files.base import ContentFile
    from django.core.management import call_command

    source = SourceFactory(url="https://example.org/old")
    snapshot = Snapshot(source=source, requested_url=source.url, final_url=source.url,
                        status_code=200, content_type="text/html")
    snapshot.body.save("old.html", ContentFile(ARTICLE.encode()), save=False)
    snapshot.save()
    out = StringIO()
    call_command("archive_snapshots", stdout=out)
    assert out.getvalue().strip() == "Converted 1 of 1 snapshots to WARC; 0 left."
    snapshot.refresh_from_db()
    assert snapshot.warc and len(snapshot.warc_sha256) == 64
