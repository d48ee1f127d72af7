import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from selectolax.lexbor import LexborHTMLParser

from audit.text import open_direction_controls
from stories.citations import (
    Document,
    ImageInfo,
    SourceInfo,
    normalise_claim_text,
    parse,
)

KEYS = ("a", "b", "c", "reuters-wu", "bloomberg-capex", "d.1", "x_y:z")
LIBRARY = {key: SourceInfo(key=key, title=f"Title {key}", outlet="Outlet") for key in KEYS}
IMAGES = {
    "7": ImageInfo(id="7", src="/media/chart.jpg",
                   srcset="/media/chart-640.jpg 640w, /media/chart-1280.jpg 1280w",
                   width=1280, height=720, caption="Output by month", credit="Jane Doe",
                   credit_url="https://example.com/jane"),
    "8": ImageInfo(id="8", src="/media/plain.jpg"),
}


def doc(body: str, source_list=(), library=LIBRARY, images=IMAGES) -> Document:
    return parse(body, source_list=list(source_list), library=library, images=images)


def dom(document: Document) -> LexborHTMLParser:
    return LexborHTMLParser(document.html)


def codes(problems) -> list[str]:
    return [problem.code for problem in problems]


class _Balance(HTMLParser):
    VOID = {"br", "hr", "img"}

    def __init__(self):
        super().__init__()
        self.stack: list[str] = []
        self.ok = True
        self.attrs: list[tuple[str, str, str | None]] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs.extend((tag, name, value) for name, value in attrs)
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack.pop() != tag:
            self.ok = False


def balance(html: str) -> _Balance:
    checker = _Balance()
    checker.feed(html)
    checker.close()
    return checker


# --------------------------------------------------------------------------- claims


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("Shares rose over 6%, the highest since 2021 [@a].",
         [("Shares rose over 6%, the highest since 2021", (1,))]),
        ("The plan exceeds the 380 billion yuan commitment [@reuters-wu; @bloomberg-capex, p. 2].",
         [("The plan exceeds the 380 billion yuan commitment", (1, 2))]),
        ("First claim [@a]. Second claim [@b].", [("First claim", (1,)), ("Second claim", (2,))]),
        # the previous group is a boundary; leading connectives are trimmed
        ("Rose 5% [@a], fell 3% [@b]; held [@c]: done [@a].",
         [("Rose 5%", (1,)), ("fell 3%", (2,)), ("held", (3,)), ("done", (1,))]),
        # sentence boundaries
        ("Prices fell. Output rose 4% [@a].", [("Output rose 4%", (1,))]),
        ("Why? Because prices rose [@a].", [("Because prices rose", (1,))]),
        ("Stop! Output fell [@a].", [("Output fell", (1,))]),
        ('"We will act." He said so [@a].', [("He said so", (1,))]),
        # abbreviations, initials and decimals do not end a sentence
        ("U.S. officials said output rose [@a].", [("U.S. officials said output rose", (1,))]),
        ("Dr. Smith said so [@a].", [("Dr. Smith said so", (1,))]),
        ("It grew 6.5 percent this year [@a].", [("It grew 6.5 percent this year", (1,))]),
        ("It shipped approx. five units [@a].", [("It shipped approx. five units", (1,))]),
        # markup is stripped from the claim text, whitespace collapsed
        ("Shares *rose* over [6%](https://example.com) [@a].", [("Shares rose over 6%", (1,))]),
        ("The flag `--fast` cut time [@a].", [("The flag --fast cut time", (1,))]),
        ("Shares rose\nover   6%\n  today [@a].", [("Shares rose over 6% today", (1,))]),
        ("*He said so. Then* it rose [@a].", [("Then it rose", (1,))]),
        ("A \\*literal\\* star [@a].", [("A *literal* star", (1,))]),
        # blocks are boundaries
        ("## Results rose [@a]\n\nBody text [@b].", [("Results rose", (1,)), ("Body text", (2,))]),
        ("Intro text.\n- Alpha rose [@a]\n- Beta fell [@b]",
         [("Alpha rose", (1,)), ("Beta fell", (2,))]),
        ("> Quoted claim [@a]", [("Quoted claim", (1,))]),
        ("> line one\n> line two [@a]", [("line one line two", (1,))]),
        ("> line one  \n> line two [@a]", [("line two", (1,))]),
        ("| h1 | h2 |\n|----|----|\n| Cell claim [@a] | Other [@b] |",
         [("Cell claim", (1,)), ("Other", (2,))]),
        # key alphabet: letters, digits and _ . : -
        ("Dotted key [@d.1] and colon key [@x_y:z].",
         [("Dotted key", (1,)), ("and colon key", (2,))]),
        # a locator follows a comma and may itself contain commas
        ("Located [@a, pp. 2, 3].", [("Located", (1,))]),
    ],
)
def test_claims(body, expected):
    document = doc(body)
    assert document.errors == ()
    assert [(claim.text, claim.numbers) for claim in document.claims] == expected
    assert [claim.ordinal for claim in document.claims] == list(range(1, len(expected) + 1))


@pytest.mark.parametrize(
    "body",
    [
        "Not a citation \\[@a] here.",
        "Use `[@a]` literally.",
        "```\nRose [@a]\n```",
        "    indented code [@a]",
        "No citations at all.",
        "An email like someone@example.com is text.",
    ],
)
def test_markers_that_are_text(body):
    document = doc(body)
    assert document.claims == ()
    assert document.errors == ()
    assert "<sup" not in document.html and "cite-error" not in document.html


def test_citation_inside_link_text_wins_over_the_link():
    # A link would swallow the group as link text; the citation is what matters.
    document = doc("See [the report [@a]](https://example.com) now.")
    assert [claim.text for claim in document.claims] == ["See [the report"]
    assert 'href="https://example.com"' not in document.html


def test_locators_are_kept_per_source():
    claim = doc("Rose [@a, p. 2; @b; @c, table 1].").claims[0]
    assert [(s.key, s.number, s.locator) for s in claim.sources] == [
        ("a", 1, "p. 2"), ("b", 2, ""), ("c", 3, "table 1")]
    assert claim.keys == ("a", "b", "c")


def test_key_takes_a_trailing_dot_inside_the_brackets():
    # Inside [...] nothing follows a key but ; , or ], so a trailing "." is part of the key.
    document = doc("Rose [@a.].")
    assert codes(document.errors) == ["unknown_key"]
    assert '"a."' in document.errors[0].message


@pytest.mark.parametrize(
    ("body", "start_text", "line", "column"),
    [
        ("Intro sentence. Shares rose 6% [@a].", "Shares", 1, 17),
        ("First line.\nShares\nrose [@a]", "Shares", 2, 1),
        ("Intro. *Big* rise [@a]", "*Big*", 1, 8),  # a claim starting with markup starts there
        ("Title\n\n- one\n- two, rose [@a]", "two,", 4, 3),
        ("> quoted\n>   rise [@a]", "quoted", 1, 3),
    ],
)
def test_claim_positions(body, start_text, line, column):
    claim = doc(body).claims[0]
    assert claim.start == body.index(start_text)
    assert claim.end == body.index("[@a")
    assert (claim.line, claim.column) == (line, column)


def test_claim_offsets_refer_to_the_raw_body_with_crlf():
    body = "Intro.\r\n\r\nShares rose [@a]."
    claim = doc(body).claims[0]
    assert (claim.start, claim.end) == (body.index("Shares"), body.index("[@a"))
    assert (claim.line, claim.column) == (3, 1)


# --------------------------------------------------------------------------- numbering


@pytest.mark.parametrize(
    ("source_list", "numbered", "numbers"),
    [
        ((), ("b", "a"), [(1,), (2,), (1,)]),  # first-citation order
        (("a", "b"), ("a", "b"), [(2,), (1,), (2,)]),  # the writer's order wins
        (("c",), ("c", "b", "a"), [(2,), (3,), (2,)]),  # uncited listed source keeps its number
        (("a", "a"), ("a", "b"), [(2,), (1,), (2,)]),  # a repeated list entry counts once
    ],
)
def test_numbering(source_list, numbered, numbers):
    document = doc("X rose [@b]. Y fell [@a]. Z held [@b].", source_list)
    assert document.numbered == numbered
    assert [claim.numbers for claim in document.claims] == numbers
    assert document.number_of(numbered[0]) == 1
    assert document.number_of("nope") is None
    assert document.cited_keys == frozenset({"a", "b"})


def test_uncited_listed_sources_are_numbered_and_warned():
    document = doc("X rose [@b].", ["c", "a"])
    assert document.numbered == ("c", "a", "b")
    assert document.claims[0].numbers == (3,)
    uncited = [w for w in document.warnings if w.code == "uncited_source"]
    assert [(w.text, w.line, w.column) for w in uncited] == [("c", 0, 0), ("a", 0, 0)]


def test_errored_groups_do_not_number_their_keys():
    assert doc("X rose [@b; @zz].").numbered == ()


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("body", "code", "line", "column", "text"),
    [
        ("Rose [@zz].", "unknown_key", 1, 6, "[@zz]"),
        ("Intro.\n\nShares rose [@reuters-wuu].", "unknown_key", 3, 13, "[@reuters-wuu]"),
        ("Intro.\r\n\r\nRose [@zz].", "unknown_key", 3, 6, "[@zz]"),
        ("Rose [@].", "empty_group", 1, 6, "[@]"),
        ("Rose [@ ].", "empty_group", 1, 6, "[@ ]"),
        ("Rose [@a b].", "malformed_key", 1, 6, "[@a b]"),
        ("Rose [@-x].", "malformed_key", 1, 6, "[@-x]"),
        ("Rose [@a; b].", "malformed_key", 1, 6, "[@a; b]"),
        ("Rose [@a/b].", "malformed_key", 1, 6, "[@a/b]"),
        ("Rose [@a; @a].", "duplicate_key", 1, 6, "[@a; @a]"),
        ("[@a] starts the paragraph.", "no_claim_text", 1, 1, "[@a]"),
        ("Rose 5%. [@a]", "no_claim_text", 1, 10, "[@a]"),
        ("Rose [@a][@b].", "no_claim_text", 1, 10, "[@b]"),
        ("; [@a]", "no_claim_text", 1, 3, "[@a]"),
        ("Rose [@a and more", "unterminated_group", 1, 6, "[@a"),
        ("Rose [@a and [@b].", "unterminated_group", 1, 6, "[@a"),
        ("Intro.\n\n  > Rose [@zz]", "unknown_key", 3, 10, "[@zz]"),
        ("- one\n- Rose [@zz]", "unknown_key", 2, 8, "[@zz]"),
        ("Shares rose\n   over 6% [@zz]", "unknown_key", 2, 12, "[@zz]"),
        ("| h | i |\n|---|---|\n| x | Rose [@zz] |", "unknown_key", 3, 12, "[@zz]"),
        ("| h | i |\n|---|---|\n| x [@zz] | x [@zz] |", "unknown_key", 3, 5, "[@zz]"),
        ("See the chart.\n\n![Chart](image:99)", "unknown_image", 3, 1, "![Chart](image:99)"),
    ],
)
def test_errors(body, code, line, column, text):
    document = doc(body)
    assert code in codes(document.errors)
    problem = next(p for p in document.errors if p.code == code)
    assert (problem.line, problem.column, problem.text) == (line, column, text)
    assert problem.message.startswith(f"Line {line}, column {column}: ")


def test_every_problem_in_a_group_is_reported():
    document = doc("Rose [@a; @a; @zz; @-q].")
    assert codes(document.errors) == ["duplicate_key", "malformed_key", "unknown_key"]
    assert document.claims == ()


def test_error_message_names_key_and_group():
    problem = doc("Intro.\n\nShares [@reuters-wuu].").errors[0]
    assert problem.message == ('Line 3, column 8: unknown source key "reuters-wuu" in '
                               '"[@reuters-wuu]".')


def test_unknown_key_in_source_list():
    document = doc("Rose [@a].", ["nope"])
    assert [(p.code, p.line, p.column, p.text) for p in document.errors] == [
        ("unknown_key", 0, 0, "nope")]
    assert "source list" in document.errors[0].message
    assert document.numbered == ("nope", "a")


def test_errors_never_raise_on_odd_input():
    for body in ("", "\x00", "[@", "[", "]", "![](image:)", "\r", "> \n>", "|\n|-|\n|[@a]|"):
        doc(body)


# --------------------------------------------------------------------------- warnings


@pytest.mark.parametrize(
    ("body", "warned"),
    [
        ("Revenue rose 5% last year. It was the most ever [@a].", ["Revenue rose 5% last year."]),
        ("It cost $5 billion.", ["It cost $5 billion."]),
        ("Costs hit €4bn.", ["Costs hit €4bn."]),
        ('He said "we will act" today.', ['He said "we will act" today.']),
        ("He said \u201cwe will act\u201d today.", ["He said \u201cwe will act\u201d today."]),
        ("The sky is blue.", []),
        ("Revenue rose 5% [@a].", []),
        ("Revenue rose 5% [@a] and then 7% more.", []),
        ("## 2023 results\n\nText.", []),
        ("| 2023 | 5% |\n|---|---|\n| 1 | 2 |", []),
        ("It's Jane's view.", []),
    ],
)
def test_uncited_figures(body, warned):
    warnings = [w for w in doc(body).warnings if w.code == "uncited_figures"]
    assert [w.text for w in warnings] == warned


def test_uncited_figures_points_at_the_sentence():
    body = "Fine here [@a]. Then 5% more.\n\nOk."
    warning = next(w for w in doc(body).warnings if w.code == "uncited_figures")
    assert (warning.line, warning.column) == (1, 17)


@pytest.mark.parametrize("health", ["broken", "unreachable"])
def test_broken_source_warns_once(health):
    library = {**LIBRARY, "gone": SourceInfo(key="gone", health=health)}
    document = doc("One [@gone]. Two [@gone; @a].", library=library)
    broken = [w for w in document.warnings if w.code == "broken_source"]
    assert [(w.line, w.column, w.text) for w in broken] == [(1, 5, "[@gone]")]
    assert health in broken[0].message


@pytest.mark.parametrize("health", ["ok", "unknown", "redirected", "changed"])
def test_healthy_sources_do_not_warn(health):
    library = {**LIBRARY, "s": SourceInfo(key="s", health=health)}
    assert "broken_source" not in codes(doc("One [@s].", library=library).warnings)


# --------------------------------------------------------------------------- rendering


def test_each_group_renders_one_sup_with_numbered_links():
    document = doc("Rose 6% [@a]. The plan grew [@reuters-wu; @b, p. 2].", ["b"])
    tree = dom(document)
    sups = tree.css("sup.cite")
    assert len(sups) == 2
    links = [[a.attributes for a in sup.css("a")] for sup in sups]
    assert links == [
        [{"href": "#source-2", "aria-label": "Source 2: Title a", "title": "Title a"}],
        [{"href": "#source-3", "aria-label": "Source 3: Title reuters-wu",
          "title": "Title reuters-wu"},
         {"href": "#source-1", "aria-label": "Source 1: Title b", "title": "p. 2"}],
    ]
    assert sups[1].text() == "3, 1"


def test_claim_spans_sit_right_before_their_sup():
    tree = dom(doc("Rose 6% [@a]. The plan grew [@b]."))
    spans = tree.css("span.claim")
    assert [span.attributes["id"] for span in spans] == ["claim-1", "claim-2"]
    assert [span.text() for span in spans] == ["Rose 6%", "The plan grew"]
    assert all(span.next.tag == "sup" for span in spans)


@pytest.mark.parametrize(
    ("body", "claim_text"),
    [
        ("*Intro. Claim starts* here [@a].", "Claim starts here"),
        ("Claim *ends inside [@a]* here.", "Claim ends inside"),
        ("**Bold *nested. Claim* runs** on [@a].", "Claim runs on"),
        ("[Intro. Linked](https://example.com) claim [@a].", "Linked claim"),
        ("~~Old. New~~ value [@a].", "New value"),
    ],
)
def test_claims_across_markup_stay_well_formed(body, claim_text):
    document = doc(body)
    assert balance(document.html).ok
    tree = dom(document)
    assert " ".join(s.text() for s in tree.css("span.claim")).strip() == claim_text
    assert document.claims[0].text == claim_text
    assert len(tree.css("sup.cite")) == 1


def test_error_group_renders_a_mark_and_no_sup():
    document = doc("Rose [@zz].")
    tree = dom(document)
    assert tree.css("sup.cite") == []
    mark = tree.css_first("mark.cite-error")
    assert mark.text() == "[@zz]"
    assert mark.attributes["title"] == document.errors[0].message


def test_headings_shift_below_the_page_title():
    html = doc("# Top\n\n## Sub").html
    assert "<h1" not in html
    assert "<h2>Top</h2>" in html and "<h2>Sub</h2>" in html


def test_raw_html_is_shown_as_text():
    html = doc('<script>alert(1)</script> rose [@a]. <img src=x onerror="alert(1)">').html
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;" in html


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,x", "vbscript:x",
                                 "JaVaScRiPt:alert(1)", "/relative/path", "file:///etc/passwd"])
def test_unsafe_link_destinations_never_become_links(url):
    html = doc(f"[click]({url}) and <{url}>").html
    assert "href" not in html


def test_external_links_get_rel_and_fragments_do_not():
    tree = dom(doc("[Reuters](https://reuters.com/x) said so [@a]."))
    external = tree.css_first('a[href^="https"]')
    assert external.attributes["href"] == "https://reuters.com/x"
    assert external.attributes["rel"] == "nofollow noopener noreferrer"
    assert "rel" not in tree.css_first("sup.cite a").attributes


def test_figure_renders_image_caption_and_credit():
    document = doc("Text.\n\n![Output chart](image:7)\n\nMore.")
    tree = dom(document)
    figure = tree.css_first("figure.figure")
    assert figure.parent.tag != "p"
    img = figure.css_first("img")
    assert img.attributes == {
        "src": "/media/chart.jpg", "alt": "Output chart",
        "srcset": "/media/chart-640.jpg 640w, /media/chart-1280.jpg 1280w",
        "sizes": "(max-width: 800px) 100vw, 800px", "width": "1280", "height": "720",
        "loading": "lazy"}
    assert figure.css_first("figcaption span.caption").text() == "Output by month"
    credit = figure.css_first("figcaption span.credit a")
    assert (credit.text(), credit.attributes["href"]) == ("Jane Doe", "https://example.com/jane")
    assert document.errors == ()


def test_figure_without_caption_or_credit():
    figure = dom(doc("![Plain](image:8)")).css_first("figure.figure")
    assert figure.css_first("img").attributes["src"] == "/media/plain.jpg"
    assert figure.css_first("figcaption") is None


def test_unknown_image_renders_no_img():
    document = doc("![Chart](image:99)")
    assert "<img" not in document.html
    assert dom(document).css_first("mark.cite-error").text() == "![Chart](image:99)"


def test_remote_images_are_not_hotlinked():
    html = doc("![Remote](https://example.com/a.png)").html
    assert "<img" not in html
    assert 'href="https://example.com/a.png"' in html


def test_tables_and_strikethrough_render():
    html = doc("| a | b |\n|---|--:|\n| 1 | 2 |\n\n~~gone~~").html
    assert "<table>" in html and "<td" in html and "<del>gone</del>" in html


# --------------------------------------------------------------------------- normalising


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Shares rose 6%.", "shares rose 6%"),
        ("\u201cQuoted\u201d \u2014 text\u2026", '"quoted" - text'),
        ("It\u2019s  \n  here!", "it's here"),
        ("\ufb01ve units;", "five units"),
        ("Stra\u00dfe", "strasse"),
        ("  spaced   out  ", "spaced out"),
    ],
)
def test_normalise_claim_text(text, expected):
    assert normalise_claim_text(text) == expected


def test_module_does_not_import_django():
    code = "import sys, stories.citations; print('django' in sys.modules)"
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


# --------------------------------------------------------------------------- properties

MARKERISH = st.lists(
    st.sampled_from([
        "[", "@", "]", ";", " ", ",", "\\", "`", "*", "_", "\n", "!", "(", ")", "#", ">", "-",
        "|", "~", "\t", "\r", ".", "a", "b", "zz", "@a", "[@a]", "[@b; @a, p. 2]", "image:7",
        "image:99", "6%", ". ", "U.S.", "**", "  \n", "> ", "- ", "https://x.y", "javascript:",
        "<script>", "\"", "&amp;", "&#0;", "1. ", "```", "|---|", "<", "on", "=",
    ]),
    max_size=60,
).map("".join)
BODIES = st.one_of(st.text(max_size=200), MARKERISH)
UNSAFE_URL = re.compile(r"^\s*(javascript|data|vbscript):", re.IGNORECASE)


def _line_column(body: str, offset: int) -> tuple[int, int]:
    breaks = list(re.finditer(r"\r\n|\r|\n", body[:offset]))
    return len(breaks) + 1, offset - (breaks[-1].end() if breaks else 0) + 1


@settings(max_examples=200, deadline=None)
@given(BODIES, st.lists(st.sampled_from(["a", "b", "c", "zz"]), max_size=3))
def test_parse_never_raises_and_html_is_safe(body, source_list):
    document = doc(body, source_list)
    checker = balance(document.html)
    assert checker.ok
    assert "script" not in checker.tags
    for _tag, name, value in checker.attrs:
        assert not name.startswith("on")
        if name in ("href", "src", "srcset"):
            assert not UNSAFE_URL.match(value or "")


@settings(max_examples=200, deadline=None)
@given(BODIES)
def test_claims_sups_and_numbers_agree(body):
    document = doc(body)
    tree = dom(document)
    assert len(tree.css("sup.cite")) == len(document.claims)
    assert [s.attributes["id"] for s in tree.css("span.claim")] == [
        f"claim-{claim.ordinal}" for claim in document.claims]
    assert [claim.ordinal for claim in document.claims] == list(
        range(1, len(document.claims) + 1))
    for claim in document.claims:
        assert claim.text and claim.sources
        assert all(1 <= n <= len(document.numbered) for n in claim.numbers)
        assert 0 <= claim.start < claim.end <= len(body)
        assert body[claim.end:].startswith("[@")
        assert (claim.line, claim.column) == _line_column(body, claim.start)
    for problem in document.errors:
        if problem.line:
            lines = re.split(r"\r\n|\r|\n", body)
            assert lines[problem.line - 1][problem.column - 1:].startswith(problem.text[:1])


@settings(max_examples=300, deadline=None)
@given(BODIES, st.lists(st.sampled_from(["a", "b", "c", "zz"]), max_size=3))
def test_a_parse_without_html_finds_the_same_claims_and_problems(body, source_list):
    full = doc(body, source_list)
    bare = parse(body, source_list=list(source_list), library=LIBRARY, images=IMAGES,
                 html=False)
    assert bare.html == ""
    assert (bare.claims, bare.numbered, bare.errors, bare.warnings) == (
        full.claims, full.numbered, full.errors, full.warnings)


def test_a_parse_without_html_still_reports_an_unknown_image():
    bare = parse("Output fell [@a].\n\n![Chart](image:99)\n", source_list=[], library=LIBRARY,
                 images=IMAGES, html=False)
    assert codes(bare.errors) == ["unknown_image"]


# --------------------------------------------------------------- direction controls left open

RLO, PDF, RLI, PDI, LRE = "\u202e", "\u202c", "\u2067", "\u2069", "\u202a"


def open_controls(document: Document) -> list:
    return [w for w in document.warnings if w.code == "open_direction_control"]


def test_a_right_to_left_override_left_open_is_a_warning_at_its_line_and_column():
    document = doc(f"Cranes arrived [@a].\n\nFares rose {RLO}ten percent [@b]. More text.")
    [warning] = open_controls(document)
    assert (warning.line, warning.column, warning.text) == (3, 12, "U+202E")
    assert warning.message == (
        "Line 3, column 12: a right-to-left override (U+202E) is left open to the end of "
        "its paragraph, so the rest of it is shown right to left. Readers' pages end it "
        "there; end it yourself where it should stop (U+202C) or delete it.")
    assert document.is_valid  # a warning, never an error


@pytest.mark.parametrize(("body", "block", "closer"), [
    pytest.param(f"- one\n- two {RLI}three", "list item", "U+2069", id="list-item"),
    pytest.param(f"## Head {RLO}line", "heading", "U+202C", id="heading"),
    pytest.param(f"| a | b |\n|---|---|\n| 1 {LRE}x | 2 |", "table cell", "U+202C",
                 id="table-cell"),
    pytest.param(f"> Quoted {RLO}words", "quote", "U+202C", id="blockquote"),
    pytest.param("Fares &#x202E;rose", "paragraph", "U+202C", id="entity"),
    pytest.param(f"Code `x {RLO}y` here", "paragraph", "U+202C", id="code-span"),
])
def test_a_direction_control_left_open_is_warned_in_every_kind_of_block(body, block, closer):
    [warning] = open_controls(doc(body))
    assert f"to the end of its {block}," in warning.message
    assert f"({closer})" in warning.message


@pytest.mark.parametrize("body", [
    f"Named {RLO}مرفأ{PDF} in full.",
    f"Named {RLI}עברית{PDI} in full.",
    f"Closed {RLI}inside {RLO}an isolate{PDI} here.",
    "No controls at all.",
    f"```\ncode {RLO}block\n```",
])
def test_closed_direction_controls_and_code_blocks_are_not_warned(body):
    assert open_controls(doc(body)) == []


def test_two_controls_left_open_in_one_block_are_one_warning_at_the_outer_one():
    [warning] = open_controls(doc(f"A {RLI}b {RLO}c.\n\nNext."))
    assert (warning.line, warning.column) == (1, 3)
    assert "right-to-left isolate (U+2067)" in warning.message
    assert "1 more direction control" in warning.message


def test_the_check_without_html_warns_the_same():
    body = f"Fares rose {RLO}ten percent."
    assert open_controls(parse(body, source_list=[], library=LIBRARY, html=False)) == \
        open_controls(doc(body))


@pytest.mark.parametrize(("body", "tag", "ending"), [
    pytest.param(f"Fares rose {RLO}ten [@a]. Then more.\n\nNext paragraph.", "p",
                 f"Then more.{PDF}", id="paragraph"),
    pytest.param(f"- one {RLO}two\n- three", "li", f"two{PDF}", id="list-item"),
    pytest.param(f"## Head {RLI}line", "h2", f"line{PDI}", id="heading"),
    pytest.param(f"| a | b |\n|---|---|\n| 1 {RLO}x | 2 |", "td", f"x{PDF}", id="table-cell"),
    pytest.param(f"> Quoted {RLO}words\n\nAfter.", "blockquote", f"words{PDF}",
                 id="blockquote"),
    pytest.param(f"A {RLI}b {RLO}c *d*", "p", f"<em>d</em>{PDF}{PDI}", id="nested"),
])
def test_the_html_ends_each_direction_control_a_block_leaves_open(body, tag, ending):
    document = doc(body)
    tree = dom(document)
    for block in tree.css(tag):
        assert open_direction_controls(block.text()) == []
    assert ending in document.html


def test_closing_controls_in_the_html_leaves_closed_ones_and_the_text_as_typed():
    body = f"Named {RLO}مرفأ{PDF} in full [@a]."
    assert f"Named {RLO}مرفأ{PDF} in full" in doc(body).html
    assert f"{PDF}{PDF}" not in doc(body).html


def test_a_figure_title_left_open_does_not_reverse_its_credit():
    html = doc(f'![Chart](image:8 "Output {RLO}by month")').html
    assert f'<span class="caption">Output {RLO}by month{PDF}</span>' in html
