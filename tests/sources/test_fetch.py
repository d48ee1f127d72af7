import gzip
import socket
import threading
import time
import tracemalloc
import zlib

import pytest

from sources import extraction, fetch
from tests.sources.fixture_server import Page, fixture_server, redirect

ARTICLE = """<!doctype html><html><head><title>Chip plan  exceeds target</title>
<style>p{color:red}</style><script>var x = "6%";</script></head>
<body><header>Site header</header><nav>Home | World</nav>
<article><h1>Chip plan</h1><p>Shares rose over <b>6</b>% in 2021.</p>
<p>The plan exceeds the 380&nbsp;billion yuan commitment.</p></article>
<aside>Related: 99% off</aside><footer>Copyright</footer></body></html>"""


def _minimal_pdf(text: str) -> bytes:
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = b"%PDF-1.4\n", []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, xref)
    return out


PDF = _minimal_pdf("Exports fell 12 percent")


@pytest.fixture
def server():
    routes = {
        "/article": Page(ARTICLE),
        "/plain": Page("Revenue grew 6 per cent.\n", content_type="text/plain"),
        "/report.pdf": Page(PDF, content_type="application/pdf"),
        "/image.png": Page(b"\x89PNG\r\n\x1a\n....", content_type="image/png"),
        "/moved": redirect("/article", 301),
        "/big": Page(b"x" * (fetch.MAX_BYTES + 1), content_type="text/plain"),
    }
    for hop in range(7):
        routes[f"/loop/{hop}"] = redirect(f"/loop/{hop + 1}")
    with fixture_server(routes) as (base, srv):
        yield base, srv


def test_fetch_ok_page_returns_body_and_sends_honest_user_agent(server, settings):
    base, srv = server
    settings.DEFAULT_FROM_EMAIL = "desk@example.org"
    result = fetch.fetch(f"{base}/article", allow_private=True)
    assert (result.status_code, result.error, result.redirects) == (200, "", ())
    assert result.final_url == f"{base}/article"
    assert b"380&nbsp;billion" in result.body
    user_agent = srv.seen[-1][1]["User-Agent"]
    assert user_agent == ("NewsroomBot/1.0 (+source preservation; contact: desk@example.org)")


def test_fetch_404_is_a_status_not_an_error(server):
    base, _ = server
    result = fetch.fetch(f"{base}/missing", allow_private=True)
    assert result.status_code == 404
    assert result.error == ""


def test_fetch_follows_redirects_and_lists_them(server):
    base, _ = server
    result = fetch.fetch(f"{base}/moved", allow_private=True)
    assert result.status_code == 200
    assert result.final_url == f"{base}/article"
    assert result.redirects == (f"{base}/article",)


def test_fetch_stops_after_five_redirects(server):
    base, _ = server
    result = fetch.fetch(f"{base}/loop/0", allow_private=True)
    assert result.error_kind == "too_many_redirects"
    assert len(result.redirects) == 5
    assert not result.transient


def test_fetch_refuses_loopback_by_default(server, settings):
    base, srv = server
    settings.SOURCE_FETCH_ALLOW_PRIVATE = False
    seen_before = len(srv.seen)
    result = fetch.fetch(f"{base}/article")
    assert result.status_code is None
    assert result.error_kind == "refused"
    assert "127.0.0.1" in result.error
    assert len(srv.seen) == seen_before  # no request left the building


def _fake_dns(mapping, real=socket.getaddrinfo):
    def getaddrinfo(host, port, *args, **kwargs):
        if host in mapping:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))
                    for address in mapping[host]]
        return real(host, port, *args, **kwargs)
    return getaddrinfo


NON_PUBLIC = ["10.0.0.1", "192.168.1.20", "172.16.4.4", "169.254.169.254", "127.0.0.2",
              "0.0.0.0", "224.0.0.1", "100.64.0.1"]  # noqa: S104


@pytest.mark.parametrize("address", NON_PUBLIC)
def test_fetch_refuses_a_host_resolving_to_a_non_public_address(monkeypatch, address):
    monkeypatch.setattr(socket, "getaddrinfo", _fake_dns({"intranet.example.com": [address]}))
    result = fetch.fetch("http://intranet.example.com/secret", allow_private=False)
    assert result.error_kind == "refused"
    assert address in result.error


def test_fetch_checks_every_resolved_address(monkeypatch):
    monkeypatch.setattr(socket, "getaddrinfo",
                        _fake_dns({"mixed.example.com": ["93.184.216.34", "10.0.0.1"]}))
    result = fetch.fetch("https://mixed.example.com/", allow_private=False)
    assert result.error_kind == "refused"
    assert "10.0.0.1" in result.error


def test_fetch_refuses_a_redirect_to_a_private_address(server, monkeypatch):
    base, srv = server
    port = base.rsplit(":", 1)[1]
    srv.routes["/to-private"] = redirect(f"http://metadata.internal:{port}/article")
    # The public host is our local server under a public-looking address; the redirect target
    # resolves to a private one. Pinning sends the first request to 127.0.0.1 as resolved here.
    monkeypatch.setattr(socket, "getaddrinfo", _fake_dns({
        "news.example.com": ["127.0.0.1"], "metadata.internal": ["10.0.0.1"]}))
    monkeypatch.setattr(fetch, "address_is_public", lambda address: address == "127.0.0.1")
    result = fetch.fetch(f"http://news.example.com:{port}/to-private", allow_private=False)
    assert result.error_kind == "refused"
    assert "10.0.0.1" in result.error
    assert result.redirects == (f"http://metadata.internal:{port}/article",)
    assert srv.seen[-1][1]["Host"] == f"news.example.com:{port}"  # pinned, with the real Host


@pytest.mark.parametrize("url", ["ftp://example.com/file", "file:///etc/passwd",
                                 "javascript:alert(1)", "gopher://example.com/", "http:///nohost"])
def test_fetch_refuses_non_http_schemes(url):
    result = fetch.fetch(url, allow_private=True)
    assert result.error_kind == "scheme"
    assert result.status_code is None


def test_fetch_aborts_past_the_size_cap(server):
    base, _ = server
    result = fetch.fetch(f"{base}/big", allow_private=True)
    assert result.error_kind == "too_large"
    assert result.status_code is None  # no usable answer; the error names the status
    assert "HTTP 200" in result.error
    assert result.body == b""


def test_fetch_aborts_a_streamed_body_past_the_cap_without_content_length(server):
    base, srv = server

    def stream(handler):
        handler.send_response(200)
        handler.send_header("Content-Type", "text/plain")
        handler.end_headers()
        handler.close_connection = True
        try:
            for _ in range(40):
                handler.wfile.write(b"y" * 65536)
        except (BrokenPipeError, ConnectionResetError):
            return

    srv.routes["/stream"] = stream
    result = fetch.fetch(f"{base}/stream", allow_private=True, max_bytes=1_000_000)
    assert result.error_kind == "too_large"
    assert result.body == b""


def test_fetch_reports_an_unreachable_host_as_transient():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = fetch.fetch(f"http://127.0.0.1:{port}/", allow_private=True)
    assert result.error_kind == "network"
    assert result.transient


def test_fetch_stores_pdf_bytes_and_extracts_text(server):
    base, _ = server
    result = fetch.fetch(f"{base}/report.pdf", allow_private=True)
    assert result.body.startswith(b"%PDF-")
    extracted = extraction.extract(result.content_type, result.body)
    assert extracted.kind == "pdf"
    assert "Exports fell 12 percent" in extracted.text


def test_extract_html_prefers_article_and_drops_chrome():
    extracted = extraction.extract("text/html; charset=utf-8", ARTICLE.encode())
    assert extracted.kind == "html"
    assert extracted.title == "Chip plan"  # the headline, not the <title> with its suffix
    assert "Shares rose over 6% in 2021." in extracted.text
    assert "380 billion yuan commitment" in extracted.text
    for chrome in ("Site header", "Home | World", "99% off", "Copyright", "var x", "color:red"):
        assert chrome not in extracted.text


def test_extract_plain_text_is_kept_as_is():
    assert extraction.extract("text/plain", b"Revenue grew 6 per cent.\n").text == (
        "Revenue grew 6 per cent.\n")


def test_extract_other_types_are_recorded_without_text():
    extracted = extraction.extract("image/png", b"\x89PNG....")
    assert (extracted.kind, extracted.text) == ("other", "")


@pytest.mark.parametrize("address, public", [
    ("93.184.216.34", True), ("2606:2800:220:1::1", True), ("10.1.2.3", False),
    ("::1", False), ("fe80::1%eth0", False), ("::ffff:10.0.0.1", False), ("240.0.0.1", False),
])
def test_address_is_public(address, public):
    assert fetch.address_is_public(address) is public


def test_fetch_allows_listed_networks_and_still_refuses_others(server, settings, monkeypatch):
    base, srv = server
    settings.SOURCE_FETCH_ALLOW_PRIVATE = False
    settings.SOURCE_FETCH_ALLOW_NETWORKS = ["127.0.0.0/8", "not a network"]
    assert fetch.fetch(f"{base}/article").status_code == 200
    port = base.rsplit(":", 1)[1]
    srv.routes["/to-private"] = redirect(f"http://metadata.internal:{port}/article")
    monkeypatch.setattr(socket, "getaddrinfo", _fake_dns({"metadata.internal": ["10.0.0.1"]}))
    result = fetch.fetch(f"{base}/to-private")
    assert result.error_kind == "refused"


def test_fetch_pins_https_to_the_checked_address_with_the_real_name(monkeypatch):
    monkeypatch.setattr(socket, "getaddrinfo",
                        _fake_dns({"news.example.com": ["93.184.216.34"]}))
    sent = {}

    class Stop(Exception):
        pass

    def stream(self, method, url, headers=None, extensions=None):
        sent.update(url=url, host=headers["Host"], extensions=extensions)
        raise Stop

    monkeypatch.setattr(fetch.httpx.Client, "stream", stream)
    with pytest.raises(Stop):
        fetch.fetch("https://news.example.com/a?b=1#frag", allow_private=False)
    assert sent == {"url": "https://93.184.216.34/a?b=1", "host": "news.example.com",
                    "extensions": {"sni_hostname": "news.example.com"}}


# --- limits kept whatever the server does (issue 12) ---------------------------------------


def gzip_bomb(decoded_size: int, layers: int) -> bytes:
    """decoded_size zero bytes, gzipped `layers` times (two layers: a couple of KB)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = bytes(1024 * 1024)
    data = b"".join(compressor.compress(block) for _ in range(decoded_size // len(block)))
    data += compressor.flush()
    for _ in range(layers - 1):
        data = gzip.compress(data, 9)
    return data


def encoded(body: bytes, encoding: str):
    return Page(body, content_type="text/plain", headers={"Content-Encoding": encoding})


def test_fetch_decodes_gzip_and_deflate_bodies(server):
    base, srv = server
    text = b"Revenue grew 6 per cent.\n" * 100
    srv.routes["/gz"] = encoded(gzip.compress(text), "gzip")
    srv.routes["/zlib"] = encoded(zlib.compress(text), "deflate")
    raw = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    srv.routes["/raw"] = encoded(raw.compress(text) + raw.flush(), "deflate")
    srv.routes["/two"] = encoded(gzip.compress(gzip.compress(text)), "gzip, gzip")
    for path in ("/gz", "/zlib", "/raw", "/two"):
        result = fetch.fetch(f"{base}{path}", allow_private=True)
        assert (result.error, result.body) == ("", text), path


def test_fetch_stops_a_stacked_gzip_bomb_at_the_cap_without_inflating_it(server):
    base, srv = server
    bomb = gzip_bomb(256 * 1024 * 1024, layers=2)  # 256 MiB of zeros, 50 times the cap
    assert len(bomb) < 20_000
    srv.routes["/bomb"] = encoded(bomb, "gzip, gzip")
    tracemalloc.start()
    try:
        result = fetch.fetch(f"{base}/bomb", allow_private=True)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.error_kind == "too_large"
    assert "decoded" in result.error
    assert (result.status_code, result.body) == (None, b"")
    assert peak < 4 * fetch.MAX_BYTES, f"peak {peak:,} bytes"


def test_fetch_refuses_more_stacked_encodings_than_it_decodes(server):
    base, srv = server
    srv.routes["/three"] = encoded(gzip.compress(gzip.compress(gzip.compress(b"x"))),
                                   "gzip, gzip, gzip")
    srv.routes["/br"] = encoded(b"\x0b\x00\x80", "br")
    three = fetch.fetch(f"{base}/three", allow_private=True)
    assert three.error_kind == "refused" and "stacked" in three.error
    assert three.status_code is None
    assert fetch.fetch(f"{base}/br", allow_private=True).error_kind == "refused"


def trickle(seconds_per_line: float, lines: int):
    def respond(handler):
        handler.wfile.write(b"HTTP/1.1 200 OK\r\n")
        try:
            for number in range(lines):
                handler.wfile.write(f"X-Slow-{number}: 1\r\n".encode())
                handler.wfile.flush()
                time.sleep(seconds_per_line)
            handler.wfile.write(b"Content-Length: 2\r\n\r\nok")
        except (BrokenPipeError, ConnectionResetError):
            pass
    return respond


def test_fetch_deadline_covers_headers_trickled_one_line_at_a_time(server):
    base, srv = server
    srv.routes["/trickle"] = trickle(0.3, 40)  # 12 s of headers, each line within the timeout
    started = time.monotonic()
    result = fetch.fetch(f"{base}/trickle", allow_private=True, timeout=2.0)
    elapsed = time.monotonic() - started
    assert result.error_kind == "timeout"
    assert result.transient
    assert elapsed < 4.0, f"the fetch took {elapsed:.1f} s against a 2 s deadline"


def test_fetch_deadline_covers_a_body_trickled_byte_by_byte(server):
    base, srv = server

    def slow_body(handler):
        handler.send_response(200)
        handler.send_header("Content-Type", "text/plain")
        handler.send_header("Content-Length", "100")
        handler.end_headers()
        try:
            for _ in range(100):
                handler.wfile.write(b"x")
                handler.wfile.flush()
                time.sleep(0.2)
        except (BrokenPipeError, ConnectionResetError):
            pass

    srv.routes["/slow-body"] = slow_body
    started = time.monotonic()
    result = fetch.fetch(f"{base}/slow-body", allow_private=True, timeout=2.0)
    assert result.error_kind == "timeout"
    assert result.status_code is None
    assert time.monotonic() - started < 4.0


def test_fetch_deadline_covers_a_server_that_never_answers():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    accepted = []
    thread = threading.Thread(target=lambda: accepted.append(listener.accept()), daemon=True)
    thread.start()
    try:
        started = time.monotonic()
        result = fetch.fetch(f"http://127.0.0.1:{listener.getsockname()[1]}/", timeout=1.0,
                             allow_private=True)
        assert result.error_kind == "timeout"
        assert time.monotonic() - started < 3.0
    finally:
        for conn, _ in accepted:
            conn.close()
        listener.close()


def test_fetch_reaches_an_ipv6_literal_url():
    try:
        probe = socket.socket(socket.AF_INET6)
        probe.bind(("::1", 0))
        probe.close()
    except OSError:
        pytest.skip("no IPv6 loopback on this machine")
    with fixture_server({"/v6": Page(ARTICLE)}, host="::1") as (base, _):
        assert base.startswith("http://[::1]:")
        result = fetch.fetch(f"{base}/v6", allow_private=True)
    assert (result.status_code, result.error) == (200, "")
    assert b"Chip plan" in result.body
