"""Reference-manager formats: CSL-JSON and BibTeX in, CSL-JSON out.

Reading is pure (text in, SourceFields out); story_sources_csl() reads the database.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from datetime import date

import bibtexparser
from bibtexparser.middlewares.names import (
    InvalidNameError,
    NameParts,
    parse_single_name_into_parts,
    split_multiple_persons_names,
)
from pylatexenc.latex2text import LatexNodes2Text

from .keys import key_from
from .selectors import numbered_sources

# CSL item types (and BibTeX entry types) to source kinds; anything else is "other".
CSL_KINDS = {
    "article": "article", "article-newspaper": "article", "article-magazine": "article",
    "article-journal": "article", "post": "article", "post-weblog": "article",
    "webpage": "article", "broadcast": "article", "report": "report", "dataset": "dataset",
    "interview": "interview", "personal_communication": "interview", "legal_case": "filing",
    "legislation": "filing", "bill": "filing", "regulation": "filing", "standard": "report",
}
BIBTEX_KINDS = {
    "article": "article", "online": "article", "electronic": "article", "www": "article",
    "webpage": "article", "news": "article", "techreport": "report", "report": "report",
    "dataset": "dataset", "data": "dataset", "interview": "interview", "misc": "other",
    "unpublished": "other", "book": "other", "inproceedings": "other", "thesis": "other",
}
KIND_TO_CSL = {"article": "article-newspaper", "press_release": "report", "filing": "legislation",
               "report": "report", "dataset": "dataset", "interview": "interview",
               "other": "document"}
MONTHS = {name: i for i, name in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1)}


@dataclass(frozen=True)
class SourceFields:
    """One reference read from a file, as source fields; problem says why it can't be used."""

    key: str
    url: str = ""
    title: str = ""
    outlet: str = ""
    author: str = ""
    published_on: date | None = None
    kind: str = "article"
    description: str = ""
    problem: str = ""
    raw_type: str = ""
    extra: dict = field(default_factory=dict, compare=False)

    def as_fields(self) -> dict:
        return {"key": self.key, "url": self.url, "title": self.title, "outlet": self.outlet,
                "author": self.author, "published_on": self.published_on, "kind": self.kind,
                "description": self.description}


def clean_key(raw: str) -> str:
    """A usable source key from a citekey or CSL id (URLs keep their last path segment)."""
    raw = (raw or "").strip()
    if "/" in raw:
        raw = raw.rstrip("/").rsplit("/", 1)[-1]
    return key_from(raw)


# The start of an ISO 8601 date, as CSL-JSON's "raw" and BibLaTeX's date give it: a year of
# four digits (not the first four of more), then perhaps a month and a day.
_ISO_DATE = re.compile(r"(\d{4})(?!\d)(?:-(\d{1,2}))?(?:-(\d{1,2}))?")


def _date(year, month=None, day=None) -> date | None:
    try:
        year = int(year)
        month = int(month) if month else 1
        day = int(day) if day else 1
        return date(year, month, day)
    except (TypeError, ValueError, OverflowError):  # OverflowError: a year past any integer
        return None


def _csl_date(value) -> date | None:
    if not isinstance(value, dict):
        return None
    parts = value.get("date-parts")
    if parts and isinstance(parts, list) and parts[0]:
        return _date(*list(parts[0])[:3])
    raw = str(value.get("raw") or value.get("literal") or "")
    match = _ISO_DATE.match(raw.strip())
    return _date(*match.groups()) if match else None


def _csl_names(value) -> str:
    names = []
    for person in value if isinstance(value, list) else []:
        if not isinstance(person, dict):
            continue
        if person.get("literal"):
            names.append(str(person["literal"]))
        else:
            name = " ".join(str(person.get(part, "")).strip() for part in
                            ("given", "non-dropping-particle", "family") if person.get(part))
            if name:
                names.append(name)
    return "; ".join(names)


def _text(value) -> str:
    return " ".join(str(value or "").split())


def from_csl_item(item: dict) -> SourceFields:
    """One CSL-JSON item as source fields."""
    if not isinstance(item, dict):
        return SourceFields(key="", problem="not a CSL item (expected an object)")
    raw_type = _text(item.get("type"))
    kind = CSL_KINDS.get(raw_type, "other")
    if "press release" in _text(item.get("genre")).lower():
        kind = "press_release"
    key = clean_key(_text(item.get("citation-key") or item.get("id")))
    url = _text(item.get("URL") or item.get("url"))
    description = _text(item.get("abstract") or item.get("note"))[:2000]
    return _checked(SourceFields(
        key=key, url=url, title=_text(item.get("title"))[:500],
        outlet=_text(item.get("container-title") or item.get("publisher"))[:200],
        author=_csl_names(item.get("author"))[:300], published_on=_csl_date(item.get("issued")),
        kind=kind, description=description, raw_type=raw_type,
    ))


def _checked(fields: SourceFields) -> SourceFields:
    # A NUL is no text a reference needs, and PostgreSQL cannot store one.
    fields = replace(fields, **{name: value.replace("\x00", "") for name, value
                                in fields.as_fields().items() if isinstance(value, str)})
    problem = ""
    if not fields.key:
        problem = "no usable id or citation key"
    elif not fields.title:
        problem = "no title"
    elif not fields.url and not fields.description:
        problem = "no URL and no description (a source without a link must say what it is)"
    if problem:
        return SourceFields(**{**fields.as_fields(), "problem": problem,
                               "raw_type": fields.raw_type})
    return fields


def read_csl_json(text: str) -> list[SourceFields]:
    """Items of a CSL-JSON file (a list of items, or one item, or {"items": [...]})."""
    try:
        data = json.loads(text)
    except RecursionError:
        raise ValueError("the JSON is nested too deeply to be a list of items") from None
    if isinstance(data, dict):
        data = data.get("items", [data])
    if not isinstance(data, list):
        raise ValueError("CSL-JSON must be a list of items")
    return [from_csl_item(item) for item in data]


# --- BibTeX -----------------------------------------------------------------------------

class BibTeXError(ValueError):
    """The file is not BibTeX we can read; the message names the line."""


_DECODER = LatexNodes2Text()
# URLs are not LaTeX: their & and ~ stay as they are.
_URL = re.compile(r"\\url\{([^}]*)\}|https?://[^\s{}]+")


def _latex_to_text(value: str) -> str:
    """LaTeX (accents, escapes, braces, dashes) decoded to plain text; URLs kept verbatim."""
    parts, pos = [], 0
    for match in _URL.finditer(value):
        parts.append(_DECODER.latex_to_text(value[pos:match.start()]))
        parts.append(match.group(1) or match.group(0))
        pos = match.end()
    parts.append(_DECODER.latex_to_text(value[pos:]))
    return " ".join("".join(parts).split())


# A value's pieces joined by #: a {braced} or "quoted" literal, a number or a macro name.
_PIECE = re.compile(r'\s*(\{(?:[^{}]|\{(?:[^{}]|\{[^{}]*\})*\})*\}|"[^"]*"|[^#\s]+)\s*(?:#|$)')


def _resolved(raw: str, strings: dict[str, str]) -> str:
    """A raw field value with its @string macros expanded, its pieces joined and the outer
    braces or quotes removed (bibtexparser v2 resolves a lone macro, not a # concatenation)."""
    pieces = []
    for match in _PIECE.finditer(raw.strip()):
        piece = match.group(1)
        if piece[:1] in '{"':
            pieces.append(piece[1:-1])
        else:
            pieces.append(strings.get(piece.lower(), piece))
    return "".join(pieces)


def parse_bibtex(text: str) -> list[tuple[str, str, dict[str, str]]]:
    """(entry type, citekey, {field: value, LaTeX not yet decoded}) for each entry, read by
    bibtexparser v2; @string macros expanded, @comment and @preamble skipped, text outside
    entries ignored (as BibTeX does). A block it cannot read is a BibTeXError naming its line."""
    library = bibtexparser.parse_string(text, parse_stack=[])
    if library.failed_blocks:
        block = library.failed_blocks[0]
        reason = getattr(block.error, "abort_reason", "") or str(block.error) or "unreadable"
        raise BibTeXError(f"line {block.start_line + 1}: {reason}")
    strings: dict[str, str] = {name: name for name in MONTHS}
    for string in library.strings:
        strings[string.key.lower()] = _resolved(string.value, strings)
    return [(entry.entry_type.lower(), entry.key,
             {field.key.lower(): _resolved(field.value, strings) for field in entry.fields})
            for entry in library.entries]


def _person(parts: NameParts) -> str:
    return " ".join(_latex_to_text(part) for part in [*parts.first, *parts.von, *parts.last,
                                                       *parts.jr])


def _bibtex_names(value: str) -> str:
    """BibTeX names ("Last, Jr., First and {Corporate Name}") as "First Last Jr.; ..."."""
    names = []
    for name in split_multiple_persons_names(value):
        try:
            person = _person(parse_single_name_into_parts(name, strict=False))
        except InvalidNameError:
            person = _latex_to_text(name)
        if person.strip():
            names.append(person.strip())
    return "; ".join(names)


def from_bibtex_entry(kind: str, key: str, fields: dict[str, str]) -> SourceFields:
    """One BibTeX entry as source fields (an entry the LaTeX decoder cannot read is skipped
    with the reason)."""
    try:
        return _bibtex_fields(kind, key, fields)
    except RecursionError:  # braces or commands nested hundreds deep
        return SourceFields(key=clean_key(key),
                            problem="LaTeX nested too deeply to read (braces or commands)")


def _bibtex_fields(kind: str, key: str, fields: dict[str, str]) -> SourceFields:
    get = {name: _latex_to_text(value) for name, value in fields.items()}
    url = get.get("url", "")
    if not url:
        found = re.search(r"https?://\S+", get.get("howpublished", "") + " " + get.get("note", ""))
        url = found.group(0).rstrip(".,;") if found else ""
    month = get.get("month", "").strip().lower()[:3]
    month_number = MONTHS.get(month) or (int(month) if month.isdecimal() else None)
    published = None
    if get.get("date"):
        match = _ISO_DATE.match(get["date"])
        published = _date(*match.groups()) if match else None
    elif get.get("year", "").strip().isdigit():
        published = _date(get["year"].strip(), month_number,
                          get.get("day", "").strip() or None)
    source_kind = BIBTEX_KINDS.get(kind, "other")
    if source_kind == "other" and kind in {"misc", "online"} and url:
        source_kind = "article"
    if "press release" in (get.get("type", "") + get.get("note", "")).lower():
        source_kind = "press_release"
    outlet = (get.get("journal") or get.get("journaltitle") or get.get("booktitle")
              or get.get("institution") or get.get("organization") or get.get("publisher")
              or "")
    description = get.get("abstract") or get.get("annote") or (
        get.get("note", "") if not url else "")
    return _checked(SourceFields(
        key=clean_key(key), url=url, title=get.get("title", "")[:500], outlet=outlet[:200],
        author=_bibtex_names(fields.get("author", "") or fields.get("editor", ""))[:300],
        published_on=published, kind=source_kind, description=description[:2000],
        raw_type=kind,
    ))


def read_bibtex(text: str) -> list[SourceFields]:
    """Entries of a BibTeX file as source fields."""
    return [from_bibtex_entry(kind, key, fields) for kind, key, fields in parse_bibtex(text)]


def read_file(name: str, text: str) -> list[SourceFields]:
    """CSL-JSON for .json, BibTeX for .bib (or by content when the extension says neither)."""
    lowered = name.lower()
    if lowered.endswith((".json", ".csljson")):
        return read_csl_json(text)
    if lowered.endswith((".bib", ".bibtex")):
        return read_bibtex(text)
    return read_csl_json(text) if text.lstrip()[:1] in "[{" else read_bibtex(text)


# --- export -------------------------------------------------------------------------------

def source_csl(source, number: int | None = None, accessed: date | None = None) -> dict:
    """A source as a CSL-JSON item (citation-number when it is on a numbered list)."""
    item: dict = {"id": source.key, "type": KIND_TO_CSL.get(source.kind, "document"),
                  "title": source.title}
    if number is not None:
        item["citation-number"] = number
    if source.url:
        item["URL"] = source.url
    if source.outlet:
        item["container-title"] = source.outlet
    if source.author:
        item["author"] = [{"literal": name.strip()} for name in source.author.split(";")
                          if name.strip()]
    published = getattr(source, "published_date", source.published_on)
    if published:
        item["issued"] = {"date-parts": [[published.year, published.month, published.day]]}
    if source.kind == "press_release":
        item["genre"] = "press release"
    if not source.url and source.description:
        item["note"] = source.description
    if accessed:
        item["accessed"] = {"date-parts": [[accessed.year, accessed.month, accessed.day]]}
    return item


def story_sources_csl(story, revision=None) -> list[dict]:
    """The numbered source list of `revision` (default the story's latest) as CSL-JSON, from
    the copies the revision pins; `accessed` is the date of the pinned snapshot."""
    revision = revision or story.latest_revision
    items = []
    for entry in numbered_sources(revision.pins if revision is not None else [], library=False):
        pin, number = entry.pin, entry.number
        if pin.missing:
            items.append({"id": pin.key, "type": "document", "title": pin.key,
                          "citation-number": number})
            continue
        accessed = pin.snapshot_at.date() if pin.snapshot_at else None
        items.append(source_csl(pin, number, accessed))
    return items
