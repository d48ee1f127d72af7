"""The public story page, rendered once per live revision and served without templates.

Stored in ``Revision.page`` (JSON), with placeholders for the CSP nonce and the site origin:
the <head> tags with the JSON-LD, the article around the body (header, byline, reviewers,
retraction, corrections, the numbered source list) and the public API's detail fields.
Read per request: the story row joined to its live revision's id and one aggregate over the
cited sources (latest ``updated_at`` and count), which make the stamp. The body HTML (the
revision's own ``html``, sanitised when the revision was saved) and the stored page are read
only when this process holds no copy for that (revision, stamp): see ``_Memo``.

The stored page carries a stamp; a reader who meets a different stamp rebuilds it (and
``tasks.page_published`` rebuilds it ahead of readers on publish, correction and retraction).
The stamp covers:
- the templates, the site name and FORMAT_VERSION (a deploy that changes the markup);
- ``Story.updated_at``: every workflow step, edit, author change and retraction saves the story;
- the cited sources' latest ``updated_at`` and their count: title, outlet, URL and health edits
  (link checks save ``health`` with ``updated_at``), so the broken-link notes and the
  archived-first order follow the library.
Not covered, by choice: a later change to an author's or reviewer's display name (shown as
of the last publish or story edit), and snapshots. Only snapshots taken at or before the
approval are linked, so a later capture cannot change the page; a deleted snapshot's link
stays until the next rebuild and then answers 404.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import sys
import threading
from collections import OrderedDict
from dataclasses import dataclass
from functools import cache, lru_cache

from django.conf import settings
from django.core.paginator import Paginator
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.db.backends.postgresql.psycopg_any import is_psycopg3
from django.template.loader import get_template, render_to_string
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import mark_safe
from rest_framework.utils.encoders import JSONEncoder

from audit.services import display_name
from sources.api.serializers import archive_url

from . import selectors
from .models import Revision, Story, decode_parts

if is_psycopg3:
    from django.db.backends.postgresql.base import ServerBindingCursor
    from psycopg.adapt import Loader
else:  # pragma: no cover - psycopg 2 is not used here; SQLite needs neither
    ServerBindingCursor = Loader = object

FORMAT_VERSION = 2
# Escaping turns "<" into "&lt;" and the sanitiser drops comments, so the nonce placeholder
# cannot come from a writer's text. The origin (scheme and host, for canonical and JSON-LD
# URLs) is swapped in per response too: one stored page serves every allowed host.
NONCE = "<!--csp-nonce-->"
ORIGIN = "<!--origin-->"
ORIGIN_BYTES = ORIGIN.encode()
NONCE_BYTES = NONCE.encode()
# The origin in the stored API JSON: a control character never appears raw in JSON text.
JSON_ORIGIN = "\x02"
JSON_ORIGIN_BYTES = JSON_ORIGIN.encode()
_META = "\x00meta\x00"
_TEMPLATES = ("base.html", "stories/story_page_shell.html", "stories/_story_meta.html",
              "stories/_story_article.html", "stories/_reviewers.html", "stories/_teaser.html")
_SLOT = re.compile("\x00(\\w+)\x00")
_BODY = "\x00body\x00"
# The same escapes as django.utils.html.json_script: nothing in the data can end the tag.
_JSON_SCRIPT_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


@cache
def _format(site_name: str) -> str:
    sources = "".join(get_template(name).template.source for name in _TEMPLATES)
    raw = f"{FORMAT_VERSION}|{site_name}|{sources}"
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


@cache
def _shell(site_name: str) -> tuple[str, ...]:
    """The site chrome around a story page, rendered once per process: 9 pieces alternating
    text and slot names (title, meta, class, content)."""
    html = render_to_string("stories/story_page_shell.html", {
        "site_name": site_name, "slot_title": "\x00title\x00", "slot_meta": "\x00meta\x00",
        "slot_class": "\x00class\x00", "slot_content": "\x00content\x00",
    })
    return tuple(_SLOT.split(html))


def json_ld(page: selectors.StoryPage, *, origin: str) -> str:
    """The schema.org NewsArticle of a story page, escaped for a <script> element."""
    story, revision = page.story, page.revision
    url = origin + story.get_absolute_url()
    data = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": revision.title,
        "description": revision.dek,
        "url": url,
        "mainEntityOfPage": url,
        "author": [
            {"@type": "Person", "name": display_name(a),
             "url": origin + reverse("author-detail", args=[a.get_username()])}
            for a in page.authors
        ],
        "datePublished": story.published_at,
        "dateModified": story.live_updated_at or story.published_at,
        "publisher": {"@type": "Organization", "name": settings.NEWSROOM_SITE_NAME,
                      "url": origin + "/"},
        "citation": [
            {"@type": "CreativeWork",
             "name": item.source.title if item.source else item.key,
             "url": (item.source.url or origin + reverse("source-detail", args=[item.key]))
             if item.source else f"{url}#source-{item.number}",
             **({"publisher": {"@type": "Organization", "name": item.source.outlet}}
                if item.source and item.source.outlet else {})}
            for item in page.sources
        ],
    }
    if page.reviewers:
        data["contributor"] = [{"@type": "Person", "name": n, "roleName": "Reviewer"}
                               for n in page.reviewers]
    if story.retracted_at:
        data["correction"] = f"Retracted: {story.retraction_reason}"
    text = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False)
    text = text.translate(_JSON_SCRIPT_ESCAPES)
    if origin == ORIGIN:  # the placeholder goes in unescaped; responses swap the origin in
        text = text.replace(ORIGIN.translate(_JSON_SCRIPT_ESCAPES), ORIGIN)
    return mark_safe(text)  # noqa: S308  # nosec B308 B703 - escaped as json_script


def page_context(page: selectors.StoryPage, *, origin: str, nonce: str, body: str,
                 preview=None) -> dict:
    """What story_detail.html and its parts need, for the public page and for previews."""
    return {
        "page": page, "story": page.story, "revision": page.revision,
        "body": mark_safe(body),  # noqa: S308  # nosec B308 B703 - sanitised when the revision was saved
        "json_ld": json_ld(page, origin=origin), "csp_nonce": mark_safe(nonce),  # noqa: S308  # nosec B308 B703
        "preview": preview,
        "canonical": mark_safe(origin + escape(page.story.get_absolute_url())),  # noqa: S308  # nosec B308 B703
        "site_name": settings.NEWSROOM_SITE_NAME,
    }


def _api(page: selectors.StoryPage) -> dict:
    story, revision = page.story, page.revision
    return {
        "slug": story.slug, "title": revision.title, "dek": revision.dek,
        "url": story.get_absolute_url(),
        "authors": [display_name(a) for a in page.authors],
        "published_at": story.published_at,
        "updated_at": story.live_updated_at or story.published_at,
        "retracted": story.retracted_at is not None,
        "reviewed_by": list(page.reviewers),
        "revision": revision.content_hash,
        "sources": [
            {"number": s.number, "key": s.key, "title": s.source.title if s.source else "",
             "outlet": s.source.outlet if s.source else "",
             "url": s.source.url if s.source else "",
             "author": s.source.author if s.source else "",
             "published_on": s.source.published_on if s.source else "",
             "snapshot_sha256": s.source.snapshot_sha256 if s.source else "",
             "archive_url": archive_url(None, s.snapshot_id) if s.snapshot_id else None}
            for s in page.sources
        ],
        "corrections": [{"kind": c.kind, "note": c.note, "at": c.created_at}
                        for c in page.corrections],
        "retraction": ({"reason": story.retraction_reason, "at": story.retracted_at}
                       if story.retracted_at else None),
    }


def _api_json(page: selectors.StoryPage) -> str:
    """The API detail as DRF's JSONRenderer writes it, up to the body HTML (the last field),
    with JSON_ORIGIN wherever the origin goes."""
    api = _api(page)
    # A random marker stands for the origin while encoding; the stored text then carries a
    # raw control character, which JSON never contains (it escapes every one of them).
    marker = f"origin-{secrets.token_hex(16)}"
    api["url"] = marker + api["url"]
    for source in api["sources"]:
        if source["archive_url"]:
            source["archive_url"] = marker + source["archive_url"]
    text = json.dumps(api, cls=JSONEncoder, ensure_ascii=False, allow_nan=False,
                      separators=(",", ":"))
    text = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")  # as DRF does
    return text[:-1].replace(marker, JSON_ORIGIN) + ',"html":'


def build(page: selectors.StoryPage, *, stamp: str) -> tuple[dict, dict]:
    """Render the stored parts of a live story page and its API detail (templates run here,
    not per request): (page parts, API parts).

    The page is stored laid out in the site shell, in the order it is served: `start` (up to
    the <head> tags of the story), `meta` (those tags: the only part with placeholders for
    the origin and the CSP nonce), `before` (up to the body HTML) and `after`."""
    context = page_context(page, origin=ORIGIN, nonce=NONCE, body=_BODY)
    article = render_to_string("stories/_story_article.html", context)
    meta = render_to_string("stories/_story_meta.html", context)
    slots = {
        "title": f"{escape(page.revision.title)} · {escape(settings.NEWSROOM_SITE_NAME)}",
        "meta": _META + meta + _META,
        "class": "page-story is-retracted" if page.story.retracted_at else "page-story",
        "content": article,
    }
    shell = _shell(settings.NEWSROOM_SITE_NAME)
    html = "".join(piece if i % 2 == 0 else slots[piece] for i, piece in enumerate(shell))
    start, meta, rest = html.split(_META)
    before, after = rest.split(_BODY)
    return ({"stamp": stamp, "start": start, "meta": meta, "before": before, "after": after},
            {"stamp": stamp, "json": _api_json(page)})


# One small round trip per page view: the story, its live revision's id and the stamp (the
# story's updated_at and the cited sources' latest change and count). The body and the stored
# part are read by a second query only when this process has no copy of them for that
# (revision, stamp) (see _Memo). Written as SQL because the ORM cannot express "keys in this
# row's JSON list" on both backends, and because compiling the ORM query cost as much as
# running it.
_LIVE_SQL = {
    "postgresql": """
        SELECT s.id, r.id, r.xmin::text || r.ctid::text, s.updated_at::text || '|' || (
          SELECT coalesce(max(src.updated_at)::text, '') || '|' || count(*)
          FROM sources_source src
          WHERE src.key IN (SELECT jsonb_array_elements_text(r.source_keys)))
        FROM stories_story s JOIN stories_revision r ON r.id = s.live_revision_id
        WHERE s.slug = %s""",
    "sqlite": """
        SELECT s.id, r.id, NULL, s.updated_at || '|' || (
          SELECT coalesce(max(src.updated_at), '') || '|' || count(*)
          FROM sources_source src
          WHERE src.key IN (SELECT value FROM json_each(r.source_keys)))
        FROM stories_story s JOIN stories_revision r ON r.id = s.live_revision_id
        WHERE s.slug = %s""",
}
_BODY_SQL = "SELECT r.html, r.{column} FROM stories_revision r WHERE r.id = %s"


class _Memo:
    """A per-process LRU copy of immutable stored bytes, bounded by their total size
    (settings.NEWSROOM_STORED_PAGE_MEMO_BYTES; 0 turns it off).

    Keyed by (column, revision id, the row's version, stamp): a revision's body HTML never
    changes, and the stored page or API JSON of a revision is only ever rebuilt under a
    different stamp (the stamp is what decides a rebuild), so an entry can never be stale and
    needs no invalidation. The row version (PostgreSQL's `xmin` and `ctid`: every UPDATE of
    the row writes a new tuple) also keys out an edit made behind the services' back (a
    repair in SQL, a test);
    SQLite has no such column, so there the memo is not used.

    This is not the page cache: every request still reads the live revision and the stamp
    from the database, so publish, correction, retraction and source edits are seen at once
    by every process."""

    def __init__(self):
        self._entries: OrderedDict = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
                return found[0]
        return None

    def put(self, key, value, size: int) -> None:
        limit = settings.NEWSROOM_STORED_PAGE_MEMO_BYTES
        if size > limit:
            return
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._size -= old[1]
            self._entries[key] = (value, size)
            self._size += size
            while self._size > limit:
                _, (_, dropped) = self._entries.popitem(last=False)
                self._size -= dropped

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._size = 0


memo = _Memo()


class _TextAsBytes(Loader):
    """Text columns as the bytes PostgreSQL sent: the body goes out as bytes again, so
    decoding ~1 MB of UTF-8 to str and encoding it back would be wasted."""

    def load(self, data) -> bytes:
        return bytes(data)


class _PreparedCursor(ServerBindingCursor):
    """Server-side binding, and each query a prepared statement: parsed and planned once per
    connection instead of on every page view (planning was ~0.4 ms of a ~1 ms query)."""

    def execute(self, query, params=None, **kwargs):
        return super().execute(query, params, prepare=True, **kwargs)


def _prepared(cursor, *, text_as_bytes: bool = True) -> None:
    """Swap a PostgreSQL cursor's driver cursor for a _PreparedCursor, keeping Django's wrapper
    (query logging, error translation, execute wrappers) around it."""
    raw = cursor.db.connection
    if raw.prepare_threshold is None:  # Django's default; explicit prepare=True only, then
        raw.prepare_threshold = sys.maxsize
    cursor.cursor.close()
    cursor.cursor = _PreparedCursor(raw)
    if text_as_bytes:
        cursor.cursor.adapters.register_loader("text", _TextAsBytes)


def _as_bytes(value) -> bytes:
    return value if isinstance(value, bytes) else (value or "").encode()


@dataclass(frozen=True)
class Stored:
    """A published story's live body HTML, stamp and stored parts, as bytes. For the API,
    `html` is the body already encoded as a JSON string (as DRF's renderer writes it)."""

    story_id: int
    revision_id: int
    html: bytes
    stamp: bytes
    parts: dict[str, bytes]


def _execute(sql: str, params: list):
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and settings.NEWSROOM_PREPARED_STATEMENTS:
            _prepared(cursor)
        cursor.execute(sql, params)
        return cursor.fetchone()


def _json_body(html: bytes) -> bytes:
    body = json.dumps(html.decode(), ensure_ascii=False)
    return body.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029").encode()


def _stored(slug: str, column: str) -> Stored | None:
    """The live body and the stored `page` or `api` parts of a published story. One small
    query (ids and stamp) when this process holds them for that revision and stamp; else a
    second one reads them, and a reader who finds them stale or missing rebuilds both."""
    row = _execute(_LIVE_SQL[connection.vendor], [slug])
    if row is None:
        return None
    story_id, revision_id, version, stamp = row
    stamp = _format(settings.NEWSROOM_SITE_NAME).encode() + b"|" + _as_bytes(stamp)
    key = None if version is None else (column, revision_id, _as_bytes(version), stamp)
    found = None if key is None else memo.get(key)
    if found is not None:
        html, parts = found
        return Stored(story_id=story_id, revision_id=revision_id, html=html, stamp=stamp,
                      parts=parts)
    row = _execute(_BODY_SQL.format(column=column), [revision_id])
    if row is None:  # deleted between the two queries
        return None
    html, stored = _as_bytes(row[0]), _as_bytes(row[1])
    parts = decode_parts(stored)
    if parts.get("stamp") != stamp:
        page = selectors.story_page(slug)
        if page is None:
            return None
        built = build(page, stamp=stamp.decode())
        # Readers may race to store the same parts; the last write wins and is equivalent.
        Revision.objects.filter(pk=revision_id).update(page=built[0], api=built[1])
        parts = {k: v.encode() for k, v in built[column == "api"].items()}
        # Storing the rebuilt parts gave the row a new version: the next view reads it once.
        key = None
    if column == "api":
        html = _json_body(html)
    if key is not None:
        memo.put(key, (html, parts), len(html) + sum(map(len, parts.values())))
    return Stored(story_id=story_id, revision_id=revision_id, html=html, stamp=stamp,
                  parts=parts)


def refresh(story_id: int) -> None:
    """Rebuild a published story's stored page now (after publish, correction, retraction)."""
    slug = Story.objects.published().filter(pk=story_id).values_list("slug", flat=True).first()
    if slug is not None:
        _stored(slug, "page")
        teasers(teaser_rows(story_id=story_id)[0])


def story_chunks(slug: str, *, origin: str) -> tuple[bytes, list[bytes]] | None:
    """The public page as (head, rest): `head` holds the NONCE placeholder (and is small);
    `rest` is the body HTML with the parts around it, not copied into one string.
    None if not published."""
    found = _stored(slug, "page")
    if found is None:
        return None
    parts = found.parts
    head = parts["start"] + parts["meta"].replace(ORIGIN_BYTES, origin.encode())
    return head, [parts["before"], found.html, parts["after"]]


def story_html(slug: str, *, origin: str) -> str | None:
    """The whole public page, with the nonce placeholder left in; None if not published."""
    found = story_chunks(slug, origin=origin)
    return None if found is None else b"".join([found[0], *found[1]]).decode()


def api_chunks(slug: str, *, origin: str) -> tuple[list[bytes], str] | None:
    """The public API's story detail as JSON (byte chunks) and its ETag; None if not
    published. The ETag comes from the stamp, the revision and the origin: everything the
    JSON is made of (a revision's body never changes), so nothing is hashed per byte."""
    found = _stored(slug, "api")
    if found is None:
        return None
    origin_bytes = origin.encode()
    digest = hashlib.sha256(b"|".join([found.stamp, str(found.revision_id).encode(),
                                       origin_bytes])).hexdigest()[:40]
    return ([found.parts["json"].replace(JSON_ORIGIN_BYTES, origin_bytes), found.html, b"}"],
            f'"{digest}"')


def api_detail(slug: str, *, origin: str) -> dict | None:
    """The public API's story detail as data; None if not published."""
    found = api_chunks(slug, origin=origin)
    return None if found is None else json.loads(b"".join(found[0]))


# --- listing teasers ------------------------------------------------------------------------


def _teaser_stamp(updated_at) -> str:
    return f"{_format(settings.NEWSROOM_SITE_NAME)}|{updated_at}"


def teasers(rows: list[tuple]) -> list[str]:
    """Teaser HTML for (story id, story updated_at, live revision id, stored teaser) rows,
    in order; stale or missing ones are rendered (constant queries) and stored."""
    out: dict[int, str] = {}
    stale: dict[int, tuple[int, str]] = {}
    for story_id, updated_at, revision_id, stored in rows:
        stamp = _teaser_stamp(updated_at)
        head, _, html = (stored or "").partition("\n")
        if head == stamp:
            out[story_id] = html
        else:
            stale[story_id] = (revision_id, stamp)
    if stale:
        fresh = selectors.published_stories().filter(pk__in=stale)
        stored = []
        for item in selectors.listing_items(fresh):
            html = render_to_string("stories/_teaser.html", {"item": item})
            revision_id, stamp = stale[item.story.pk]
            stored.append(Revision(pk=revision_id, teaser=f"{stamp}\n{html}"))
            out[item.story.pk] = html
        Revision.objects.bulk_update(stored, ["teaser"])
    return [out[row[0]] for row in rows if row[0] in out]


_TEASER_SQL = {
    "postgresql": """
        SELECT s.id, s.updated_at::text, s.live_revision_id, r.teaser, count(*) OVER ()
        FROM stories_story s JOIN stories_revision r ON r.id = s.live_revision_id
        {where} ORDER BY s.published_at DESC, s.id DESC LIMIT %s OFFSET %s""",
    "sqlite": """
        SELECT s.id, s.updated_at, s.live_revision_id, r.teaser, count(*) OVER ()
        FROM stories_story s JOIN stories_revision r ON r.id = s.live_revision_id
        {where} ORDER BY s.published_at DESC, s.id DESC LIMIT %s OFFSET %s""",
}


def teaser_rows(*, offset: int = 0, limit: int = 20, story_id: int | None = None):
    """(rows for teasers(), total published): published stories newest first, in one query
    that also counts them (a window count instead of the paginator's second query)."""
    where, params = ("WHERE s.id = %s", [story_id]) if story_id is not None else ("", [])
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and settings.NEWSROOM_PREPARED_STATEMENTS:
            _prepared(cursor, text_as_bytes=False)  # planned once per connection
        cursor.execute(_TEASER_SQL[connection.vendor].format(where=where),
                       [*params, limit, offset])
        rows = cursor.fetchall()
    total = rows[0][4] if rows else 0
    return [row[:4] for row in rows], total


@lru_cache(maxsize=32)  # one per allowed host name
def _home_shell(site_name: str, origin: str) -> tuple[str, ...]:
    html = render_to_string("stories/home.html", {
        "site_name": site_name, "origin": origin, "listing": "\x00listing\x00"})
    return tuple(_SLOT.split(html))


@lru_cache(maxsize=256)
def _pagination(number: int, total: int, page_size: int) -> str:
    """The pager under a listing: the same for every request with the same page and count."""
    page = Paginator(range(total), page_size).page(number)
    return render_to_string("stories/_pagination.html", {"page": page})


def home_html(number: int, *, origin: str, page_size: int = 20) -> str | None:
    """The home page's page `number` (1-based); None when that page is past the end."""
    rows, total = teaser_rows(offset=(number - 1) * page_size, limit=page_size)
    if not rows and number > 1:
        return None
    if rows:
        listing = (f'<div class="teasers">{"".join(teasers(rows))}</div>\n'
                   + _pagination(number, total, page_size))
    else:
        listing = '<p class="empty">Nothing published yet.</p>'
    shell = _home_shell(settings.NEWSROOM_SITE_NAME, origin)
    return "".join(listing if i % 2 else piece for i, piece in enumerate(shell))
