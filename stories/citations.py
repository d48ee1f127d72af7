"""Citation engine: a story body in, numbered claims, problems and safe HTML out (pure Python)."""

from __future__ import annotations

import html
import itertools
import re
import unicodedata
from bisect import bisect_left, bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import unquote

import nh3
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.parser_inline import ParserInline
from markdown_it.rules_inline import StateInline
from markdown_it.rules_inline.image import image as _md_image
from markdown_it.rules_inline.link import link as _md_link
from markdown_it.token import Token

from sources.keys import KEY

__all__ = [
    "CitedSource",
    "Claim",
    "Document",
    "ImageInfo",
    "Problem",
    "SourceInfo",
    "normalise_claim_text",
    "parse",
]

BROKEN_HEALTH = frozenset({"broken", "unreachable"})
MAX_GROUP = 2000  # characters from "[@" to "]"


# --------------------------------------------------------------------------- public types


@dataclass(frozen=True)
class SourceInfo:
    """A library source as the engine sees it; broken/unreachable health warns when cited."""

    key: str
    title: str = ""
    outlet: str = ""
    url: str = ""
    health: str = "unknown"


@dataclass(frozen=True)
class ImageInfo:
    """An uploaded figure, placed in a body with ``![alt](image:ID)``."""

    id: str
    src: str
    srcset: str = ""
    width: int | None = None
    height: int | None = None
    caption: str = ""
    credit: str = ""
    credit_url: str = ""


@dataclass(frozen=True)
class CitedSource:
    """One source of a claim: its key, its number in the story and an optional locator."""

    key: str
    number: int
    locator: str = ""


@dataclass(frozen=True)
class Claim:
    """The text from the previous boundary up to a valid citation group, with its sources."""

    ordinal: int
    text: str
    start: int
    end: int
    line: int
    column: int
    sources: tuple[CitedSource, ...]

    @property
    def numbers(self) -> tuple[int, ...]:
        """Source numbers in the order the group cites them."""
        return tuple(source.number for source in self.sources)

    @property
    def keys(self) -> tuple[str, ...]:
        """Source keys in the order the group cites them."""
        return tuple(source.key for source in self.sources)


@dataclass(frozen=True)
class Problem:
    """An error (blocks submission) or a warning (never blocks), located in the raw body."""

    code: str
    message: str
    line: int
    column: int
    text: str


@dataclass(frozen=True)
class Document:
    """A parsed body: claims in order, numbered source keys, problems and sanitised HTML."""

    claims: tuple[Claim, ...]
    numbered: tuple[str, ...]
    errors: tuple[Problem, ...]
    warnings: tuple[Problem, ...]
    html: str
    _numbers: Mapping[str, int] = field(default_factory=dict, repr=False, compare=False)

    def number_of(self, key: str) -> int | None:
        """The 1-based number of a source key, or None when the story does not number it."""
        if self._numbers:
            return self._numbers.get(key)
        return self.numbered.index(key) + 1 if key in self.numbered else None

    @property
    def cited_keys(self) -> frozenset[str]:
        """Keys cited by at least one claim."""
        return frozenset(source.key for claim in self.claims for source in claim.sources)

    @property
    def is_valid(self) -> bool:
        """True when the body has no errors (warnings never block)."""
        return not self.errors


# --------------------------------------------------------------------------- markdown-it setup


class _PositionedState(StateInline):
    """Inline state that stamps every token with its start offset in the inline source."""

    def __init__(self, src, *args, **kwargs) -> None:
        super().__init__(src, *args, **kwargs)
        self._pending_start = 0
        # Line ends only matter for hard breaks; elsewhere text runs through them, which saves
        # a softbreak and a text token per source line (the HTML is the same: a newline).
        self.text_stop = _TEXT_STOP_HARD if "  \n" in src else _TEXT_STOP

    def append_pending(self, text: str) -> None:
        if not self._pending_buffer and not self._pending:
            self._pending_start = self.pos
        self._pending_buffer.append(text)

    def pushPending(self) -> Token:  # noqa: N802 - markdown-it's name
        token = super().pushPending()
        token.meta["pos"] = self._pending_start
        return token

    def push(self, ttype, tag, nesting) -> Token:
        pos = self.pos
        token = super().push(ttype, tag, nesting)
        token.meta["pos"] = pos
        return token


class _InlineParser(ParserInline):
    """markdown-it's inline parser, using the positioned state."""

    def parse(self, src, md, env, tokens):
        state = _PositionedState(src, md, env, tokens)
        self.tokenize(state)
        for rule in self.ruler2.getRules(""):
            rule(state)
        return state.tokens


def _citation_rule(state: StateInline, silent: bool) -> bool:
    """Tokenise ``[@…]`` up to the first ``]``; a ``[`` or the block end first = unterminated."""
    src, pos, maximum = state.src, state.pos, state.posMax
    if src[pos] != "[" or pos + 1 >= maximum or src[pos + 1] != "@" or state.linkLevel:
        return False
    # A group longer than MAX_GROUP is a typo, and the cap keeps "[@[@[@…" linear.
    limit = min(maximum, pos + MAX_GROUP)
    close = src.find("]", pos + 2, limit)
    reopen = src.find("[", pos + 2, close if close != -1 else limit)
    closed = close != -1 and reopen == -1
    if closed:
        end = close + 1
    else:
        key = _KEY_RE.match(src, pos + 2, maximum)
        end = key.end() if key else pos + 2
    if not silent:
        token = state.push("cite", "", 0)
        token.content = src[pos:end]
        token.meta["closed"] = closed
    state.pos = end
    return True


# Only characters an enabled rule starts on stop the text rule: fewer stops, faster parse.
_TEXT_STOP = re.compile(r"[\\`~*_\[\]!<&]")
_TEXT_STOP_HARD = re.compile(r"[\n\\`~*_\[\]!<&]")


def _text_rule(state: _PositionedState, silent: bool) -> bool:
    """markdown-it's text rule with the state's own stop characters."""
    stop = state.text_stop.search(state.src, state.pos)
    end = stop.start() if stop else state.posMax
    if end > state.posMax:
        end = state.posMax
    if end == state.pos:
        return False
    if not silent:
        state.append_pending(state.src[state.pos:end])
    state.pos = end
    return True


def _spanned(rule, refuse_citations: bool = False):
    """Wrap link/image rules so their first token records where the construct starts/ends.

    With refuse_citations, a link whose text holds a citation group is not a link: the group
    is parsed as a citation and the brackets show as text, rather than the citation silently
    becoming link text."""

    def wrapped(state: StateInline, silent: bool) -> bool:
        start, count = state.pos, len(state.tokens)
        if not rule(state, silent):
            return False
        if refuse_citations and "[@" in state.src[start + 1:state.pos]:
            for index in range(count, len(state.tokens)):
                if state.tokens[index].type == "link_open":
                    del state.tokens[index:]
                    del state.tokens_meta[index:]
                    break
            state.pos = start
            return False
        if not silent:
            for token in state.tokens[count:]:
                if token.type in ("link_open", "image"):
                    token.meta["pos"], token.meta["end"] = start, state.pos
                    break
        return True

    return wrapped


def _fragments_join(state: StateInline) -> None:
    """markdown-it's fragments_join, but the merged token keeps the first fragment's offset."""
    out: list[Token] = []
    run: list[str] = []  # contents of the text run being merged into out[-1]
    level = 0
    for token in state.tokens:
        if token.nesting < 0:
            level -= 1
        token.level = level
        if token.nesting > 0:
            level += 1
        if token.type == "text" and out and out[-1].type == "text":
            run.append(token.content)
            continue
        if run:
            out[-1].content += "".join(run)
            run = []
        out.append(token)
    if run:
        out[-1].content += "".join(run)
    state.tokens[:] = out


def _allowed_link(url: str) -> bool:
    """Only web, mail, in-page and uploaded-image destinations become links/images."""
    lowered = url.strip().lower()
    return lowered.startswith(("http://", "https://", "mailto:", "#", "image:"))


def _build_markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False})
    inline = _InlineParser()
    enabled = ["autolink", "backticks", "emphasis", "entity", "escape", "image", "link",
               "newline", "strikethrough", "text"]
    inline.ruler.enableOnly(enabled)
    inline.ruler2.enableOnly(["balance_pairs", "strikethrough", "emphasis", "fragments_join"])
    inline.ruler2.at("fragments_join", _fragments_join)
    inline.ruler.at("link", _spanned(_md_link, refuse_citations=True))
    inline.ruler.at("image", _spanned(_md_image))
    inline.ruler.before("link", "citation", _citation_rule)
    inline.ruler.at("text", _text_rule)
    md.inline = inline
    md.block.ruler.enable("table")
    md.block.ruler.disable("html_block")  # raw HTML is text anyway; skip its per-line checks
    # text_join would merge escapes into neighbouring text and lose their offsets.
    md.core.ruler.disable("text_join")
    md.validateLink = _allowed_link
    return md


def _cite_html(token: Token) -> str:
    return token.meta.get("html") or html.escape(token.content)


_MD = _build_markdown()

# --------------------------------------------------------------------------- sanitiser


def _relative_url(url: str) -> str | None:
    """Keep in-page fragments and site-rooted paths (uploaded images); drop other relatives."""
    site_rooted = url.startswith("/") and not url.startswith("//")  # "//host" is off-site
    return url if url.startswith("#") or site_rooted else None


_CLEANER = nh3.Cleaner(
    tags={"p", "h2", "h3", "h4", "h5", "h6", "em", "strong", "a", "ul", "ol", "li",
          "blockquote", "code", "pre", "sup", "span", "mark", "figure", "figcaption", "img",
          "br", "hr", "table", "thead", "tbody", "tr", "th", "td", "del"},
    clean_content_tags={"script", "style"},
    attributes={
        "a": {"href", "title", "aria-label", "rel"},
        "span": {"id"},
        "mark": {"title"},
        "img": {"src", "alt", "srcset", "sizes", "width", "height", "loading"},
        "ol": {"start"},
        "th": {"style"},
        "td": {"style"},
    },
    allowed_classes={"sup": {"cite"}, "span": {"claim", "caption", "credit"},
                     "mark": {"cite-error"}, "figure": {"figure"}},
    link_rel=None,
    url_schemes={"http", "https", "mailto"},
    url_relative=_relative_url,
    filter_style_properties={"text-align"},
)

# --------------------------------------------------------------------------- text rules

_KEY_RE = re.compile(KEY)
_FULL_KEY_RE = re.compile(KEY + r"\Z")
_SINGLE_KEY = re.compile(r"\[@" + KEY + r"\]\Z")
# A sentence ends at . ! ? (plus closing quotes/brackets) followed by whitespace and a
# non-lowercase character: "U.S. officials" and "approx. five" do not split.
_SENTENCE_END = re.compile(r"[.!?][\"'\u2019\u201d\u00bb)\]]*(?=\s+[^\sa-z])")
# Initials ("U.S.", "J. Smith") and titles/months before a full stop do not end a sentence.
_ABBREVIATION = re.compile(r"[^A-Za-z](?:[A-Za-z]|Mr|Mrs|Ms|Dr|Prof|St|Sen|Rep|Gov|Gen|Lt|Col|"
                           r"Sgt|Capt|Jr|Sr|No|vs|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|"
                           r"Nov|Dec)\Z")
_LEADING = re.compile(r"[\s,;:]*")
_FIGURES = re.compile(r"[0-9%\"\u201c\u201d\u00ab\u00bb$\u00a2-\u00a5\u20a0-\u20bf]")
_CITE_MARK = "\ue000"  # stands for a citation group in a block's plain text
_QUOTES = str.maketrans({c: "'" for c in "\u2018\u2019\u201a\u201b\u2032\u0060\u00b4"}
                        | {c: '"' for c in "\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb"}
                        | {c: "-" for c in "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58"})
_TRAILING_PUNCT = ".,;:!?\u2026 "


def normalise_claim_text(text: str) -> str:
    """Fold a claim for comparison across revisions: NFKC, casefold, plain quotes/dashes,
    single spaces, no trailing punctuation."""
    folded = unicodedata.normalize("NFKC", text).casefold().translate(_QUOTES)
    return " ".join(folded.split()).rstrip(_TRAILING_PUNCT)


def _location(line: int, column: int) -> str:
    return f"Line {line}, column {column}: " if line else ""


# --------------------------------------------------------------------------- the parse


@dataclass
class _Group:
    """A citation group's items, split from its raw text."""

    keys: list[tuple[str, str]]  # (key, locator)
    problems: list[tuple[str, str]]  # (code, detail)


def _split_group(raw: str, closed: bool) -> _Group:
    """Read ``[@a; @b, p. 2]`` into keys and locators, or say what is wrong with it."""
    if _SINGLE_KEY.match(raw):
        return _Group([(raw[2:-1], "")], [])
    if not closed:
        return _Group([], [("unterminated_group", "citation group is not closed with ]")])
    items = [item.strip() for item in raw[1:-1].split(";")]
    if all(item.lstrip("@").split(",", 1)[0].strip() == "" for item in items):
        return _Group([], [("empty_group", "citation group names no source")])
    group = _Group([], [])
    seen: set[str] = set()
    for item in items:
        head, _, locator = item.partition(",")
        head = head.strip()
        key = head[1:] if head.startswith("@") else None
        if key is None or not _FULL_KEY_RE.match(key):
            group.problems.append(("malformed_key", f'malformed source key "{head}"'))
        elif key in seen:
            group.problems.append(("duplicate_key", f'source key "{key}" cited twice'))
        else:
            seen.add(key)
            group.keys.append((key, " ".join(locator.split())))
    return group


class _Parse:
    """One parse() call: walks markdown-it's tokens once, collecting claims and problems."""

    def __init__(self, body, source_list, library, images):
        self.body = body
        self.library = library
        self.images = images or {}
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", body)]
        self.lines = body.split("\n")
        self.line_cursor: dict[int, int] = {}
        self.numbers: dict[str, int] = {}
        self.numbered: list[str] = []
        self.claims: list[Claim] = []
        self.errors: list[Problem] = []
        self.warnings: list[Problem] = []
        self.broken_reported: set[str] = set()
        self.links: dict[tuple[str, int, str], str] = {}
        self.sups: dict[str, str] = {}
        for key in source_list:
            if key in self.numbers:
                continue
            self._number(key)
            if key not in library:
                self.errors.append(Problem(
                    "unknown_key", f'Source list: unknown source key "{key}" is in the source '
                    "list but not in the library.", 0, 0, key))

    def _number(self, key: str) -> int:
        number = self.numbers.get(key)
        if number is None:
            self.numbered.append(key)
            number = self.numbers[key] = len(self.numbered)
        return number

    # ---- positions

    def _content_map(self, token: Token) -> tuple[list[int], list[int], int]:
        """Per content line of an inline token: its content offset and its body offset."""
        first = token.map[0] if token.map else 0
        cstarts, bstarts, offset = [], [], 0
        for index, text in enumerate(token.content.split("\n")):
            line = min(first + index, len(self.lines) - 1)
            raw = self.lines[line]
            cursor = self.line_cursor.get(line, 0)  # table cells share a line, left to right
            column = raw.find(text, cursor) if text else cursor
            if column < 0:
                column = max(len(raw.rstrip()) - len(text), 0)
            self.line_cursor[line] = column + len(text)
            cstarts.append(offset)
            bstarts.append(self.line_starts[line] + column)
            offset += len(text) + 1
        return cstarts, bstarts, first

    def _locate(self, cmap, content_offset: int) -> tuple[int, int, int]:
        """(body offset, line, column) of an offset in an inline token's content."""
        cstarts, bstarts, first = cmap
        index = bisect_right(cstarts, content_offset) - 1
        offset = bstarts[index] + content_offset - cstarts[index]
        line = min(first + index, len(self.line_starts) - 1)
        return offset, line + 1, offset - self.line_starts[line] + 1

    # ---- walk

    def run(self) -> str:
        tokens = _MD.parse(self.body)
        quote_depth = table_depth = 0
        for index, token in enumerate(tokens):
            kind = token.type
            if kind == "blockquote_open":
                quote_depth += 1
            elif kind == "blockquote_close":
                quote_depth -= 1
            elif kind == "table_open":
                table_depth += 1
            elif kind == "table_close":
                table_depth -= 1
            elif kind in ("heading_open", "heading_close") and token.tag == "h1":
                token.tag = "h2"  # the page's own title is the h1
            elif kind == "inline" and token.children:
                heading = tokens[index - 1].type == "heading_open"
                children = token.children
                self._inline(token, quote_depth > 0, heading or table_depth > 0)
                if self._solo_figure(children) and tokens[index - 1].type == "paragraph_open":
                    tokens[index - 1].hidden = tokens[index + 1].hidden = True
        return _MD.renderer.render(tokens, _MD.options, {})

    def _inline(self, token: Token, in_quote: bool, quiet: bool) -> None:
        children = token.children
        parts, starts, cites = [], [], []
        offset = 0
        nested = False
        for index, child in enumerate(children):
            kind = child.type
            starts.append(offset)
            if kind in ("text", "text_special", "code_inline"):
                text = child.content
            elif kind in ("softbreak", "hardbreak"):
                text = "\n"
            elif kind == "cite":
                text = _CITE_MARK
                cites.append(index)
            else:
                text = ""
                nested = nested or child.nesting != 0
                if kind == "link_open":
                    _mark_external(child)
            parts.append(text)
            offset += len(text)
        plain = "".join(parts)
        breaks = self._breaks(plain, children, starts, in_quote)
        cmap = self._content_map(token)
        inserts = self._claims(children, starts, cites, plain, breaks, cmap) if cites else []
        if not quiet and _FIGURES.search(plain):
            self._figure_warnings(plain, breaks, children, starts, cmap)
        token.children = [Token("html_inline", "", 0, content=_render_inline(
            children, inserts, self, cmap, nested))]

    def _breaks(self, plain, children, starts, in_quote) -> list[int]:
        """Plain-text offsets where a sentence (or, in a quote, a line) ends."""
        breaks = []
        for match in _SENTENCE_END.finditer(plain):
            stop = match.start()
            if plain[stop] == "." and _ABBREVIATION.search(plain[max(0, stop - 6):stop].rjust(6)):
                continue
            child = children[bisect_right(starts, match.start()) - 1]
            if child.type in ("text", "text_special"):
                breaks.append(match.end())
        if in_quote:
            breaks.extend(starts[i] for i, c in enumerate(children) if c.type == "hardbreak")
            breaks.sort()
        return breaks

    def _claims(self, children, starts, cites, plain, breaks, cmap) -> list[tuple]:
        """Make a claim (or errors) per citation group; return where spans go."""
        inserts = []
        boundary = 0
        for index in cites:
            at = starts[index]
            cut = bisect_right(breaks, at) - 1
            begin = max(boundary, breaks[cut] if cut >= 0 else 0)
            boundary = at + 1
            cite = children[index]
            group_pos, line, column = self._locate(cmap, cite.meta.get("pos", 0))
            start = _LEADING.match(plain, begin, at).end()
            text = " ".join(plain[start:at].split())
            problems = self._check_group(cite, text)
            if problems:
                found = [Problem(code, f'{_location(line, column)}{detail} in "{cite.content}".',
                                 line, column, cite.content) for code, detail in problems]
                self.errors.extend(found)
                cite.meta["html"] = _error_mark(cite.content, found)
                continue
            ordinal = len(self.claims) + 1
            first, split = _span_start(children, starts, start)
            claim_pos = self._child_pos(children[first], cmap, split)
            _, cline, ccolumn = self._locate_body(claim_pos)
            sources = self._cite(cite, line, column)
            self.claims.append(Claim(ordinal, text, claim_pos, group_pos, cline, ccolumn, sources))
            cite.meta["html"] = self._sup(cite.content, sources)
            inserts.append((first, split, index, ordinal))
        return inserts

    def _child_pos(self, child: Token, cmap, split: int) -> int:
        return self._locate(cmap, child.meta.get("pos", 0) + split)[0]

    def _locate_body(self, offset: int) -> tuple[int, int, int]:
        line = bisect_right(self.line_starts, offset) - 1
        return offset, line + 1, offset - self.line_starts[line] + 1

    def _check_group(self, cite: Token, text: str) -> list[tuple[str, str]]:
        group = _split_group(cite.content, cite.meta.get("closed", False))
        problems = list(group.problems)
        for key, _locator in group.keys:
            if key not in self.library:
                problems.append(("unknown_key", f'unknown source key "{key}"'))
        if not text:
            problems.append(("no_claim_text", "no claim text before the citation group (put "
                             "the group before the sentence's full stop)"))
        cite.meta["keys"] = group.keys
        return problems

    def _cite(self, cite: Token, line: int, column: int) -> tuple[CitedSource, ...]:
        sources = []
        for key, locator in cite.meta["keys"]:
            sources.append(CitedSource(key, self._number(key), locator))
            info = self.library[key]
            if info.health in BROKEN_HEALTH and key not in self.broken_reported:
                self.broken_reported.add(key)
                self.warnings.append(Problem(
                    "broken_source", f'{_location(line, column)}source "{key}" is {info.health}; '
                    "check its link or replace it.", line, column, cite.content))
        return tuple(sources)

    def _sup(self, raw: str, sources: tuple[CitedSource, ...]) -> str:
        # A group's text fixes its keys, and a key's number never changes once given.
        sup = self.sups.get(raw)
        if sup is None:
            links = ", ".join(map(self._source_link, sources))
            sup = self.sups[raw] = f'<sup class="cite">{links}</sup>'
        return sup

    def _source_link(self, source: CitedSource) -> str:
        memo = (source.key, source.number, source.locator)
        link = self.links.get(memo)
        if link is None:
            title = self.library[source.key].title or source.key
            link = self.links[memo] = (
                f'<a href="#source-{source.number}" aria-label="Source {source.number}: '
                f'{_attr(title)}" title="{_attr(source.locator or title)}">{source.number}</a>')
        return link

    def _figure_warnings(self, plain, breaks, children, starts, cmap) -> None:
        """Warn once per sentence that has figures or a quotation but no citation group."""
        edges = [0, *breaks, len(plain)]
        for begin, end in itertools.pairwise(edges):
            sentence = plain[begin:end]
            if _CITE_MARK in sentence or not _FIGURES.search(sentence):
                continue
            first, split = _span_start(children, starts, _LEADING.match(plain, begin, end).end())
            pos = self._child_pos(children[first], cmap, split)
            _, line, column = self._locate_body(pos)
            text = " ".join(sentence.split())
            self.warnings.append(Problem(
                "uncited_figures", f"{_location(line, column)}figures or a quotation without a "
                f'citation in "{_clip(text)}".', line, column, text))

    @staticmethod
    def _solo_figure(children: list[Token]) -> bool:
        """True when a paragraph holds nothing but one figure (a <figure> cannot sit in a <p>)."""
        visible = [c for c in children if c.type != "softbreak" and
                   not (c.type == "text" and not c.content.strip())]
        return len(visible) == 1 and visible[0].meta.get("figure", False)

    def figure(self, image: Token, cmap) -> str:
        """Render ``![alt](image:ID)`` as a figure, or an error mark when the ID is unknown."""
        src = image.attrs.get("src", "")
        alt = _alt_text(image)
        if not str(src).lower().startswith("image:"):
            if str(src).lower().startswith(("http://", "https://")):
                return (f'<a href="{_attr(src)}" rel="nofollow noopener noreferrer">'
                        f"{html.escape(alt or src)}</a>")
            return html.escape(alt)
        image_id = unquote(str(src)[6:])
        info = self.images.get(image_id)
        raw = self.body_text(image, cmap)
        if info is None:
            _, line, column = self._locate(cmap, image.meta.get("pos", 0))
            message = f'{_location(line, column)}unknown image "{image_id}" in "{raw}".'
            self.errors.append(Problem("unknown_image", message, line, column, raw))
            return (f'<mark class="cite-error" title="{_attr(message)}">'
                    f"{html.escape(raw)}</mark>")
        image.meta["figure"] = True
        return _figure_html(info, alt, str(image.attrs.get("title", "") or ""))

    def body_text(self, token: Token, cmap) -> str:
        start = self._locate(cmap, token.meta.get("pos", 0))[0]
        end = self._locate(cmap, token.meta.get("end", 0))[0]
        return self.body[start:end] if end > start else token.content


def _span_start(children, starts, start: int) -> tuple[int, int]:
    """Child index where a claim span opens (before any opening markup) and the split offset."""
    index = bisect_right(starts, start) - 1
    if starts[index] < start:
        kind = children[index].type
        return index, (start - starts[index] if kind in ("text", "text_special") else 0)
    first = bisect_left(starts, start)
    while first < index and children[first].nesting < 0:
        first += 1
    return first, 0


def _render_inline(children, inserts, parse: _Parse, cmap, nested: bool = True) -> str:
    """HTML for a block's inline tokens with claim spans and sups; a span that starts or ends
    inside markup closes and reopens that markup so the HTML stays nested."""
    nested = nested and bool(inserts)  # without markup, spans never need splitting
    pairs = _pairs(children) if nested else {}
    opens_at = {first: (split, cite, ordinal) for first, split, cite, ordinal in inserts}
    closes_at = {cite: first for first, _, cite, _ in inserts}
    out: list[str] = []
    for index, child in enumerate(children):
        kind = child.type
        content = child.content
        if index in opens_at:
            split, cite, ordinal = opens_at[index]
            if split:
                out.append(escapeHtml(content[:split]))
                content = content[split:]
            dangling = _unmatched_closes(children, index, cite, pairs) if nested else ()
            out.extend(f"</{_TAGS.get(children[i].tag, children[i].tag)}>" for i in dangling)
            out.append(f'<span class="claim" id="claim-{ordinal}">')
            out.extend(_open_tag(children[pairs[i]]) for i in reversed(dangling))
        if kind == "text" or kind == "text_special":
            out.append(escapeHtml(content))
        elif kind == "softbreak":
            out.append("\n")
        elif kind == "cite":
            if index in closes_at:
                out[-1] = out[-1].rstrip()  # the sup hugs the claim's last word
                still_open = _unmatched_opens(children, closes_at[index], index) if nested else ()
                out.extend(f"</{_TAGS.get(children[i].tag, children[i].tag)}>"
                           for i in reversed(still_open))
                out.append("</span>")
                out.extend(_open_tag(children[i]) for i in still_open)
            out.append(_cite_html(child))
        elif kind == "code_inline":
            out.append(f"<code>{escapeHtml(content)}</code>")
        elif kind == "hardbreak":
            out.append("<br>\n")
        elif kind == "image":
            out.append(parse.figure(child, cmap))
        elif child.nesting > 0:
            out.append(_open_tag(child))
        elif child.nesting < 0:
            out.append(f"</{_TAGS.get(child.tag, child.tag)}>")
    return "".join(out)


_TAGS = {"s": "del"}  # strikethrough is <del> in the allow-list


def _open_tag(token: Token) -> str:
    tag = _TAGS.get(token.tag, token.tag)
    if not token.attrs:
        return f"<{tag}>"
    attrs = "".join(f' {name}="{_attr(value)}"' for name, value in token.attrs.items())
    return f"<{tag}{attrs}>"


def _pairs(children) -> dict[int, int]:
    """Map each closing token index to its opening token index."""
    pairs, stack = {}, []
    for index, child in enumerate(children):
        if child.nesting > 0:
            stack.append(index)
        elif child.nesting < 0 and stack:
            pairs[index] = stack.pop()
    return pairs


def _unmatched_closes(children, first: int, cite: int, pairs) -> list[int]:
    """Closing tokens in [first, cite) whose opening token lies before the span (inner first)."""
    return [i for i in range(first, cite)
            if children[i].nesting < 0 and pairs.get(i, first) < first]


def _unmatched_opens(children, first: int, cite: int) -> list[int]:
    """Opening tokens in [first, cite) still open at the citation group (outer first)."""
    stack = []
    for index in range(first, cite):
        nesting = children[index].nesting
        if nesting > 0:
            stack.append(index)
        elif nesting < 0 and stack:
            stack.pop()
    return stack


def _attr(value: object) -> str:
    return html.escape(str(value), quote=True)


def _clip(text: str, size: int = 80) -> str:
    return text if len(text) <= size else text[: size - 1] + "\u2026"


def _mark_external(link: Token) -> None:
    if not str(link.attrs.get("href", "")).startswith("#"):
        link.attrs["rel"] = "nofollow noopener noreferrer"


def _alt_text(image: Token) -> str:
    kinds = ("text", "text_special", "code_inline", "cite")
    return "".join(c.content for c in image.children or () if c.type in kinds)


def _error_mark(raw: str, problems: list[Problem]) -> str:
    title = " ".join(problem.message for problem in problems)
    return f'<mark class="cite-error" title="{_attr(title)}">{html.escape(raw)}</mark>'


_SAFE_SRC = re.compile(r"(?:https?://|/)[^\s,\"'<>]*\Z", re.IGNORECASE)


def _srcset(value: str) -> str:
    """Keep srcset candidates whose URL is site-rooted or http(s)."""
    kept = [c.strip() for c in value.split(",") if c.strip() and _SAFE_SRC.match(c.split()[0])]
    return ", ".join(kept)


def _figure_html(info: ImageInfo, alt: str, title: str) -> str:
    attrs = [f'src="{_attr(info.src)}"', f'alt="{_attr(alt)}"']
    srcset = _srcset(info.srcset)
    if srcset:
        attrs += [f'srcset="{_attr(srcset)}"', 'sizes="(max-width: 800px) 100vw, 800px"']
    if info.width:
        attrs.append(f'width="{int(info.width)}"')
    if info.height:
        attrs.append(f'height="{int(info.height)}"')
    attrs.append('loading="lazy"')
    caption = info.caption or title
    credit = html.escape(info.credit)
    if credit and info.credit_url.lower().startswith(("http://", "https://")):
        credit = (f'<a href="{_attr(info.credit_url)}" rel="nofollow noopener noreferrer">'
                  f"{credit}</a>")
    bits = []
    if caption:
        bits.append(f'<span class="caption">{html.escape(caption)}</span>')
    if credit:
        bits.append(f'<span class="credit">{credit}</span>')
    figcaption = f"<figcaption>{' '.join(bits)}</figcaption>" if bits else ""
    return f'<figure class="figure"><img {" ".join(attrs)}>{figcaption}</figure>'


# --------------------------------------------------------------------------- entry point


def _normalise_newlines(body: str) -> tuple[str, list[int]]:
    """markdown-it works on \\n only; remember where \\r\\n pairs were folded to map back."""
    if "\r" not in body:
        return body, []
    crlf: list[int] = []
    removed = 0
    for match in re.finditer(r"\r\n?", body):
        if match.group() == "\r\n":
            crlf.append(match.start() - removed)
            removed += 1
    folded = body.replace("\r\n", "\n").replace("\r", "\n")
    return folded, crlf


def parse(body: str, *, source_list: Sequence[str], library: Mapping[str, SourceInfo],
          images: Mapping[str, ImageInfo] | None = None) -> Document:
    """Parse a story body: claims with numbered sources, errors, warnings and sanitised HTML."""
    text, crlf = _normalise_newlines(body)
    run = _Parse(text, source_list, library, images)
    rendered = _CLEANER.clean(run.run())
    listed = set(source_list)
    cited = {source.key for claim in run.claims for source in claim.sources}
    warnings = [Problem("uncited_source", f'Source list: source "{key}" is listed but no claim '
                        "cites it.", 0, 0, key)
                for key in run.numbered if key in listed and key in library and key not in cited]
    claims = run.claims
    if crlf:
        claims = [_shift(claim, crlf) for claim in claims]
    return Document(
        claims=tuple(claims),
        numbered=tuple(run.numbered),
        errors=tuple(run.errors),
        warnings=tuple(run.warnings + warnings),
        html=rendered,
        _numbers=dict(run.numbers),
    )


def _shift(claim: Claim, crlf: list[int]) -> Claim:
    """Map a claim's offsets from the \\n-only text back to the raw body."""
    start = claim.start + bisect_left(crlf, claim.start)
    end = claim.end + bisect_left(crlf, claim.end)
    return Claim(claim.ordinal, claim.text, start, end, claim.line, claim.column, claim.sources)


def first_citation_order(doc: Document) -> tuple[str, ...]:
    """The numbered keys in the order readers first meet them; listed keys no claim cites keep
    their relative order at the end."""
    numbered = set(doc.numbered)
    cited = dict.fromkeys(s.key for c in doc.claims for s in c.sources if s.key in numbered)
    return (*cited, *(key for key in doc.numbered if key not in cited))


def reading_order(doc: Document) -> tuple[int, ...]:
    """Source numbers in the order a reader first meets them (1, 2, 3, … when in order)."""
    return tuple(dict.fromkeys(s.number for c in doc.claims for s in c.sources if s.number))
