import json
import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import need

# Playwright's sync API runs an event loop in this thread; Django's ORM calls from the test
# body are still plain synchronous calls, so its async-safety guard would only get in the way.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def browser():
    need(Path(CHROMIUM).exists() or bool(shutil.which("chromium")),
         f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture
def page_factory(browser):
    """New pages, each in its own context; `user=` signs the page in as that user."""
    pages = []

    def make(width=1280, height=900, user=None, live_server=None, timezone_id=None):
        context = browser.new_context(viewport={"width": width, "height": height},
                                      timezone_id=timezone_id)
        if user is not None:
            context.add_cookies([session_cookie(user, live_server.url)])
        page = context.new_page()
        page.problems = []
        page.on("console", lambda m: page.problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: page.problems.append(str(e)))
        page.add_init_script(
            "window.__csp = [];"
            "document.addEventListener('securitypolicyviolation',"
            " e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));"
        )
        pages.append(context)
        return page

    yield make
    for context in pages:
        context.close()


def session_cookie(user, base_url: str) -> dict:
    """A signed-in session for `user`, as the cookie a browser would hold."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    return {"name": settings.SESSION_COOKIE_NAME,
            "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
            "url": base_url}


def axe_available() -> bool:
    return AXE.exists()


RESOLVED_IMPORTS = """() => {
  const raw = Object.getOwnPropertyDescriptor(CSSImportRule.prototype, "href");
  if (raw.get.resolved) return;
  const get = function () {
    const base = (this.parentStyleSheet && this.parentStyleSheet.href) || document.baseURI;
    return new URL(raw.get.call(this), base).href;
  };
  get.resolved = true;
  Object.defineProperty(CSSImportRule.prototype, "href", {...raw, get});
}"""


def axe_violations(page, *, impacts=("critical", "serious")) -> list[dict]:
    """Run axe-core (injected from node_modules) on the page; the violations of `impacts`."""
    need(axe_available(), f"axe-core is not installed at {AXE} (npm ci --ignore-scripts)")
    # Evaluated through the DevTools protocol, so the page's CSP (no inline script) stays on.
    page.evaluate(AXE.read_text() + "\n;true")
    # axe-core 4.10 fetches a stylesheet's @import by the URL as written, against the page's
    # address: Django's forms.css imports 'widgets.css', which it asked for at
    # /admin/password_change/widgets.css (a 404 no reader's browser makes). The rule's href,
    # resolved against its stylesheet as a browser resolves it, keeps axe's CSS checks on.
    page.evaluate(RESOLVED_IMPORTS)
    result = page.evaluate(
        "async () => JSON.stringify(await axe.run(document, {resultTypes: ['violations']}))")
    violations = json.loads(result)["violations"]
    return [
        {"id": v["id"], "impact": v["impact"], "help": v["help"],
         "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in violations if v["impact"] in impacts
    ]
