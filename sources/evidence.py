"""Evidence hints: are a claim's figures and quotations in the cited source's text?

Pure: plain strings in, frozen dataclasses out. A hint for the reviewer, never a verdict.

Both sides are normalised the same way: Unicode dashes, quotes and spaces fold to ASCII,
case folds, and each figure becomes a canonical value, so "6%", "6 per cent" and "6 percent"
are one figure, and "$53bn", "US$53 billion", "53 billion dollars" and "$53,000,000,000" are
another. A snapshot's figures are indexed once (index_text); every claim is then a dictionary
lookup, and each quotation one regular-expression search.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

FOUND, PARTIAL, NOT_FOUND, NO_SNAPSHOT = "found", "partial", "not_found", "no_snapshot"
EXCERPT_CHARS = 160

# One-for-one character folds, so positions in the folded text are positions in the original.
_FOLD_PAIRS = tuple(
    [(c, "-") for c in "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"]
    + [(c, '"') for c in "\u201c\u201d\u201e\u201f\u00ab\u00bb\u2033\uff02"]
    + [(c, "'") for c in "\u2018\u2019\u201a\u201b\u2032\uff07"]
    + [(c, " ") for c in "\u00a0\u2007\u2009\u200a\u202f\u205f\u3000"]
    + [("\uff05", "%"), ("\u2026", ".")]
)

# Digits with commas; the grouping is checked in Python (a lookahead here is 3x slower).
_NUM = r"[0-9][0-9,]*(?:\.[0-9]+)?"
_GROUPED = re.compile(r"[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?")
_SCALE = (r"trillions?\b|billions?\b|milliards?\b|milliarden\b|millions?\b|millionen\b|"
          r"millones\b|milioni\b|thousands?\b|tn\b|bn\b|bln\b|mrd\b|mln\b|mio\b|mn\b|m\b|k\b")
_FIGURE = re.compile(
    rf"(?P<n1>{_NUM})(?:\s?(?P<s1>{_SCALE}))?"
    rf"(?:\s?(?:-|to)\s?(?P<n2>{_NUM})(?:\s?(?P<s2>{_SCALE}))?)?"
    r"(?:\s?(?P<pct>%|per\s?cent\b|percent\b|pct\b|percentage\s+points?\b))?"
)
_SCALES = {
    "thousand": 3, "thousands": 3, "k": 3, "million": 6, "millions": 6, "millionen": 6,
    "millones": 6, "milioni": 6, "m": 6, "mn": 6, "mln": 6, "mio": 6, "billion": 9,
    "billions": 9, "milliard": 9, "milliards": 9, "milliarden": 9, "bn": 9, "bln": 9, "mrd": 9,
    "trillion": 12, "trillions": 12, "tn": 12,
}
# "m" and "k" are metres and kilo-anything unless money is plainly meant.
_MONEY_ONLY_SCALES = {"m", "k"}
_CURRENCY_BEFORE = ("$", "\u20ac", "\u00a3", "\u00a5", "usd", "eur", "gbp", "cny", "rmb", "jpy",
                    "chf", "inr", "\u20b9")
_CURRENCY_AFTER = re.compile(
    r"\s?(?:dollars?|euros?|pounds?|sterling|yuan|renminbi|yen|rupees?|francs?|usd|eur|gbp|"
    r"cny|rmb|jpy)\b"
)
_QUOTE = re.compile(r'"([^"\n]{3,400}?)"')
_CURLY_SINGLE = re.compile(r"\u2018([^\u2018\u2019\n]{3,400}?)\u2019(?![A-Za-z])")
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_STOP = frozenset(re.findall(r"\w+", """
    about above after again against also among and another any are because been before being
    between both but could did does doing down during each even every few from further had
    has have having here hers herself himself his how into its itself just more most much
    must near not now off once only other our ours out over own said same says she should
    since some such than that the their theirs them then there these they this those through
    too under until upon very was were what when where which while who whom why will with
    would you your year years
"""))


@dataclass(frozen=True)
class Figure:
    """A figure as written (text) and its canonical key: ("pct"|"num", plain decimal)."""

    text: str
    kind: str  # percent, money, year or number
    key: tuple[str, str]
    start: int = 0


@dataclass(frozen=True)
class ClaimFacts:
    """What can be looked for in a source: figures, quoted phrases, or failing both, words."""

    figures: tuple[Figure, ...] = ()
    quotes: tuple[str, ...] = ()
    words: tuple[str, ...] = ()

    @property
    def checkable(self) -> bool:
        """True when the claim has figures or quotations (the words fallback does not count)."""
        return bool(self.figures or self.quotes)


@dataclass(frozen=True)
class Evidence:
    """One claim against one source's snapshot: status, excerpt, and which items were seen."""

    status: str
    excerpt: str = ""
    found: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    basis: str = "figures"  # figures (figures and quotes) or words (claim had neither)


@dataclass(frozen=True)
class TextIndex:
    """A snapshot's text, folded once, with the first position of every figure in it."""

    text: str
    folded: str
    figures: Mapping[tuple[str, str], int] = field(default_factory=dict)


def _fold_marks(text: str) -> str:
    if not text.isascii():
        for char, ascii_char in _FOLD_PAIRS:
            if char in text:
                text = text.replace(char, ascii_char)
    return text


# Other locales' ways of writing a number, each rewritten to the English form of the same
# length, so positions still hold: 1.800.000 and 1 800 000 and 1'800'000 -> 1,800,000;
# 1.800.000,5 -> 1,800,000.5; a decimal comma before a scale or percent (1,8 Mio, 40,5 %) -> a
# point. A single dot group (1.800) stays a decimal: it is one in English.
_SEP = "\u00a0\u202f\u2009\u2007"
_LOCALE_NUMBER = re.compile(
    r"(?<![0-9.,'\u2019])[0-9]{1,3}(?:"
    r"(?:\.[0-9]{3}){2,}(?:,[0-9]+)?"             # 1.800.000 (and a decimal comma)
    rf"|(?:[{_SEP}][0-9]{{3}})+(?:,[0-9]+)?"      # 1 800 000 with no-break or thin spaces
    r"|(?: [0-9]{3}){2,}(?:,[0-9]+)?"              # 1 800 000 with plain spaces: 2+ groups
    r"|(?:['\u2019][0-9]{3})+(?:\.[0-9]+)?"       # 1'800'000 (Swiss)
    r")(?![0-9])"
    r"|(?<![0-9.,])[0-9]+,[0-9]{1,2}(?=\s?(?:%|per\s?cent|percent|prozent|pct|mio|mrd|mln|"
    r"mill|milj|md|bn|m\b|tn|k\b))",
    re.IGNORECASE,
)
_TO_ENGLISH = str.maketrans({".": ",", ",": ".", " ": ",", "'": ",", "\u2019": ",",
                             "\u00a0": ",", "\u202f": ",", "\u2009": ",", "\u2007": ","})


def _english_number(match: re.Match) -> str:
    number = match.group(0)
    if "." in number and "," not in number and "'" not in number and "\u2019" not in number:
        return number.replace(".", ",")  # 1.800.000
    if "'" in number or "\u2019" in number:  # Swiss: apostrophes group, a point is decimal
        return number.replace("'", ",").replace("\u2019", ",")
    return number.translate(_TO_ENGLISH)


def english_numbers(text: str) -> str:
    """Other locales' number forms rewritten in English form; the length is kept."""
    if not _has_locale_candidate(text):
        return text
    return _LOCALE_NUMBER.sub(_english_number, text)


# Only a text with one of these forms is rewritten (most English text has none, and the
# rewrite's look-behinds at every digit would cost more than the rest of the indexing).
_CANDIDATE = re.compile(
    rf"[0-9]\.[0-9]{{3}}\.[0-9]{{3}}|[0-9][{_SEP}'\u2019][0-9]{{3}}|[0-9] [0-9]{{3}} [0-9]{{3}}"
    r"|[0-9],[0-9]{1,2}\s?(?:%|per|mio|mrd|mln|mill|milj|md|bn|m\b|tn|k\b|pct|prozent)",
    re.IGNORECASE)


def _has_locale_candidate(text: str) -> bool:
    return _CANDIDATE.search(text) is not None


def fold(text: str) -> str:
    """Dashes, quotes and spaces to ASCII, lower case, numbers of other locales in English
    form; the result keeps the input's length."""
    marked = _fold_marks(english_numbers(text))
    folded = marked.lower()
    if len(folded) != len(text):  # a few characters lower-case to two; keep positions aligned
        folded = "".join(c if len(c.lower()) != 1 else c.lower() for c in marked)
    return folded


_SIGNS = frozenset("$\u20ac\u00a3\u00a5\u20b9")


def _currency_before(folded: str, start: int) -> int:
    """Where a currency sign or code just before position start begins, or -1."""
    if not start:
        return -1
    prev = folded[start - 1]
    if prev == " " and start > 1:
        prev = folded[start - 2]
    if prev not in _SIGNS and not prev.isalpha():
        return -1  # the common case, decided without slicing
    before = folded[max(0, start - 5):start]
    stripped = before.rstrip()
    for sign in _CURRENCY_BEFORE:
        if stripped.endswith(sign):
            begin = start - (len(before) - len(stripped)) - len(sign)
            if len(sign) == 3 and begin > 0 and folded[begin - 1].isalpha():
                return -1  # the tail of a word ("pause 5"), not a currency code
            # "US$", "A$", "HK$": the country letters belong to the sign.
            while sign == "$" and begin > 0 and folded[begin - 1].isalpha() and (
                start - begin < 5
            ):
                begin -= 1
            return begin
    return -1


def _key(digits: str, scale: str | None) -> str:
    if not scale and digits.isdigit():
        return digits.lstrip("0") or "0"
    try:
        value = Decimal(digits.replace(",", ""))
    except InvalidOperation:
        return digits
    if scale:
        value = value.scaleb(_SCALES[scale])
    return format(value.normalize(), "f")


def _part_of_name(folded: str, start: int) -> bool:
    """A number glued to letters is a name or code (G7, A380, COVID-19), not a figure."""
    return bool(start) and (folded[start - 1].isalpha() or (
        folded[start - 1] in "-_" and start > 1 and folded[start - 2].isalpha()
    ))


def _scan(folded: str, original: str | None = None):
    """Yield (key, start, kind, shown) for every figure; kind and shown only with original."""
    for match in _FIGURE.finditer(folded):
        if not _part_of_name(folded, match.start()):
            yield from _read_match(folded, match, original)


def _read_match(folded: str, match: re.Match, original: str | None):
    describe = original is not None
    start = match.start()
    n1, s1, n2, s2, pct = match.groups()
    percent = bool(pct)
    if n1.endswith(","):  # "in 2021, the": what follows the comma is not ours
        n1, s1, n2, s2, percent = n1.rstrip(","), None, None, None, False
    elif n2 and n2.endswith(","):
        n2, s2, percent = n2.rstrip(","), None, False
    sign_at = -1
    if describe or s1 in _MONEY_ONLY_SCALES or s2 in _MONEY_ONLY_SCALES:
        sign_at = _currency_before(folded, start)
        money = sign_at >= 0 or bool(_CURRENCY_AFTER.match(folded, match.end()))
        if not money:
            s1 = None if s1 in _MONEY_ONLY_SCALES else s1
            s2 = None if s2 in _MONEY_ONLY_SCALES else s2
    else:
        money = False
    if n2 and s2 and not s1:
        s1 = s2  # "$1-2 billion": the scale belongs to both ends
    pairs = [(n1, s1), (n2, s2)] if n2 else [(n1, s1)]
    shown = ""
    if describe:
        end = start + len(n1) if match["n1"].endswith(",") else match.end()
        shown = original[sign_at if sign_at >= 0 else start:end].strip().rstrip(",")
    for digits, scale in pairs:
        if "," in digits and not _GROUPED.fullmatch(digits):
            # "1,2,3" is a list, not a number: each part is a plain number.
            parts = [(part, None) for part in digits.split(",") if part]
        else:
            parts = [(digits, scale)]
        for part, part_scale in parts:
            plain = _key(part, part_scale)
            if percent:
                yield ("pct", plain), start, "percent", shown
            elif not describe:
                yield ("num", plain), start, "", ""
            elif money:
                yield ("num", plain), start, "money", shown
            elif (not part_scale and part.isdigit() and len(part) == 4
                  and 1800 <= int(part) <= 2100):
                yield ("num", plain), start, "year", shown
            else:
                yield ("num", plain), start, "number", shown


def extract_figures(text: str) -> tuple[Figure, ...]:
    """Every figure in a claim, once each: numbers, percentages, money, years, both range ends."""
    seen: dict[tuple[str, str], Figure] = {}
    for key, start, kind, shown in _scan(fold(text), text):
        if key not in seen:
            seen[key] = Figure(text=shown, kind=kind, key=key, start=start)
    return tuple(seen.values())


def _clean_phrase(phrase: str) -> str:
    return " ".join(_WORD.findall(fold(phrase)))


def extract_quotes(text: str) -> tuple[str, ...]:
    """Quoted phrases (straight, curly double, curly single), split at ellipses, normalised."""
    text = text.replace("\u2026", "...")  # an ellipsis splits a quotation; positions don't matter
    raw = [m.group(1) for m in _CURLY_SINGLE.finditer(text)]
    raw += [m.group(1) for m in _QUOTE.finditer(_fold_marks(text))]
    phrases: dict[str, None] = {}
    for quote in raw:
        for fragment in re.split(r"\[?\.{3,}\]?", quote):
            cleaned = _clean_phrase(fragment)
            if len(cleaned) >= 3:
                phrases.setdefault(cleaned, None)
    return tuple(phrases)


def extract_words(text: str, limit: int = 12) -> tuple[str, ...]:
    """Distinctive words of a claim without figures: the fallback for evidence hints."""
    words = [w for w in _WORD.findall(fold(text)) if len(w) >= 4 and w not in _STOP]
    return tuple(dict.fromkeys(words))[:limit]


def extract(text: str) -> ClaimFacts:
    """Figures and quotations of a claim; its distinctive words when it has neither."""
    figures, quotes = extract_figures(text), extract_quotes(text)
    words = () if figures or quotes else extract_words(text)
    return ClaimFacts(figures=figures, quotes=quotes, words=words)


def index_text(text: str) -> TextIndex:
    """Fold a snapshot's text and index the first position of each figure in it."""
    folded = fold(text)
    positions: dict[tuple[str, str], int] = {}
    remember = positions.setdefault
    # The hot loop of the benchmark: _part_of_name inlined, plain digits decided first.
    for match in _FIGURE.finditer(folded):
        start = match.start()
        if start:
            prev = folded[start - 1]
            if prev.isalpha() or (prev in "-_" and start > 1 and folded[start - 2].isalpha()):
                continue
        n1, s1, n2, s2, pct = match.groups()
        if not (s1 or n2 or pct) and n1.isdigit():  # most numbers: plain digits, no unit
            remember(("num", n1.lstrip("0") or "0"), start)
            continue
        for key, _, _, _ in _read_match(folded, match, None):
            remember(key, start)
    return TextIndex(text=text, folded=folded, figures=positions)


_quote_patterns: dict[str, re.Pattern] = {}


def _quote_pattern(phrase: str) -> re.Pattern:
    pattern = _quote_patterns.get(phrase)
    if pattern is None:
        # Words in order, any punctuation or spacing between them. No leading look-behind:
        # a pattern that starts with a literal is searched much faster; find_phrase checks it.
        body = r"[^a-z0-9]+".join(re.escape(w) for w in phrase.split())
        pattern = re.compile(rf"{body}(?![a-z0-9])")
        if len(_quote_patterns) > 4096:
            _quote_patterns.clear()
        _quote_patterns[phrase] = pattern
    return pattern


def find_phrase(folded: str, phrase: str) -> int:
    """Position of phrase (folded words) as whole words in folded text, or -1."""
    first = phrase.split(" ", 1)[0]
    position = folded.find(first)
    if position == -1:
        return -1
    pattern = _quote_pattern(phrase)
    while True:
        hit = pattern.search(folded, position)
        if hit is None:
            return -1
        start = hit.start()
        if not start or not folded[start - 1].isalnum():
            return start
        position = start + 1


def excerpt(text: str, position: int, width: int = EXCERPT_CHARS) -> str:
    """About `width` characters of text around position, cut at word boundaries."""
    half = width // 2
    start, end = max(0, position - half), min(len(text), position + half)
    if start > 0:
        space = text.find(" ", start, position)
        start = space + 1 if space != -1 else start
    if end < len(text):
        space = text.rfind(" ", position, end)
        end = space if space > position else end
    snippet = " ".join(text[start:end].split())
    return ("\u2026" if start > 0 else "") + snippet + ("\u2026" if end < len(text) else "")


def _locate(facts: ClaimFacts, index: TextIndex) -> tuple[list[str], list[str], int | None]:
    found, missing, first = [], [], None
    for figure in facts.figures:
        position = index.figures.get(figure.key)
        if position is None:
            missing.append(figure.text)
        else:
            found.append(figure.text)
            first = position if first is None else min(first, position)
    for phrase in facts.quotes:
        position = find_phrase(index.folded, phrase)
        if position == -1:
            missing.append(f"\u201c{phrase}\u201d")
        else:
            found.append(f"\u201c{phrase}\u201d")
            first = position if first is None else min(first, position)
    return found, missing, first


def _locate_words(facts: ClaimFacts, index: TextIndex) -> tuple[list[str], list[str], int | None]:
    found, missing, first = [], [], None
    for word in facts.words:
        position = find_phrase(index.folded, word)
        if position == -1:
            missing.append(word)
        else:
            found.append(word)
            first = position if first is None else first
    return found, missing, first


def match(facts: ClaimFacts, index: TextIndex | None) -> Evidence:
    """One claim against one snapshot: found (all), partial (some), not_found, no_snapshot."""
    basis = "figures" if facts.checkable else "words"
    if index is None:
        return Evidence(NO_SNAPSHOT, basis=basis)
    if facts.checkable:
        found, missing, first = _locate(facts, index)
        status = FOUND if not missing else PARTIAL if found else NOT_FOUND
    else:
        found, missing, first = _locate_words(facts, index)
        share = len(found) / len(facts.words) if facts.words else 0.0
        status = FOUND if share >= 0.8 else PARTIAL if share >= 0.4 else NOT_FOUND
    text = excerpt(index.text, first) if first is not None and status != NOT_FOUND else ""
    return Evidence(status, text, tuple(found), tuple(missing), basis)


@dataclass(frozen=True)
class ClaimInput:
    """A claim to check: its ordinal, text and the numbers of the sources it cites."""

    ordinal: int
    text: str
    sources: tuple[int, ...]


def match_claims(claims: Sequence[ClaimInput], texts: Mapping[int, str | None], *,
                 facts: Mapping[int, ClaimFacts] | None = None
                 ) -> dict[int, list[tuple[int, Evidence]]]:
    """Every claim against each source it cites; texts maps source number to snapshot text,
    facts (optional) claim ordinal to what extract() found in it already."""
    cited = dict.fromkeys(number for claim in claims for number in claim.sources)
    indexes = {number: index_text(texts[number]) if texts.get(number) is not None else None
               for number in cited}
    return match_indexed(claims, indexes, facts=facts)


def match_indexed(claims: Sequence[ClaimInput], indexes: Mapping[int, TextIndex | None], *,
                  facts: Mapping[int, ClaimFacts] | None = None
                  ) -> dict[int, list[tuple[int, Evidence]]]:
    """match_claims over snapshots indexed already: indexes maps source number to its
    snapshot's index_text() (None or absent: the source has no snapshot)."""
    result: dict[int, list[tuple[int, Evidence]]] = {}
    known = facts or {}
    for claim in claims:
        facts_of = known.get(claim.ordinal) or extract(claim.text)
        result[claim.ordinal] = [(number, match(facts_of, indexes.get(number)))
                                 for number in dict.fromkeys(claim.sources)]
    return result


def similarity(a: str, b: str) -> float:
    """Share of words two texts have in common (as difflib's quick_ratio, over words): 0..1."""
    left, right = Counter(_WORD.findall(fold(a))), Counter(_WORD.findall(fold(b)))
    total = sum(left.values()) + sum(right.values())
    if not total:
        return 1.0
    return 2 * sum((left & right).values()) / total


def materially_different(a: str, b: str, threshold: float = 0.8) -> bool:
    """True when two extracted texts share less than `threshold` of their words."""
    return similarity(a, b) < threshold


# --- evidence in place: where in the snapshot each figure, name and quotation is -------------

MAX_SPANS_PER_ITEM = 20
MAX_SPANS = 400
# Capitalised words that start sentences or are months and days, not names worth finding.
_NOT_NAMES = frozenset(_STOP | set(re.findall(r"\w+", """
    a an in on at as by for of to or if it its he we they i mr mrs ms dr st
    january february march april may june july august september october november december
    monday tuesday wednesday thursday friday saturday sunday
""")))
_NAME = re.compile(r"(?<![\w'’])(?:[A-Z][\w'’.-]*[A-Za-z0-9]|[A-Z])"
                   r"(?:[ \u00a0](?:(?:de|da|del|van|von|der|la|le|du|bin|al)[ \u00a0])?"
                   r"(?:[A-Z][\w'’.-]*[A-Za-z0-9]|[A-Z]))*")
_SENTENCE_START = re.compile(r"(?:^|[.!?:;]\s+|[\n\"“(]\s*)$")


@dataclass(frozen=True)
class Span:
    """One place in the snapshot's text: [start, end) holding item (a figure, name or quote)."""

    start: int
    end: int
    item: str
    kind: str  # figure, name or quote


@dataclass(frozen=True)
class Located:
    """A claim's figures, names and quotations in one snapshot's text: every place each was
    found (spans, in text order), which were found and which were not, and the first place."""

    spans: tuple[Span, ...] = ()
    found: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    first: int | None = None


def extract_names(text: str) -> tuple[str, ...]:
    """Names in a claim: runs of capitalised words (people, places, organisations), without
    leading or trailing common words. A single capitalised word that starts a sentence is not
    taken for a name (it is most often just the sentence's first word)."""
    names: dict[str, None] = {}
    for match in _NAME.finditer(_fold_marks(text)):
        words = match.group(0).split()
        while words and words[0].lower() in _NOT_NAMES:
            words = words[1:]
        while words and words[-1].lower() in _NOT_NAMES:
            words = words[:-1]
        if not words:
            continue
        name = " ".join(words).rstrip(".")
        if len(words) == 1 and (len(name) < 3 or (
                match.group(0) == words[0] and _SENTENCE_START.search(text[:match.start()]))):
            continue
        if any(c.isdigit() for c in name):
            continue  # G7, A380: codes, and figures are matched as figures
        names.setdefault(name, None)
    return tuple(names)


def _figure_spans(folded: str, keys: set) -> dict[tuple[str, str], list[tuple[int, int]]]:
    spans: dict[tuple[str, str], list[tuple[int, int]]] = {}
    if not keys:
        return spans
    for match in _FIGURE.finditer(folded):
        start = match.start()
        if _part_of_name(folded, start):
            continue
        hits = [key for key, _, _, _ in _read_match(folded, match, None) if key in keys]
        if not hits:
            continue
        sign = _currency_before(folded, start)
        end = match.end()
        while end > start and folded[end - 1] in " ,":
            end -= 1
        for key in hits:
            places = spans.setdefault(key, [])
            if len(places) < MAX_SPANS_PER_ITEM:
                places.append((sign if sign >= 0 else start, end))
    return spans


def _phrase_spans(folded: str, phrase: str) -> list[tuple[int, int]]:
    places = []
    if not phrase or folded.find(phrase.split(" ", 1)[0]) == -1:
        return places
    for hit in _quote_pattern(phrase).finditer(folded):
        start = hit.start()
        if start and folded[start - 1].isalnum():
            continue
        places.append((start, hit.end()))
        if len(places) >= MAX_SPANS_PER_ITEM:
            break
    return places


def locate(claim: str, text: str) -> Located:
    """Every place in a snapshot's text where the claim's figures, names and quotations are
    (numbers in any of the forms fold() reads as one), and which of them are nowhere in it."""
    folded = fold(text)
    figures = extract_figures(claim)
    found_spans: list[Span] = []
    found: list[str] = []
    missing: list[str] = []
    by_key = _figure_spans(folded, {f.key for f in figures})
    for figure in figures:
        places = by_key.get(figure.key, [])
        (found if places else missing).append(figure.text)
        found_spans += [Span(a, b, figure.text, "figure") for a, b in places]
    for phrase in extract_quotes(claim):
        label = f"\u201c{phrase}\u201d"
        places = _phrase_spans(folded, phrase)
        (found if places else missing).append(label)
        found_spans += [Span(a, b, label, "quote") for a, b in places]
    for name in extract_names(claim):
        words = _clean_phrase(name)
        if not words:
            continue
        places = _phrase_spans(folded, words)
        (found if places else missing).append(name)
        found_spans += [Span(a, b, name, "name") for a, b in places]
    spans = _without_overlaps(sorted(found_spans, key=lambda sp: (sp.start, -sp.end)))
    return Located(tuple(spans[:MAX_SPANS]), tuple(dict.fromkeys(found)),
                   tuple(dict.fromkeys(missing)), spans[0].start if spans else None)


def _without_overlaps(spans: list[Span]) -> list[Span]:
    """Spans in text order, a span inside or across an earlier one dropped (a quotation that
    holds a figure is marked once, as the quotation)."""
    kept: list[Span] = []
    for span in spans:
        if kept and span.start < kept[-1].end:
            continue
        kept.append(span)
    return kept
