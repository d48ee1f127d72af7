"""One parse: markdown-it's tokens walked once, claims cut at sentence boundaries, numbers
given in order of first citation, problems located by line and column."""

from __future__ import annotations

import html
import itertools
import re
from bisect import bisect_left, bisect_right
from collections.abc import Mapping, Sequence
from urllib.parse import unquote

from markdown_it.token import Token

from audit.text import (
    DIRECTION_CONTROLS,
    direction_closer,
    direction_closers,
    open_direction_controls,
)

from .document import BROKEN_HEALTH, CitedSource, Claim, Document, ImageInfo, Problem, SourceInfo
from .groups import split_group
from .markdown import MD
from .rendering import (
    CLEANER,
    alt_text,
    attr,
    clip,
    error_mark,
    figure_html,
    mark_external,
    render_inline,
    span_start,
)
from .sentences import ABBREVIATION, CITE_MARK, FIGURES, LEADING, SENTENCE_END, location


class _Parse:
    """One parse() call: walks markdown-it's tokens once, collecting claims and problems."""

    def __init__(self, body, source_list, library, images, render=True):
        self.body = body
        self.render = render
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
        tokens = MD.parse(self.body)
        quote_depth = table_depth = 0
        containers: list[str] = []  # the quotes and list items around a paragraph, inner last
        for index, token in enumerate(tokens):
            kind = token.type
            if kind == "blockquote_open":
                quote_depth += 1
                containers.append("quote")
            elif kind == "blockquote_close":
                quote_depth -= 1
                containers.pop()
            elif kind == "list_item_open":
                containers.append("list item")
            elif kind == "list_item_close":
                containers.pop()
            elif kind == "table_open":
                table_depth += 1
            elif kind == "table_close":
                table_depth -= 1
            elif kind in ("heading_open", "heading_close") and token.tag == "h1":
                token.tag = "h2"  # the page's own title is the h1
            elif kind == "inline" and token.children:
                opener = tokens[index - 1].type
                heading = opener == "heading_open"
                block = ("heading" if heading else "table cell" if opener in ("th_open", "td_open")
                         else containers[-1] if containers else "paragraph")
                children = token.children
                self._inline(token, quote_depth > 0, heading or table_depth > 0, block)
                if self._solo_figure(children) and tokens[index - 1].type == "paragraph_open":
                    tokens[index - 1].hidden = tokens[index + 1].hidden = True
        return MD.renderer.render(tokens, MD.options, {}) if self.render else ""

    def _inline(self, token: Token, in_quote: bool, quiet: bool, block: str) -> None:
        children = token.children
        parts, starts, cites = [], [], []
        shown: list[tuple[int, str]] = []  # (child, text) of what the block shows, in order
        offset = 0
        nested = False
        for index, child in enumerate(children):
            kind = child.type
            starts.append(offset)
            if kind in ("text", "text_special", "code_inline"):
                text = child.content
                shown.append((index, text))
            elif kind in ("softbreak", "hardbreak"):
                text = "\n"
            elif kind == "cite":
                text = CITE_MARK
                cites.append(index)
            else:
                text = ""
                nested = nested or child.nesting != 0
                if kind == "link_open":
                    mark_external(child)
                elif kind == "image" and not str(child.attrs.get("src", "")).startswith("image:"):
                    shown.append((index, alt_text(child)))  # shown as the link's text
            parts.append(text)
            offset += len(text)
        plain = "".join(parts)
        breaks = self._breaks(plain, children, starts, in_quote)
        cmap = self._content_map(token)
        closers = self._direction_warning(token, shown, block, cmap)
        inserts = self._claims(children, starts, cites, plain, breaks, cmap) if cites else []
        if not quiet and FIGURES.search(plain):
            self._figure_warnings(plain, breaks, children, starts, cmap)
        if self.render:
            # A direction control the block leaves open ends with it, wherever this HTML is
            # shown (the page, the review screen, a feed): nothing after it reads reversed.
            # The Markdown stays as typed; the writer has the warning.
            token.children = [Token("html_inline", "", 0, content=render_inline(
                children, inserts, self.figure, cmap, nested) + closers)]
        else:  # no HTML, but a figure's unknown image ID is still an error
            for child in children:
                if child.type == "image":
                    self.figure(child, cmap)

    def _direction_warning(self, token: Token, shown: list[tuple[int, str]], block: str,
                           cmap) -> str:
        """Warn once per block that leaves a direction control open, at the outermost one;
        return what ends them all (for the HTML)."""
        text = "".join(part for _, part in shown)
        open_at = open_direction_controls(text) if any(
            char in text for char in DIRECTION_CONTROLS) else []
        if not open_at:
            return ""
        at, index = open_at[0], 0
        while index + 1 < len(shown) and at >= len(shown[index][1]):
            at -= len(shown[index][1])
            index += 1
        child_index, part = shown[index]
        char, child = part[at], token.children[child_index]
        pos = child.meta.get("pos", 0)
        if child.type in ("text", "code_inline"):  # where it was typed (an entity is one token)
            found = pos - 1
            for _ in range(part[:at].count(char) + 1):
                found = token.content.find(char, found + 1)
                if found < 0:
                    break
            pos = found if found >= 0 else pos
        _, line, column = self._locate(cmap, pos)
        more = len(open_at) - 1
        also = (f" {more} more direction control{'s are' if more > 1 else ' is'} left open "
                "after it." if more else "")
        name = DIRECTION_CONTROLS[char]
        direction = ("left to right" if "left-to-right" in name else "right to left"
                     if "right-to-left" in name else "in the direction of its first letter")
        self.warnings.append(Problem(
            "open_direction_control",
            f"{location(line, column)}{name} (U+{ord(char):04X}) is left "
            f"open to the end of its {block}, so the rest of it is shown {direction}.{also} "
            f"Readers' pages end it there; end it yourself where it should stop "
            f"(U+{ord(direction_closer(char)):04X}) or delete it.", line, column,
            f"U+{ord(char):04X}"))  # the character itself would show as nothing
        return direction_closers(text)

    def _breaks(self, plain, children, starts, in_quote) -> list[int]:
        """Plain-text offsets where a sentence (or, in a quote, a line) ends."""
        breaks = []
        for match in SENTENCE_END.finditer(plain):
            stop = match.start()
            if plain[stop] == "." and ABBREVIATION.search(plain[max(0, stop - 6):stop].rjust(6)):
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
            start = LEADING.match(plain, begin, at).end()
            text = " ".join(plain[start:at].split())
            problems = self._check_group(cite, text)
            if problems:
                found = [Problem(code, f'{location(line, column)}{detail} in "{cite.content}".',
                                 line, column, cite.content) for code, detail in problems]
                self.errors.extend(found)
                if self.render:
                    cite.meta["html"] = error_mark(cite.content, found)
                continue
            ordinal = len(self.claims) + 1
            first, split = span_start(children, starts, start)
            claim_pos = self._child_pos(children[first], cmap, split)
            _, cline, ccolumn = self._locate_body(claim_pos)
            sources = self._cite(cite, line, column)
            self.claims.append(Claim(ordinal, text, claim_pos, group_pos, cline, ccolumn, sources))
            if self.render:
                cite.meta["html"] = self._sup(cite.content, sources)
            inserts.append((first, split, index, ordinal))
        return inserts

    def _child_pos(self, child: Token, cmap, split: int) -> int:
        return self._locate(cmap, child.meta.get("pos", 0) + split)[0]

    def _locate_body(self, offset: int) -> tuple[int, int, int]:
        line = bisect_right(self.line_starts, offset) - 1
        return offset, line + 1, offset - self.line_starts[line] + 1

    def _check_group(self, cite: Token, text: str) -> list[tuple[str, str]]:
        group = split_group(cite.content, cite.meta.get("closed", False))
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
                    "broken_source", f'{location(line, column)}source "{key}" is {info.health}; '
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
                f'{attr(title)}" title="{attr(source.locator or title)}">{source.number}</a>')
        return link

    def _figure_warnings(self, plain, breaks, children, starts, cmap) -> None:
        """Warn once per sentence that has figures or a quotation but no citation group."""
        edges = [0, *breaks, len(plain)]
        for begin, end in itertools.pairwise(edges):
            sentence = plain[begin:end]
            if CITE_MARK in sentence or not FIGURES.search(sentence):
                continue
            first, split = span_start(children, starts, LEADING.match(plain, begin, end).end())
            pos = self._child_pos(children[first], cmap, split)
            _, line, column = self._locate_body(pos)
            text = " ".join(sentence.split())
            self.warnings.append(Problem(
                "uncited_figures", f"{location(line, column)}figures or a quotation without a "
                f'citation in "{clip(text)}".', line, column, text))

    @staticmethod
    def _solo_figure(children: list[Token]) -> bool:
        """True when a paragraph holds nothing but one figure (a <figure> cannot sit in a <p>)."""
        visible = [c for c in children if c.type != "softbreak" and
                   not (c.type == "text" and not c.content.strip())]
        return len(visible) == 1 and visible[0].meta.get("figure", False)

    def figure(self, image: Token, cmap) -> str:
        """Render ``![alt](image:ID)`` as a figure, or an error mark when the ID is unknown."""
        src = image.attrs.get("src", "")
        alt = alt_text(image)
        if not str(src).lower().startswith("image:"):
            if str(src).lower().startswith(("http://", "https://")):
                return (f'<a href="{attr(src)}" rel="nofollow noopener noreferrer">'
                        f"{html.escape(alt or src)}</a>")
            return html.escape(alt)
        image_id = unquote(str(src)[6:])
        info = self.images.get(image_id)
        raw = self.body_text(image, cmap)
        if info is None:
            _, line, column = self._locate(cmap, image.meta.get("pos", 0))
            message = f'{location(line, column)}unknown image "{image_id}" in "{raw}".'
            self.errors.append(Problem("unknown_image", message, line, column, raw))
            return (f'<mark class="cite-error" title="{attr(message)}">'
                    f"{html.escape(raw)}</mark>")
        image.meta["figure"] = True
        return figure_html(info, alt, str(image.attrs.get("title", "") or ""))

    def body_text(self, token: Token, cmap) -> str:
        start = self._locate(cmap, token.meta.get("pos", 0))[0]
        end = self._locate(cmap, token.meta.get("end", 0))[0]
        return self.body[start:end] if end > start else token.content


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
          images: Mapping[str, ImageInfo] | None = None, html: bool = True) -> Document:
    """Parse a story body: claims with numbered sources, errors, warnings and sanitised HTML.
    With html=False the same claims and problems come back with no HTML (empty): a check of
    unsaved text needs no page, and rendering and sanitising are a fifth of a parse."""
    text, crlf = _normalise_newlines(body)
    run = _Parse(text, source_list, library, images, render=html)
    rendered = run.run()
    rendered = CLEANER.clean(rendered) if html else ""
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
