"""The story page in a real Chromium: citations, hover cards, review trail, CSP, screenshots."""

import datetime
import os
from pathlib import Path

import pytest

from sources.models import Snapshot
from tests.factories import SourceFactory
from tests.public.helpers import publish_story

# Transactional, so the live server thread sees the data; serialized_rollback brings back the
# role groups the migrations created, which a transactional flush would otherwise remove.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"

BODY = """\
Eastmere's harbour took delivery of three electric ship-to-shore cranes on Friday, two years \
later than the port authority first promised [@ledger-cranes].

The cranes replace diesel machines bought in 1998. The authority says they will cut the \
terminal's direct emissions by about 40% once all three are working \
[@port-annual; @ledger-cranes, p. 2].

## Why the delay

The council's harbour committee heard in April that the substation feeding Berth 4 could not \
carry the extra load [@council-minutes]. A connection agreement with the grid operator was \
signed at the end of June [@grid-notice].

Freight volumes fell 3.2% in the first quarter compared with a year earlier, the national \
statistics office says [@freight-stats, table 4]. The authority expects the new cranes to win \
back container traffic that moved to larger ports during the delay [@port-annual, p. 11].

> The union says every crane operator has been offered retraining on the new machines
> [@union-release].
"""

SOURCES = [
    dict(key="ledger-cranes", outlet="The Harbour Ledger",
         title="Electric cranes arrive at Berth 4 after two-year delay",
         url="https://ledger.example.org/2026/05/electric-cranes-berth-4",
         published_on=datetime.date(2026, 5, 2)),
    dict(key="port-annual", outlet="Eastmere Port Authority", kind="report",
         title="Annual Report 2025: Throughput, Finances and Fleet Renewal",
         url="https://port.example.org/reports/annual-2025",
         published_on=datetime.date(2026, 3, 14)),
    dict(key="council-minutes", outlet="Eastmere City Council", kind="filing",
         title="Minutes of the Harbour Committee, 12 April 2026",
         url="https://council.example.org/minutes/harbour-2026-04-12", health="broken"),
    dict(key="grid-notice", outlet="Coastal Grid", kind="press_release",
         title="Connection agreement signed for Eastmere harbour substation",
         url="https://grid.example.org/notices/eastmere-substation"),
    dict(key="freight-stats", outlet="National Statistics Office", kind="dataset",
         title="Port freight statistics, first quarter 2026",
         url="https://stats.example.org/datasets/port-freight-2026-q1"),
    dict(key="union-release", outlet="Eastmere Dockworkers' Union", kind="press_release",
         title="Union welcomes retraining guarantee for crane operators",
         url="https://union.example.org/news/retraining-guarantee"),
]


@pytest.fixture
def story(writer, reviewer, editor):
    sources = [SourceFactory(**fields) for fields in SOURCES]
    snapshot = Snapshot.objects.create(
        source=sources[2], requested_url=sources[2].url, final_url=sources[2].url,
        status_code=200, text="Minutes of the Harbour Committee. Item 4: Berth 4 substation.")
    Snapshot.objects.filter(pk=snapshot.pk).update(
        fetched_at=snapshot.fetched_at - datetime.timedelta(days=3))
    return publish_story(
        writer, reviewer, editor, title="Electric cranes reach Eastmere harbour, two years late",
        dek="The port says the machines will cut terminal emissions by about 40%; a grid "
            "bottleneck held them up.",
        body=BODY, sources=sources,
    )


def csp_violations(page) -> list[str]:
    return page.evaluate("window.__csp") + [p for p in page.problems
                                              if "Content Security Policy" in p]


def test_home_lists_the_story(live_server, page_factory, story):
    page = page_factory()
    page.goto(live_server.url + "/")
    # The home page lists it twice (latest and most read): the first is the latest.
    assert page.get_by_role("link", name=story.title).first.is_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "home-desktop.png"), full_page=True)
    page.get_by_role("link", name=story.title).first.click()
    page.wait_for_url(f"**{story.get_absolute_url()}")
    assert page.locator("article.story h1").inner_text() == story.title
    assert csp_violations(page) == []


def test_clicking_citation_two_lands_on_source_two(live_server, page_factory, story):
    page = page_factory()
    page.goto(live_server.url + story.get_absolute_url())
    page.locator('sup.cite a[href="#source-2"]').first.click()
    page.wait_for_function("location.hash === '#source-2'")
    target = page.locator("#source-2")
    assert target.is_visible()
    assert page.evaluate("document.querySelector(':target').id") == "source-2"
    # Scrolling to the target may be animated: wait for it to settle in the viewport.
    page.wait_for_function(
        "() => { const r = document.getElementById('source-2').getBoundingClientRect();"
        " return r.top >= 0 && r.top < window.innerHeight; }", timeout=5000)


def in_view(page, element_id):
    page.wait_for_function(
        "id => { const r = document.getElementById(id).getBoundingClientRect();"
        " return r.top >= 0 && r.top < window.innerHeight; }", arg=element_id, timeout=5000)


def test_from_a_source_back_to_the_claim_that_cited_it(live_server, page_factory, story):
    page = page_factory()
    # Jumps without the smooth scroll, whose end headless Chromium does not always reach.
    page.emulate_media(reduced_motion="reduce")
    page.goto(live_server.url + story.get_absolute_url())
    claim = page.locator("sup.cite", has=page.locator('a[href="#source-2"]')).last
    claim.locator('a[href="#source-2"]').click()
    page.wait_for_function("location.hash === '#source-2'")
    in_view(page, "source-2")
    # Source 2 is cited by claims 2 and 6: a way back to each, named for a screen reader.
    item = page.locator("#source-2")
    back = item.get_by_role("link", name="Back to claim 6")
    assert item.get_by_role("link", name="Back to claim 2").count() == 1
    # From the source the reader followed, the keyboard reaches the way back.
    for _ in range(6):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.getAttribute('aria-label')") == (
                "Back to claim 6"):
            break
    else:
        pytest.fail("Tab from source 2 never reached its link back to claim 6")
    outline = back.evaluate("a => getComputedStyle(a).outlineStyle")
    assert outline not in ("none", "")
    page.keyboard.press("Enter")
    page.wait_for_function("location.hash === '#claim-6'")
    in_view(page, "claim-6")
    assert page.evaluate("document.querySelector(':target').id") == "claim-6"
    assert "new cranes to win" in page.locator(":target").inner_text()


def test_keyboard_focus_on_citation_shows_hover_card(live_server, page_factory, story):
    page = page_factory()
    page.goto(live_server.url + story.get_absolute_url())
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("!!document.activeElement.closest('sup.cite')"):
            break
    else:
        pytest.fail("Tab never reached a citation link")
    card = page.locator(".cite-card")
    card.wait_for(state="visible")
    assert "Electric cranes arrive at Berth 4 after two-year delay" in card.inner_text()
    assert "The Harbour Ledger" in card.inner_text()
    page.keyboard.press("Escape")
    card.wait_for(state="hidden")


def test_hover_card_shows_locator(live_server, page_factory, story):
    page = page_factory()
    page.goto(live_server.url + story.get_absolute_url())
    page.locator("#claim-2 + sup.cite a").nth(1).hover()
    card = page.locator(".cite-card")
    card.wait_for(state="visible")
    assert "p. 2" in card.inner_text()


def test_review_trail_link_works(live_server, page_factory, story):
    page = page_factory()
    page.goto(live_server.url + story.get_absolute_url())
    page.locator("p.reviewed-by a").click()
    page.wait_for_url("**/history/")
    assert "Review trail" in page.content()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "history-desktop.png"), full_page=True)
    assert "First Reviewer" in page.locator(".trail").inner_text()
    assert csp_violations(page) == []


def test_story_page_has_no_csp_violations_and_saves_screenshots(
        live_server, page_factory, story):
    ARTIFACTS.mkdir(exist_ok=True)
    for name, width, height in (("desktop", 1280, 900), ("phone", 390, 844)):
        page = page_factory(width, height)
        response = page.goto(live_server.url + story.get_absolute_url())
        # Anonymous pages carry no nonce (one cached copy for every reader), and the CSP
        # still allows no inline script: the checks below run with it enforced.
        csp = response.headers["content-security-policy"]
        assert "nonce-" not in csp and "'unsafe-inline'" not in csp.split("script-src")[1]
        page.wait_for_load_state("networkidle")
        assert page.evaluate("getComputedStyle(document.body).fontFamily") != "Times New Roman"
        page.screenshot(path=str(ARTIFACTS / f"story-{name}.png"), full_page=True)
        page.locator('sup.cite a[href="#source-2"]').first.hover()
        page.locator(".cite-card").wait_for(state="visible")
        page.screenshot(path=str(ARTIFACTS / f"story-{name}-card.png"))
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert csp_violations(page) == [], csp_violations(page)
    assert os.path.getsize(ARTIFACTS / "story-desktop.png") > 10_000


@pytest.mark.parametrize("width", [1280, 390])
def test_by_keyboard_alone_from_a_citation_to_its_source_and_back_to_read_on(
        live_server, page_factory, story, width):
    page = page_factory(width=width, height=800)
    page.emulate_media(reduced_motion="reduce")
    page.goto(live_server.url + story.get_absolute_url())
    for _ in range(80):
        page.keyboard.press("Tab")
        if page.evaluate("!!document.activeElement.closest('sup.cite')"):
            break
    else:
        pytest.fail("Tab never reached a citation link")
    target = page.evaluate("document.activeElement.getAttribute('href')").lstrip("#")
    claim = page.evaluate("document.activeElement.closest('sup.cite')"
                          ".previousElementSibling.id")
    page.keyboard.press("Escape")  # the hover card, if open, is not in the way
    page.keyboard.press("Enter")
    page.wait_for_function("h => location.hash === h", arg=f"#{target}")
    in_view(page, target)
    back_name = f"Back to claim {claim.removeprefix('claim-')}"
    for _ in range(12):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.getAttribute('aria-label')") == back_name:
            break
    else:
        pytest.fail(f"Tab from {target} never reached {back_name!r}")
    assert page.evaluate("document.activeElement.closest('li').id") == target
    page.keyboard.press("Enter")
    page.wait_for_function("h => location.hash === h", arg=f"#{claim}")
    in_view(page, claim)
    # Reading on: the next Tab is the citation the reader left from, not the page's top.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('sup.cite')"
                         "?.previousElementSibling?.id") == claim
    assert page.evaluate("document.documentElement.scrollWidth") <= width
