"""Find executable script in a rendered page the way a browser's HTML parser would see it."""

import json
import re
import xml.etree.ElementTree as ET  # noqa: S405  # nosec B405 - parses our own responses

from selectolax.lexbor import LexborHTMLParser

URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "poster",
                  "background", "lowsrc", "dynsrc", "codebase", "cite", "longdesc",
                  "manifest", "icon", "ping"}
SCRIPT_SCHEMES = ("javascript:", "data:", "vbscript:")
# What a browser drops or ignores when it reads a URL's scheme (and zero-width characters,
# which some renderers drop too).
_IGNORED_IN_URL = re.compile(r"[\x00-\x20\x7f-\x9f\u200b-\u200f\u2028\u2029\u2060\ufeff]")
# Same-origin scripts that are ours: collected static files, the admin's translation catalogue,
# and the Swagger UI init script.
OWN_SCRIPT_PATHS = ("/static/", "/admin/jsi18n/", "/api/docs/?script=")
DANGEROUS_ELEMENTS = {"iframe", "frame", "frameset", "object", "embed", "applet", "base"}
DATA_SCRIPT_TYPES = {"application/ld+json", "application/json"}
# The one frame we embed: an archived page replayed from its WARC, fully sandboxed (no
# allow-* tokens) and served with a CSP sandbox of its own (stories.source_views.REPLAY_POLICY).
OWN_REPLAY_FRAME = re.compile(r"^/sources/snapshots/[0-9]+/replay/$")


def _own_replay_frame(node) -> bool:
    attrs = node.attributes
    return ((node.tag or "").lower() == "iframe" and "sandbox" in attrs
            and not (attrs.get("sandbox") or "").strip()
            and bool(OWN_REPLAY_FRAME.match(attrs.get("src") or "")))


def script_scheme(url: str) -> str | None:
    """The script scheme a browser would run this URL with, if any."""
    cleaned = _IGNORED_IN_URL.sub("", url or "").lower()
    return next((s for s in SCRIPT_SCHEMES if cleaned.startswith(s)), None)


def _check_script(node, problems: list[str]) -> None:
    attrs = node.attributes
    src = attrs.get("src")
    kind = (attrs.get("type") or "").strip().lower()
    if src is not None:
        if not src.startswith(OWN_SCRIPT_PATHS) or src.startswith("//"):
            problems.append(f"<script src={src!r}>")
        return
    if kind in DATA_SCRIPT_TYPES:
        text = node.text(deep=True)
        if "<" in text:
            problems.append(f"<script type={kind}> holds a raw '<': {text[:120]!r}")
        try:
            json.loads(text)
        except ValueError as exc:
            problems.append(f"<script type={kind}> is not JSON ({exc}): {text[:120]!r}")
        return
    problems.append(f"inline <script>: {node.html[:160]!r}")


def html_problems(html: str) -> list[str]:
    """Script elements that are not ours, event handlers, script URLs and embedding elements."""
    problems: list[str] = []
    tree = LexborHTMLParser(html)
    root = tree.root
    if root is None:
        return problems
    for node in root.traverse(include_text=False):
        tag = (node.tag or "").lower()
        if tag == "script":
            _check_script(node, problems)
        if tag in DANGEROUS_ELEMENTS and not _own_replay_frame(node):
            problems.append(f"<{tag}> element: {node.html[:160]!r}")
        if tag == "meta" and (node.attributes.get("http-equiv") or "").lower() == "refresh":
            problems.append(f"meta refresh: {node.html[:160]!r}")
        for name, value in node.attributes.items():
            lowered = name.lower()
            if lowered.startswith("on"):
                problems.append(f"<{tag} {name}=...> event handler: {node.html[:160]!r}")
            elif lowered in URL_ATTRIBUTES and script_scheme(value or ""):
                problems.append(f"<{tag} {name}={value!r}> script URL")
            elif lowered == "srcset" and any(
                script_scheme(part.strip()) for part in (value or "").split(",")
            ):
                problems.append(f"<{tag} srcset={value!r}> script URL")
            elif lowered == "style" and re.search(r"javascript:|expression\(", value or "", re.I):
                problems.append(f"<{tag} style={value!r}> script in CSS")
    return problems


def text_of(html: str) -> str:
    tree = LexborHTMLParser(html)
    return tree.body.text(deep=True) if tree.body is not None else ""


def json_ld_blocks(html: str) -> list[dict]:
    tree = LexborHTMLParser(html)
    return [json.loads(node.text(deep=True))
            for node in tree.css('script[type="application/ld+json"]')]


def feed_problems(xml: bytes) -> list[str]:
    """RSS readers render <description> as HTML: check each one like a page."""
    problems = []
    root = ET.fromstring(xml)  # noqa: S314  # nosec B314 - our own feed, in a test
    for item in root.iter("item"):
        for field in ("description",):
            for element in item.iter(field):
                problems += [f"feed {field}: {p}" for p in html_problems(element.text or "")]
        for link in item.iter("link"):
            if script_scheme(link.text or ""):
                problems.append(f"feed link {link.text!r}")
    return problems
