"""markdown-it, set up for story bodies: every token knows where it starts in the source,
``[@…]`` is a token of its own, and only the Markdown a story needs is enabled."""

from __future__ import annotations

import re

from markdown_it import MarkdownIt
from markdown_it.parser_inline import ParserInline
from markdown_it.rules_inline import StateInline
from markdown_it.rules_inline.image import image as _md_image
from markdown_it.rules_inline.link import link as _md_link
from markdown_it.token import Token

from .groups import KEY_RE, MAX_GROUP


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
        key = KEY_RE.match(src, pos + 2, maximum)
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


MD = _build_markdown()
