"""Full-page screenshots of captured pages, rendered from their WARC with headless Chromium.

The browser never touches the network: the page's own address is answered from the WARC and
every other request (images, scripts, fonts, trackers) is aborted, so a screenshot shows what
we archived, cannot be steered at internal addresses, and takes the same time on every run.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass

from . import warc

VIEWPORT = {"width": 1280, "height": 900}
MAX_HEIGHT = 12_000  # px: a full page, cut where an endless page would make a huge image
TIMEOUT_MS = 20_000


@dataclass(frozen=True)
class Shot:
    """A PNG, or the note saying why there is none."""

    png: bytes = b""
    note: str = ""


def browser_missing(executable: str) -> str:
    """Why no screenshot can be taken here ("" when Playwright and the browser are present)."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "No screenshot: Playwright is not installed on this server."
    if not (os.path.isfile(executable) and os.access(executable, os.X_OK)) and not shutil.which(
            executable):
        return f"No screenshot: no browser is installed here ({executable} not found)."
    return ""


def render(page: warc.Replay, url: str, *, executable: str) -> Shot:
    """Screenshot of an archived HTML page (a Shot with a note when it cannot be taken)."""
    missing = browser_missing(executable)
    if missing:
        return Shot(note=missing)
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    def answer(route):
        if route.request.url.split("#", 1)[0] == url:
            route.fulfill(status=200, body=page.body,
                          headers={"Content-Type": page.content_type or "text/html"})
        else:
            route.abort()

    try:
        with sync_playwright() as driver:
            browser = driver.chromium.launch(executable_path=executable, headless=True,
                                             args=["--no-sandbox"])
            try:
                context = browser.new_context(viewport=VIEWPORT, java_script_enabled=False,
                                              service_workers="block")
                tab = context.new_page()
                tab.route("**/*", answer)
                tab.goto(url, wait_until="load", timeout=TIMEOUT_MS)
                height = min(MAX_HEIGHT, max(VIEWPORT["height"], tab.evaluate(
                    "document.documentElement.scrollHeight") or 0))
                png = tab.screenshot(clip={"x": 0, "y": 0, "width": VIEWPORT["width"],
                                           "height": height}, full_page=True,
                                     timeout=TIMEOUT_MS)
            finally:
                browser.close()
    except PlaywrightError as exc:
        return Shot(note=f"No screenshot: the browser failed ({str(exc).splitlines()[0][:200]}).")
    return Shot(png=png)
