"""The reader's verifier, run against a real server: it verifies what is logged, and refuses
plain HTTP, oversized answers and malformed JSON with a clear message."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stories.canonical import PINNED_FIELDS, canonical_bytes
from tests.audit.test_merkle import CONSISTENCY, INCLUSION, LEAVES, ROOTS
from tests.public.helpers import publish_story, republish
from tests.verifier.conftest import VERIFY

# Transactional, so the live server thread sees the data; serialized_rollback brings back the
# roles the migrations made.
LIVE = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _url(live_server, story):
    return live_server.url + story.get_absolute_url()


@pytest.fixture
def story(writer, reviewer, editor):
    return publish_story(writer, reviewer, editor, title="Harbour cranes arrive")


@LIVE
def test_a_published_story_verifies_and_names_its_reviewers(live_server, story, run):
    code, out, err = run(_url(live_server, story), "--allow-http")
    assert (code, err) == (0, "")
    assert out.startswith("verified: revision 1, reviewed by First Reviewer\n")
    assert "first look at this log" in out
    assert json.loads(run.state.read_text())[live_server.url]["tree_head"]["size"] == 1


@LIVE
def test_a_second_publish_grows_the_log_consistently(live_server, story, run, writer,
                                                     reviewer, editor):
    assert run(_url(live_server, story), "--allow-http")[0] == 0
    republish(story, writer, reviewer, editor, body=story.body + " Corrected.")
    publish_story(writer, reviewer, editor, title="Another story")
    code, out, _ = run(_url(live_server, story), "--allow-http")
    assert code == 0
    assert out.startswith("verified: revision 2, reviewed by First Reviewer")
    assert "consistent with the 1-entry log seen" in out


@LIVE
def test_a_retracted_story_still_verifies_and_says_so(live_server, story, run, editor):
    from stories import services

    services.story_retract(story_id=story.pk, user=editor, reason="The source recanted.")
    code, out, _ = run(_url(live_server, story), "--allow-http")
    assert code == 0 and "since been retracted" in out


@LIVE
def test_an_unpublished_address_fails_naming_the_answer(live_server, story, run):
    code, _, err = run(live_server.url + "/stories/nothing-here/", "--allow-http")
    assert code == 1
    assert "FAILED:" in err and "canonical/ answered 404" in err


@LIVE
def test_an_empty_log_is_said_to_be_empty(live_server, run):
    code, _, err = run(live_server.url + "/stories/nothing-here/", "--allow-http")
    assert code == 1 and "is empty: nothing published there is logged yet" in err


@pytest.mark.parametrize("url", ["http://news.example.org/stories/a/",
                                 "ftp://news.example.org/stories/a/"])
def test_a_non_https_address_is_refused_unless_allowed(run, url):
    code, _, err = run(url)
    assert code == 1
    assert "is not an HTTPS address (use --allow-http" in err


def test_an_address_that_is_not_a_story_is_refused(run):
    code, _, err = run("https://news.example.org/about/")
    assert code == 1 and "is not a story address" in err


@LIVE
def test_an_answer_over_the_size_limit_is_refused(live_server, story, run):
    code, _, err = run(_url(live_server, story), "--allow-http", "--max-bytes", "200")
    assert code == 1
    assert "over the limit of 200" in err or "more than 200 bytes" in err


class _Serve(BaseHTTPRequestHandler):
    body = b"{}"
    status = 200
    length: int | None = None  # the Content-Length to claim, when not the body's

    def do_GET(self):  # noqa: N802 - http.server's name
        self.send_response(self.status)
        self.send_header("Content-Type", "application/json")
        if self.path != "/no-length":
            self.send_header("Content-Length", str(self.length or len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args):
        pass


@pytest.fixture
def serving():
    servers = []

    def serve(body: bytes, **answer) -> str:
        handler = type("Handler", (_Serve,), {"body": body, **answer})
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}/stories/some-story/"

    yield serve
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(("body", "message"), [
    (b"{not json", "did not answer valid JSON"),
    (b"\xff\xfe", "did not answer valid JSON"),
    (b"[1, 2]", "the well-known document is not a JSON object"),
    (b'{"keys": []}', "lists no public keys"),
    (b'{"keys": [{"id": "x", "public_key": "%%%"}]}', "not base64"),
    (b'{"keys": [{"id": "0000000000000000", "public_key": '
     b'"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}]}', "not the fingerprint"),
])
def test_a_malformed_answer_is_refused_with_a_clear_message(serving, run, body, message):
    code, _, err = run(serving(body), "--allow-http")
    assert code == 1
    assert message in err


@pytest.mark.parametrize(("body", "message"), [
    (b"[" * 100_000, "did not answer valid JSON"),  # nested deeper than Python's parser goes
    (b'{"keys": 5}', "does not list its keys"),
    (b'{"keys": [5]}', "not base64"),
])
def test_a_hostile_answer_is_refused_with_a_clear_message(serving, run, body, message):
    code, _, err = run(serving(body), "--allow-http")
    assert (code, message in err) == (1, True), err


def test_an_error_answer_nested_too_deep_is_reported_by_its_status(serving, run):
    code, _, err = run(serving(b"[" * 9_000, status=500), "--allow-http")
    assert code == 1 and "answered 500" in err


def test_an_answer_cut_short_is_refused(serving, run):
    code, _, err = run(serving(b'{"keys": []', length=5_000), "--allow-http")
    assert code == 1 and "was cut short: 11 of the 5,000 bytes it announced arrived" in err


def test_a_server_that_does_not_speak_http_is_refused(run):
    import socket

    listener = socket.create_server(("127.0.0.1", 0))

    def babble():
        with listener:
            connection, _ = listener.accept()
            with connection:
                connection.recv(65536)
                connection.sendall(b"hello, this is not HTTP\r\n\r\n")

    threading.Thread(target=babble, daemon=True).start()
    code, _, err = run(f"http://127.0.0.1:{listener.getsockname()[1]}/stories/some-story/",
                       "--allow-http")
    assert code == 1 and "could not fetch" in err


def test_a_forged_key_list_with_a_bad_tree_head_is_refused(serving, run):
    import base64
    import hashlib

    raw = bytes(range(32))
    key = {"id": hashlib.sha256(raw).hexdigest()[:16],
           "public_key": base64.b64encode(raw).decode()}
    head = {"v": 1, "size": 1, "root": "00" * 32, "timestamp": "2026-01-01T00:00:00Z",
            "key": key["id"], "signature": base64.b64encode(b"x" * 64).decode()}
    code, _, err = run(serving(json.dumps({"keys": [key], "tree_head": head}).encode()),
                       "--allow-http")
    assert code == 1 and "signature does not verify" in err


@LIVE
@pytest.mark.parametrize(("state", "message"), [
    ("{broken", "is not valid JSON: fix or remove it"),
    ("[" * 100_000, "is not valid JSON: fix or remove it"),
    ("[]", "is not a JSON object: fix or remove it"),
    ('{"ORIGIN": 5}', "does not hold a tree head and keys for"),
    ('{"ORIGIN": {"keys": 5}}', "does not hold a tree head and keys for"),
])
def test_a_malformed_state_file_is_refused(live_server, story, run, state, message):
    run.state.write_text(state.replace("ORIGIN", live_server.url))
    code, _, err = run(_url(live_server, story), "--allow-http")
    assert code == 1 and message in err


# --- the verifier's own copies of the definitions -------------------------------------------


@pytest.mark.parametrize(("index", "size", "path"), INCLUSION)
def test_its_inclusion_check_accepts_the_rfc_vectors(index, size, path):
    root = VERIFY.root_from_inclusion(index, size, VERIFY.leaf_hash(LEAVES[index]),
                                      [bytes.fromhex(h) for h in path])
    assert root.hex() == ROOTS[size]


@pytest.mark.parametrize(("first", "second", "path"), CONSISTENCY)
def test_its_consistency_check_accepts_the_rfc_vectors(first, second, path):
    VERIFY.check_consistency(first, second, bytes.fromhex(ROOTS[first]),
                             bytes.fromhex(ROOTS[second]), [bytes.fromhex(h) for h in path])


@pytest.mark.parametrize(("first", "second", "path"), CONSISTENCY[1:])
def test_its_consistency_check_refuses_a_flipped_bit(first, second, path):
    hashes = [bytes.fromhex(h) for h in path]
    hashes[-1] = bytes([hashes[-1][0] ^ 16]) + hashes[-1][1:]
    with pytest.raises(VERIFY.Failed):
        VERIFY.check_consistency(first, second, bytes.fromhex(ROOTS[first]),
                                 bytes.fromhex(ROOTS[second]), hashes)


_text = st.text(max_size=40)
_source = st.fixed_dictionaries({name: _text for name in PINNED_FIELDS if name != "snapshot_id"}
                                | {"snapshot_id": st.none() | st.integers(0, 10**9)})


@settings(deadline=None)
@given(title=_text, dek=_text, body=_text, sources=st.lists(_source, max_size=4),
       version=st.sampled_from([1, 2]))
def test_its_canonical_bytes_are_the_newsrooms(title, dek, body, sources, version):
    content = {"title": title, "dek": dek, "body": body, "sources": sources,
               "hash_version": version}
    assert VERIFY.canonical_bytes(content) == canonical_bytes(
        title=title, dek=dek, body=body, sources=sources, version=version)
