import json
from datetime import date

import pytest

from sources import csl
from tests.factories import SourceFactory, make_story

BIB = r"""
Some free text before the entries, with an @ sign.
@string{reu = "Reuters"}
@comment{this entry is ignored}
@preamble{"\newcommand{\noop}[1]{}"}
@article{reuters-wu,
  title   = {Chip {Plan} Exceeds \$380bn Target},
  author  = {Wu, Jane and Doe, John},
  journal = reu # " Asia",
  year    = 2024, month = sep, day = {24},
  url     = {https://www.reuters.com/tech/chips?a=1&b=2},
}
@misc{bbg:capex, title = "Capex {rises}", howpublished = {\url{https://bloomberg.com/capex}},
      year = {2023}}
@techreport(imf_2024, title = {World Economic Outlook}, institution = {IMF},
            url = {https://imf.org/weo}, type = {Press release})
@book{nolink, title = {A Book Without a Link}}
"""


def test_parse_bibtex_reads_entries_macros_and_nesting():
    entries = csl.parse_bibtex(BIB)
    assert [(kind, key) for kind, key, _ in entries] == [
        ("article", "reuters-wu"), ("misc", "bbg:capex"), ("techreport", "imf_2024"),
        ("book", "nolink")]
    assert entries[0][2]["journal"] == "Reuters Asia"
    assert entries[0][2]["month"] == "sep"


def test_read_bibtex_maps_fields():
    wu, capex, imf, book = csl.read_bibtex(BIB)
    assert wu.key == "reuters-wu"
    assert wu.title == "Chip Plan Exceeds $380bn Target"
    assert wu.author == "Jane Wu; John Doe"
    assert wu.outlet == "Reuters Asia"
    assert wu.published_on == date(2024, 9, 24)
    assert wu.url == "https://www.reuters.com/tech/chips?a=1&b=2"
    assert (capex.key, capex.url, capex.kind) == ("bbg:capex", "https://bloomberg.com/capex",
                                                  "article")
    assert capex.published_on == date(2023, 1, 1)
    assert (imf.kind, imf.outlet) == ("press_release", "IMF")
    assert book.problem.startswith("no URL")


def test_read_bibtex_takes_a_month_python_cannot_count_as_no_month():
    [entry] = csl.read_bibtex("@misc{k, title = {T}, year = {2024}, month = {\u00b2},"
                              " url = {https://x.org}}")
    assert entry.published_on == date(2024, 1, 1)


@pytest.mark.parametrize("text, message", [
    ("@article{a, title = {unbalanced}", "line 1: Unexpectedly reached end of file"),
    ("@article{a, title = \"open", "line 1: Unexpectedly reached end of file"),
    ("@article{a, title {x}}", "line 1: Expected a `=` after entry key"),
    ("@book{ok, title = {Fine}}\n\n@article{a, title {x}}", "line 3: Expected a `=`"),
])
def test_parse_bibtex_errors_name_the_line(text, message):
    with pytest.raises(csl.BibTeXError, match=message):
        csl.parse_bibtex(text)


@pytest.mark.parametrize("author, expected", [
    ("{Barnes and Noble}", "Barnes and Noble"),
    ("Smith, Jr., John", "John Smith Jr."),
    (r"M\"uller, Hans", "Hans Müller"),
    (r"M{\"u}ller, Anna and de la Fontaine, Jean", "Anna Müller; Jean de la Fontaine"),
    ("Wu, Jane and {World Health Organization}", "Jane Wu; World Health Organization"),
])
def test_read_bibtex_names(author, expected):
    [entry] = csl.read_bibtex(f"@misc{{k, author = {{{author}}}, url = {{https://x.org}}}}")
    assert entry.author == expected


@pytest.mark.parametrize("title, expected", [
    (r"caf\'e", "café"),
    (r"Caf{\'e} {\"u}ber M\"uller", "Café über Müller"),
    (r"Prices rose 5\% -- a record", "Prices rose 5% – a record"),
    (r"\emph{Big} news", "Big news"),
])
def test_read_bibtex_decodes_latex(title, expected):
    [entry] = csl.read_bibtex(f"@misc{{k, title = {{{title}}}, url = {{https://x.org/a?b=1&c=2}}}}")
    assert (entry.title, entry.url) == (expected, "https://x.org/a?b=1&c=2")


CSL = [
    {"id": "http://zotero.org/users/1/items/ABC123", "type": "article-newspaper",
     "title": "Port traffic hits record", "URL": "https://port.example.org/news/1",
     "container-title": "Harbour Times",
     "author": [{"family": "Smith", "given": "Ana"}, {"literal": "Port Authority"}],
     "issued": {"date-parts": [[2024, 9]]}},
    {"id": "stats-2023", "citation-key": "stats2023", "type": "dataset", "title": "Trade data",
     "URL": "https://stats.example.org/t", "issued": {"raw": "2023-05-02"}},
    {"id": "call", "type": "interview", "title": "Call with the harbour master",
     "note": "Phone call, 3 May; notes in the shared drive"},
    {"id": "", "type": "report", "title": "No id"},
    {"id": "empty", "type": "webpage"},
]


def test_read_csl_json_maps_fields():
    port, stats, call, no_id, empty = csl.read_csl_json(json.dumps(CSL))
    assert (port.key, port.kind, port.outlet) == ("ABC123", "article", "Harbour Times")
    assert port.author == "Ana Smith; Port Authority"
    assert port.published_on == date(2024, 9, 1)
    assert (stats.key, stats.kind, stats.published_on) == ("stats2023", "dataset",
                                                           date(2023, 5, 2))
    assert (call.kind, call.url, call.problem) == ("interview", "", "")
    assert call.description.startswith("Phone call")
    assert no_id.problem == "no usable id or citation key"
    assert empty.problem == "no title"


@pytest.mark.parametrize("issued", [
    {"date-parts": [[10**20]]}, {"date-parts": [[2024, 10**20]]}, {"date-parts": [[1e308 * 10]]},
    {"date-parts": [["2024", "²"]]}, {"date-parts": [[None]]}, {"date-parts": [[[2024]]]},
])
def test_read_csl_json_takes_a_date_no_calendar_has_as_no_date(issued):
    [item] = csl.read_csl_json(json.dumps([{"id": "k", "title": "T", "URL": "https://x.org",
                                            "issued": issued}]))
    assert (item.problem, item.published_on) == ("", None)


@pytest.mark.parametrize("date_field", ["year = {99999999999999999999}", "date = {99999-01-01}",
                                        "year = {2024}, day = {99999999999999999999}"])
def test_read_bibtex_takes_a_date_no_calendar_has_as_no_date(date_field):
    [entry] = csl.read_bibtex(f"@misc{{k, title = {{T}}, {date_field}, url = {{https://x.org}}}}")
    assert (entry.problem, entry.published_on) == ("", None)


def test_read_bibtex_skips_an_entry_nested_too_deeply_to_decode_with_the_reason():
    deep = "{" * 1000 + "x" + "}" * 1000
    first, second = csl.read_bibtex(f"@misc{{deep, title = {{{deep}}}, url = {{https://x.org}}}}\n"
                                    "@misc{fine, title = {Fine}, url = {https://y.org}}")
    assert (first.key, first.problem) == ("deep", "LaTeX nested too deeply to read (braces or "
                                                  "commands)")
    assert (second.key, second.title, second.problem) == ("fine", "Fine", "")


@pytest.mark.parametrize("raw, key", [
    ("smith2024", "smith2024"), ("Smith 2024/", "Smith-2024"), ("a/b/c", "c"),
    ("--x--", "x"), ("émile", "mile"),
])
def test_clean_key(raw, key):
    assert csl.clean_key(raw) == key


def test_story_sources_csl_exports_the_numbered_list(writer):
    first = SourceFactory(key="wire", title="Wire story", outlet="Example Wire",
                          author="Ana Smith; Port Authority", published_on=date(2024, 9, 24))
    second = SourceFactory(key="paper", kind="report")
    story = make_story(writer, body="A claim [@paper]. Another [@wire].", sources=[])
    items = csl.story_sources_csl(story)
    assert [(i["id"], i["citation-number"]) for i in items] == [("paper", 1), ("wire", 2)]
    wire = items[1]
    assert wire["type"] == "article-newspaper"
    assert wire["URL"] == first.url
    assert wire["container-title"] == "Example Wire"
    assert wire["author"] == [{"literal": "Ana Smith"}, {"literal": "Port Authority"}]
    assert wire["issued"] == {"date-parts": [[2024, 9, 24]]}
    assert items[0]["type"] == "report" and items[0]["title"] == second.title
    assert csl.read_csl_json(json.dumps(items))[1].key == "wire"  # round trip
