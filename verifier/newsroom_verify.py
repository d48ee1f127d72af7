#!/usr/bin/env python3
"""Check a published story against the newsroom's public transparency log, trusting nothing the
newsroom runs: only Python's standard library and the `cryptography` package.

    python newsroom_verify.py https://news.example.org/stories/some-story/

It fetches the story's canonical content from the public API and recomputes its SHA-256; finds
the log entry that published that revision and recomputes the entry's leaf hash; checks the
inclusion proof against the log's signed tree head and that head's Ed25519 signature; and
checks that the head is consistent with the last one it saw (kept in a state file, as a
Certificate Transparency monitor does), so a log rewritten since is caught. It exits 0 and
prints "verified: revision N, reviewed by ..." or exits 1 naming what failed (2: bad usage).

The bytes, hashes, proofs and keys it checks are defined in docs/transparency.md; the Merkle
algorithms are RFC 9162's, written out here on purpose rather than imported from the newsroom's
code, so that a bug there is not repeated here.
"""

import argparse
import base64
import binascii
import contextlib
import hashlib
import http.client
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

try:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
except ImportError:  # pragma: no cover - said plainly instead of a traceback
    sys.exit("newsroom_verify needs the cryptography package: pip install cryptography")

WELL_KNOWN = "/.well-known/newsroom-transparency.json"
TREE_HEAD_CONTEXT = b"newsroom-transparency-tree-head-v1\n"
PUBLISHING = ("publish", "correction", "update")
PINNED_FIELDS = ("key", "kind", "title", "outlet", "author", "published_on", "url",
                 "description", "snapshot_id", "snapshot_sha256", "snapshot_fetched_at")
DEFAULT_STATE = Path.home() / ".newsroom-verify.json"
DEFAULT_MAX_BYTES = 5_000_000


class Failed(Exception):
    """Verification failed; the message says exactly what."""


# --- hashes (RFC 9162 2.1) ------------------------------------------------------------------


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def leaf_hash(entry: bytes) -> bytes:
    return sha256(b"\x00" + entry)


def node_hash(left: bytes, right: bytes) -> bytes:
    return sha256(b"\x01" + left + right)


def root_from_inclusion(index: int, size: int, leaf: bytes, path: list[bytes]) -> bytes:
    """RFC 9162 2.1.3.2: the root the audit path leads to (Failed when it cannot)."""
    if not 0 <= index < size:
        raise Failed(f"entry {index} cannot be in a tree of {size} entries")
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            raise Failed("the inclusion proof is too long")
        if fn % 2 == 1 or fn == sn:
            r = node_hash(p, r)
            while fn % 2 == 0 and fn != 0:
                fn, sn = fn // 2, sn // 2
        else:
            r = node_hash(r, p)
        fn, sn = fn // 2, sn // 2
    if sn != 0:
        raise Failed("the inclusion proof is too short")
    return r


def check_consistency(first: int, second: int, first_root: bytes, second_root: bytes,
                      path: list[bytes]) -> None:
    """RFC 9162 2.1.4.2: Failed unless the later tree extends the earlier one."""
    if first > second:
        raise Failed(f"the log shrank from {first} to {second} entries")
    if first == second:
        if path or first_root != second_root:
            raise Failed(f"the log has a different root for the same size {first}: it was "
                         "rewritten")
        return
    if first == 0:
        if path:
            raise Failed("a consistency proof from an empty log must be empty")
        return
    if not path:
        raise Failed("the consistency proof is empty")
    if first & (first - 1) == 0:
        path = [first_root, *path]
    fn, sn = first - 1, second - 1
    while fn % 2 == 1:
        fn, sn = fn // 2, sn // 2
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise Failed("the consistency proof is too long")
        if fn % 2 == 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while fn % 2 == 0 and fn != 0:
                fn, sn = fn // 2, sn // 2
        else:
            sr = node_hash(sr, c)
        fn, sn = fn // 2, sn // 2
    if sn != 0:
        raise Failed("the consistency proof is too short")
    if fr != first_root or sr != second_root:
        raise Failed(f"the log of {second} entries is not an extension of the log of {first} "
                     "entries seen before: entries were changed, removed or reordered")


# --- canonical content (docs/transparency.md) -----------------------------------------------


def _json_bytes(value) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def canonical_bytes(content: dict) -> bytes:
    """The exact bytes a revision's content hash covers."""
    version = content.get("hash_version")
    try:
        title, dek, body, sources = (content["title"], content["dek"], content["body"],
                                     content["sources"])
        if version == 1:
            return _json_bytes({"title": title, "dek": dek, "body": body,
                                "sources": [s["key"] for s in sources]})
        if version == 2:
            return _json_bytes({"v": 2, "title": title, "dek": dek, "body": body,
                                "sources": [{n: s.get(n) for n in PINNED_FIELDS}
                                            for s in sources]})
    except (KeyError, TypeError, AttributeError) as exc:
        raise Failed(f"the canonical content is malformed ({exc!r} is missing or wrong)") from exc
    raise Failed(f"the canonical content has a hash version this verifier does not know: "
                 f"{version!r}")


# --- fetching -------------------------------------------------------------------------------


class _Redirects(urllib.request.HTTPRedirectHandler):
    def __init__(self, allow_http: bool):
        self.allow_http = allow_http

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        if urllib.parse.urlsplit(newurl).scheme != "https" and not self.allow_http:
            raise Failed(f"{req.full_url} redirects to {newurl}, which is not HTTPS")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


class Client:
    """GETs JSON: HTTPS only unless allowed, at most max_bytes, a clear message on any fault."""

    def __init__(self, *, allow_http: bool, max_bytes: int, timeout: float):
        self.allow_http, self.max_bytes, self.timeout = allow_http, max_bytes, timeout
        self.opener = urllib.request.build_opener(_Redirects(allow_http))

    def check_url(self, url: str) -> None:
        scheme = urllib.parse.urlsplit(url).scheme
        if scheme != "https" and not (self.allow_http and scheme == "http"):
            raise Failed(f"{url} is not an HTTPS address (use --allow-http to check a local "
                         "test server)")

    def get(self, url: str):
        self.check_url(url)
        # check_url allowed only https (or http when asked): no file: or other schemes.
        request = urllib.request.Request(url, headers={  # noqa: S310
            "Accept": "application/json", "User-Agent": "newsroom-verify/1"})
        try:
            with self.opener.open(request, timeout=self.timeout) as answer:  # noqa: S310
                length = answer.headers.get("Content-Length")
                if length and length.isdigit() and int(length) > self.max_bytes:
                    raise Failed(f"{url} answered {int(length):,} bytes, over the limit of "
                                 f"{self.max_bytes:,} (--max-bytes)")
                body = answer.read(self.max_bytes + 1)
                if length and length.isdigit() and len(body) < int(length):
                    raise Failed(f"{url} was cut short: {len(body):,} of the {int(length):,} "
                                 "bytes it announced arrived")
        except urllib.error.HTTPError as exc:
            detail = ""
            with contextlib.suppress(ValueError, AttributeError, RecursionError, OSError,
                                     http.client.HTTPException):
                detail = json.loads(exc.read(10_000)).get("detail", "")
            raise Failed(f"{url} answered {exc.code}" + (f": {detail}" if detail else "")) \
                from exc
        except (urllib.error.URLError, OSError, ValueError, http.client.HTTPException) as exc:
            # HTTPException: not HTTP at all (BadStatusLine), or cut short (IncompleteRead).
            reason = getattr(exc, "reason", None) or repr(exc)
            raise Failed(f"could not fetch {url}: {reason}") from exc
        if len(body) > self.max_bytes:
            raise Failed(f"{url} answered more than {self.max_bytes:,} bytes (--max-bytes)")
        try:
            return parse_json(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise Failed(f"{url} did not answer valid JSON ({exc})") from exc


def parse_json(text: str):
    """json.loads, with JSON nested too deep for Python's parser refused as invalid (a
    ValueError, like any other malformed JSON) rather than raising RecursionError."""
    try:
        return json.loads(text)
    except RecursionError as exc:
        raise ValueError("it is nested too deep") from exc


def _field(data, name: str, kind, where: str):
    value = data.get(name) if isinstance(data, dict) else None
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise Failed(f"{where} has no valid {name!r}")
    return value


def _hashes(values, where: str) -> list[bytes]:
    if not isinstance(values, list):
        raise Failed(f"{where} is not a list of hashes")
    try:
        found = [bytes.fromhex(v) for v in values]
    except (TypeError, ValueError) as exc:
        raise Failed(f"{where} holds something that is not hex") from exc
    if any(len(h) != 32 for h in found):
        raise Failed(f"{where} holds something that is not a SHA-256 hash")
    return found


# --- keys and tree heads --------------------------------------------------------------------


def key_id(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()[:16]


def read_keys(document: dict) -> dict[str, bytes]:
    """The published public keys by id; an id that is not its key's fingerprint is refused."""
    keys = {}
    listed = document.get("keys") or []
    if not isinstance(listed, list):
        raise Failed("the well-known document does not list its keys")
    for item in listed:
        try:
            raw = base64.b64decode(item["public_key"], validate=True)
        except (KeyError, TypeError, binascii.Error, ValueError) as exc:
            raise Failed("the well-known document lists a key that is not base64") from exc
        if len(raw) != 32 or item.get("id") != key_id(raw):
            raise Failed(f"the well-known document lists key {item.get('id')!r}, whose id is "
                         "not the fingerprint of its public key")
        keys[item["id"]] = raw
    if not keys:
        raise Failed("the well-known document lists no public keys")
    return keys


def check_tree_head(head, keys: dict[str, bytes], where: str) -> dict:
    """The tree head, once its signature checks out with one of `keys`."""
    size = _field(head, "size", int, where)
    root, timestamp = _field(head, "root", str, where), _field(head, "timestamp", str, where)
    key, signature = _field(head, "key", str, where), _field(head, "signature", str, where)
    if head.get("v") != 1 or size < 1:
        raise Failed(f"{where} is not a version 1 tree head of a non-empty log")
    _hashes([root], f"{where}'s root")
    if key not in keys:
        raise Failed(f"{where} is signed with key {key!r}, which is not one of the log's keys")
    message = TREE_HEAD_CONTEXT + _json_bytes(
        {"key": key, "root": root, "size": size, "timestamp": timestamp, "v": 1})
    try:
        Ed25519PublicKey.from_public_bytes(keys[key]).verify(
            base64.b64decode(signature, validate=True), message)
    except (binascii.Error, ValueError, InvalidSignature) as exc:
        raise Failed(f"{where}: its signature does not verify with key {key}") from exc
    return head


# --- state (the last tree head seen, per log) -----------------------------------------------


def load_state(path: Path) -> dict:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise Failed(f"cannot read the state file {path}: {exc}") from exc
    try:
        state = parse_json(text)
    except ValueError as exc:
        raise Failed(f"the state file {path} is not valid JSON: fix or remove it") from exc
    if not isinstance(state, dict):
        raise Failed(f"the state file {path} is not a JSON object: fix or remove it")
    return state


def save_state(path: Path, state: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(state, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(temporary, path)


# --- the check ------------------------------------------------------------------------------


def _story(url: str) -> tuple[str, str, str]:
    parts = urllib.parse.urlsplit(url)
    segments = [s for s in parts.path.split("/") if s]
    if not parts.netloc or len(segments) != 2 or segments[0] != "stories":
        raise Failed(f"{url} is not a story address (https://host/stories/<slug>/)")
    return f"{parts.scheme}://{parts.netloc}", segments[1], f"/stories/{segments[1]}/"


def verify(url: str, *, client: Client, state_path: Path) -> str:
    """Check the story at `url`; return the line to print, or raise Failed."""
    client.check_url(url)
    origin, slug, path = _story(url)
    document = client.get(origin + WELL_KNOWN)
    if not isinstance(document, dict):
        raise Failed("the well-known document is not a JSON object")
    keys = read_keys(document)
    state = load_state(state_path)
    seen = state.get(origin)
    if seen is not None and not (isinstance(seen, dict)
                                 and isinstance(seen.get("keys", {}), dict)):
        raise Failed(f"the state file {state_path} does not hold a tree head and keys for "
                     f"{origin}: fix or remove it")
    if seen is not None:
        dropped = sorted(set(seen.get("keys", {})) - set(keys))
        if dropped:
            raise Failed(f"the log no longer publishes key(s) {', '.join(dropped)} seen before: "
                         "old keys must stay published")
    if document.get("tree_head") is None:
        raise Failed(f"the log at {origin} is empty: nothing published there is logged yet")
    head = check_tree_head(document.get("tree_head"), keys, "the current tree head")
    endpoints = document.get("endpoints") if isinstance(document.get("endpoints"), dict) else {}
    for name in ("entries", "inclusion_proof", "consistency_proof", "story_canonical"):
        if not isinstance(endpoints.get(name), str):
            raise Failed(f"the well-known document does not say where {name!r} is")
        client.check_url(endpoints[name])

    content = client.get(endpoints["story_canonical"].replace("{slug}", urllib.parse.quote(slug)))
    revision = _field(content, "revision", int, "the canonical content")
    computed = hashlib.sha256(canonical_bytes(content)).hexdigest()
    refs = content.get("transparency")
    if not isinstance(refs, list):
        raise Failed("the canonical content does not list the story's log entries")
    entry_ref = next((r for r in refs if isinstance(r, dict) and r.get("revision") == revision
                      and r.get("kind") in PUBLISHING), None)
    if entry_ref is None:
        raise Failed(f"revision {revision} of {path} is published but has no entry in the "
                     "transparency log: it went public without being logged")
    index = _field(entry_ref, "entry", int, "the story's log entry")
    if index >= head["size"]:
        raise Failed(f"log entry {index} is not under the signed tree head "
                     f"({head['size']} entries)")

    page = client.get(f"{endpoints['entries']}?start={index}&limit=1")
    rows = page.get("entries") if isinstance(page, dict) else None
    if not isinstance(rows, list) or not rows or not isinstance(rows[0], dict) \
            or rows[0].get("index") != index:
        raise Failed(f"the log did not return entry {index}")
    data = _field(rows[0], "data", str, f"log entry {index}")
    try:
        entry = parse_json(data)
    except ValueError as exc:
        raise Failed(f"log entry {index} is not valid JSON") from exc
    if not isinstance(entry, dict):
        raise Failed(f"log entry {index} is not a JSON object")
    if (entry.get("story"), entry.get("revision")) != (path, revision) \
            or entry.get("kind") not in PUBLISHING:
        raise Failed(f"log entry {index} records {entry.get('kind')!r} of revision "
                     f"{entry.get('revision')!r} of {entry.get('story')!r}, not the "
                     f"publication of revision {revision} of {path}")
    if entry.get("content_hash") != computed:
        raise Failed(f"the text served for revision {revision} of {path} hashes to "
                     f"{computed}, but the log recorded {entry.get('content_hash')} when it "
                     "was published: it was changed after publication")

    proof = client.get(f"{endpoints['inclusion_proof']}?index={index}&size={head['size']}")
    path_hashes = _hashes(proof.get("path") if isinstance(proof, dict) else None,
                          "the inclusion proof")
    root = root_from_inclusion(index, head["size"], leaf_hash(data.encode("utf-8")), path_hashes)
    if root.hex() != head["root"]:
        raise Failed(f"log entry {index} is not in the signed tree of {head['size']} entries: "
                     "its inclusion proof leads to another root (the entry was altered or "
                     "moved)")

    notes = []
    if seen is not None:
        before = check_tree_head(seen.get("tree_head"), keys,
                                 f"the tree head seen before (in {state_path})")
        if before["size"] > head["size"]:
            raise Failed(f"the log shrank: {head['size']} entries now, {before['size']} when "
                         f"last seen ({before['timestamp']})")
        if before["size"] == head["size"]:
            check_consistency(before["size"], head["size"], bytes.fromhex(before["root"]),
                              bytes.fromhex(head["root"]), [])
        else:
            found = client.get(f"{endpoints['consistency_proof']}?first={before['size']}"
                               f"&second={head['size']}")
            check_consistency(before["size"], head["size"], bytes.fromhex(before["root"]),
                              bytes.fromhex(head["root"]),
                              _hashes(found.get("path") if isinstance(found, dict) else None,
                                      "the consistency proof"))
        notes.append(f"consistent with the {before['size']}-entry log seen "
                     f"{before['timestamp']}")
    else:
        notes.append(f"first look at this log: its head is saved in {state_path}")
    new_keys = {k: base64.b64encode(v).decode() for k, v in keys.items()}
    state[origin] = {"tree_head": head, "keys": new_keys}
    save_state(state_path, state)

    retracted = any(isinstance(r, dict) and r.get("kind") == "retraction"
                    and r.get("revision") == revision for r in refs)
    reviewers = entry.get("reviewers") if isinstance(entry.get("reviewers"), list) else []
    line = (f"verified: revision {revision}, reviewed by "
            f"{', '.join(map(str, reviewers)) or 'nobody named'}")
    details = [f"log entry #{index} of {head['size']}, SHA-256 {computed}", *notes]
    if retracted:
        details.append("the story has since been retracted (see its page)")
    return line + "\n  " + "\n  ".join(details)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Check a published story against the newsroom's transparency log.")
    parser.add_argument("url", help="the story's address, https://host/stories/<slug>/")
    parser.add_argument("--state", type=Path, default=DEFAULT_STATE,
                        help=f"where the last tree head seen is kept (default {DEFAULT_STATE})")
    parser.add_argument("--allow-http", action="store_true",
                        help="accept plain HTTP (a local test server only)")
    parser.add_argument("--max-bytes", type=int, default=DEFAULT_MAX_BYTES,
                        help=f"refuse any answer larger than this (default {DEFAULT_MAX_BYTES:,})")
    parser.add_argument("--timeout", type=float, default=20.0, help="seconds per request")
    args = parser.parse_args(argv)
    if args.max_bytes < 1 or args.timeout <= 0:
        parser.error("--max-bytes and --timeout must be positive")
    client = Client(allow_http=args.allow_http, max_bytes=args.max_bytes, timeout=args.timeout)
    try:
        print(verify(args.url, client=client, state_path=args.state))
    except Failed as exc:
        print(f"FAILED: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
