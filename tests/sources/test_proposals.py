import io
from pathlib import Path

import pytest
from pypdf import PdfWriter

from audit.errors import ActionDenied, InvalidInput
from sources import extraction
from sources.proposals import LookupFailed, propose_key, source_propose
from tests.factories import SourceFactory, UserFactory
from tests.sources.fixture_server import Page, fixture_server

PAGES = Path(__file__).parent / "pages"


def pdf_bytes(title="Harbour Master's Annual Report 2025", author="Port of Eastmere") -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    writer.add_metadata({"/Title": title, "/Author": author})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# What each kind of page says about itself, read from its own metadata.
@pytest.mark.parametrize("file, title, author, date, site, canonical", [
    # A news article: OpenGraph and article:* meta tags.
    ("harbour-dredging.html", "Council approves harbour dredging plan", "Mara Lindqvist",
     "2026-03-14", "The Coastal Courier", ""),
    # A press release.
    ("press-release-water.html", "Water utility announces pipe renewal programme",
     "Press Office", "2026-05-05", "Lakeside Water Company", ""),
    # A journal page: citation_* and Dublin Core meta tags, rel=canonical.
    ("scholarly-citation-meta.html", "Sediment transport in a tidal harbour after channel "
     "deepening", "Ngozi Okafor", "2025-11-20", "Journal of Coastal Works",
     "https://journal.example.net/articles/sediment-transport-tidal-harbour"),
    # JSON-LD only (NewsArticle headline, author, datePublished, publisher).
    ("jsonld-report.html", "Ferry passenger numbers rise 9% after timetable change",
     "Ilse Varga", "2026-04-18", "Islands Transport Board",
     "https://transport.example.com/news/ferry-passenger-numbers-2026"),
    # A byline and a <time> element, nothing in <head> but the title.
    ("plain-notice.html", "Road closure notice", "Roads Team", "2026-06-01", None, ""),
    # Nothing at all.
    ("no-metadata.html", "", "", "", None, ""),
])
def test_metadata_is_read_from_the_pages_own_tags(file, title, author, date, site, canonical):
    body = (PAGES / file).read_bytes()
    page = extraction.extract("text/html; charset=utf-8", body, "https://site.example.org/p")
    assert (page.title, page.author, page.published_on) == (title, author, date)
    if site is not None:
        assert page.site_name == site
    if canonical:
        assert page.canonical_url == canonical


def test_pdf_metadata_gives_title_and_author():
    page = extraction.extract("application/pdf", pdf_bytes(), "https://port.example.org/r.pdf")
    assert (page.kind, page.title, page.author) == (
        "pdf", "Harbour Master's Annual Report 2025", "Port of Eastmere")


@pytest.mark.parametrize("outlet, host, date, title, key", [
    ("The Coastal Courier", "courier.example.org", "2026-03-14",
     "Council approves harbour dredging plan", "coastal-courier-2026-council-approves-harbour"),
    ("", "www.ledger.example.co", "", "Cranes arrive", "example-cranes-arrive"),
    ("127.0.0.1:8000", "127.0.0.1", "2026-01-02", "", "site-2026"),
    ("Ünïcode Wörks", "x.example", "2026-13-40", "Ça va?", "unicode-works-ca-va"),
])
def test_proposed_keys_read_outlet_year_slug(db, outlet, host, date, title, key):
    assert propose_key(outlet=outlet, host=host, published_on=date, title=title) == key


def test_a_proposed_key_is_unique_in_the_library(db):
    SourceFactory(key="courier-2026-dredging")
    SourceFactory(key="courier-2026-dredging-2")
    assert propose_key(outlet="Courier", host="c.example", published_on="2026-01-01",
                       title="Dredging") == "courier-2026-dredging-3"


@pytest.fixture
def writer_user(db):
    return UserFactory(username="writer", roles=["Writers"])


@pytest.fixture
def local_pages(settings):
    settings.SOURCE_FETCH_ALLOW_PRIVATE = True
    routes = {
        "/article": Page((PAGES / "harbour-dredging.html").read_bytes()),
        "/report.pdf": Page(pdf_bytes(), content_type="application/pdf"),
        "/data.csv": Page(b"a,b\n1,2\n", content_type="text/csv"),
    }
    with fixture_server(routes) as (base, server):
        yield base


def test_source_propose_fills_every_field_from_the_page(writer_user, local_pages):
    proposal = source_propose(user=writer_user, url=f"{local_pages}/article")
    assert proposal.title == "Council approves harbour dredging plan"
    assert proposal.outlet == "The Coastal Courier"
    assert proposal.author == "Mara Lindqvist"
    assert proposal.published_on == "2026-03-14"
    assert proposal.key == "coastal-courier-2026-council-approves-harbour"
    assert proposal.kind == "article"


def test_source_propose_reads_a_pdf_as_a_report(writer_user, local_pages):
    proposal = source_propose(user=writer_user, url=f"{local_pages}/report.pdf")
    assert (proposal.title, proposal.kind) == ("Harbour Master's Annual Report 2025", "report")


@pytest.mark.parametrize("path, reason", [
    ("/missing", "The page answered 404"),
    ("/data.csv", "not a web page or a PDF (it is text/csv)"),
])
def test_source_propose_names_why_a_link_cannot_be_read(writer_user, local_pages, path, reason):
    with pytest.raises(LookupFailed) as failure:
        source_propose(user=writer_user, url=f"{local_pages}{path}")
    assert reason in failure.value.message_dict["url"][0]


def test_source_propose_refuses_a_private_address(writer_user, settings):
    settings.SOURCE_FETCH_ALLOW_PRIVATE = False
    with pytest.raises(LookupFailed) as failure:
        source_propose(user=writer_user, url="http://127.0.0.1:9/secret")
    assert "not allowed (private or local network)" in failure.value.message_dict["url"][0]


@pytest.mark.parametrize("url", ["ftp://x.example/a", "not a link", "http://", "https://e.x/"
                                 + "a" * 2001, "http://[::1"])
def test_source_propose_refuses_what_is_not_a_link(writer_user, url):
    with pytest.raises(InvalidInput):
        source_propose(user=writer_user, url=url)


def test_source_propose_is_for_newsroom_staff(db):
    with pytest.raises(ActionDenied):
        source_propose(user=UserFactory(username="reader"), url="https://e.example/")
