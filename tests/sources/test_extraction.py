import json
from pathlib import Path

import pytest

from sources import extraction

PAGES = Path(__file__).with_name("pages")
EXPECTED = json.loads((PAGES / "expected.json").read_text(encoding="utf-8"))


def extracted(page: dict) -> extraction.Extracted:
    return extraction.extract("text/html; charset=utf-8", (PAGES / page["file"]).read_bytes())


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("page", EXPECTED, ids=[p["file"] for p in EXPECTED])
def test_fixture_page_keeps_every_paragraph_of_the_article(page):
    text = flat(extracted(page).text)
    assert [p for p in page["main"] if flat(p) not in text] == []


@pytest.mark.parametrize("page", EXPECTED, ids=[p["file"] for p in EXPECTED])
def test_fixture_page_drops_menus_banners_related_links_and_comments(page):
    text = flat(extracted(page).text)
    assert [b for b in page["boilerplate"] if flat(b) in text] == []


@pytest.mark.parametrize("page", EXPECTED, ids=[p["file"] for p in EXPECTED])
def test_fixture_page_reads_title_author_and_date(page):
    result = extracted(page)
    assert (result.title, result.author, result.published_on) == (
        page["title"], page["author"], page["date"])


def test_site_name_comes_from_the_page_metadata():
    page = next(p for p in EXPECTED if p["file"] == "harbour-dredging.html")
    assert extracted(page).site_name == "The Coastal Courier"


@pytest.mark.parametrize("html", [
    "<p>Only a fragment with 40% in it</p>",
    "<html><body>",
    "<html><body><p>Unclosed <b><i>tags <table><tr><td>1.8m \x00 \ufffd</scr",
    "<" * 10_000,
    "<div>" * 5_000 + "deep" + "</div>" * 5_000,
])
def test_odd_markup_still_gives_its_text_and_never_raises(html):
    result = extraction.extract("text/html", html.encode())
    assert result.kind == "html"
    if "40%" in html:
        assert "40%" in result.text


def test_pdf_keeps_pypdf_with_its_author():
    from tests.sources.test_fetch import PDF

    result = extraction.extract("application/pdf", PDF)
    assert (result.kind, "Exports fell 12 percent" in result.text) == ("pdf", True)
