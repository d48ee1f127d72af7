"""An evidence package opens in ReplayWeb.page, the Webrecorder player archivists use: the
captured page replays from the WACZ alone, in Chromium, with no server of ours behind it."""

import contextlib
import functools
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.urls import reverse

from tests.conftest import need
from tests.public.test_evidence_package import captured, site  # noqa: F401 - fixtures
from tests.sources.test_services import publish

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PLAYER = Path(__file__).resolve().parents[2] / "node_modules" / "replaywebpage"
EMBED = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Evidence</title>
<script src="./ui.js"></script></head><body>
<replay-web-page source="./evidence.wacz" url="{url}" replayBase="./" embed="replayonly">
</replay-web-page></body></html>"""


@pytest.fixture
def player_site(tmp_path):
    """A plain static web server holding ReplayWeb.page's files and one evidence package."""
    need((PLAYER / "sw.js").exists(),
         f"ReplayWeb.page is not installed at {PLAYER} (npm ci --ignore-scripts)")
    for name in ("ui.js", "sw.js"):
        (tmp_path / name).write_bytes((PLAYER / name).read_bytes())
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(tmp_path))
    handler.log_message = lambda *args: None
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield tmp_path, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_the_evidence_package_replays_in_replayweb_page(
        client, site, writer, reviewer, editor, player_site, page_factory):  # noqa: F811
    base, _ = site
    source = captured(base, "/page-7")
    story = publish(source, writer, reviewer, editor,
                    body="The council approved 1.8 million euros [@{key}].")
    package = client.get(reverse("story-evidence", args=[story.slug]))
    assert package.status_code == 200
    folder, player = player_site
    (folder / "evidence.wacz").write_bytes(package.content)
    (folder / "index.html").write_text(EMBED.format(url=source.url))
    page = page_factory()
    page.goto(player + "/index.html")

    def replayed_text() -> str:
        from playwright.sync_api import Error

        texts = []
        for frame in page.frames:
            with contextlib.suppress(Error):  # a frame still loading, or gone
                texts.append(frame.evaluate("document.body ? document.body.innerText : ''"))
        return next((text for text in texts if "Dredging 7 plan" in text), "")

    text = ""
    for _ in range(160):  # the player loads, registers its service worker, reads the index
        text = replayed_text()
        if text:
            break
        page.wait_for_timeout(250)
    assert "Dredging 7 plan" in text, "the captured page did not replay from the package"
    assert "1.8 million euros" in text
