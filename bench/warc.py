"""What writing a WARC adds to a capture, and how long a story's WACZ package takes.

    .venv/bin/python bench/warc.py [--runs 15]

A local server answers with a 120 KB article of varied words (gzip, as most sites send it).
For each run: the capture's own work (the bounded fetch and the trafilatura extraction), then
writing its WARC (request, response as received, metadata); the medians and their ratio are
printed (target: the WARC adds under 20%). Then a WACZ of 50 such WARCs is built (under 2 s).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Run as a script, bench/ is first on the path and its http.py would shadow the standard one.
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]

import argparse  # noqa: E402
import gzip  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import statistics  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from datetime import UTC, datetime  # noqa: E402
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer  # noqa: E402

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")

_WORDS = ("harbour", "authority", "said", "dredging", "inner", "channel", "would", "cost",
          "million", "euros", "take", "eleven", "weeks", "silt", "reduced", "depth", "since",
          "council", "approved", "plan", "fleet", "port", "ferry", "tide", "crane", "berth",
          "cargo", "quay", "pilot", "vessel", "tonnes", "survey", "report", "minister", "budget")
_RNG = random.Random(18)
PARAGRAPHS = "".join(
    "<p>" + " ".join(_RNG.choice(_WORDS) if _RNG.random() > 0.1 else str(_RNG.randint(1, 99999))
                     for _ in range(60)) + ".</p>\n" for _ in range(300))
PAGE = ("<html><head><title>Harbour dredging</title></head><body><nav>Home | News</nav>"
        "<article><h1>Harbour dredging</h1>" + PARAGRAPHS + "</article>"
        "<footer>Contact</footer></body></html>").encode()
BODY = gzip.compress(PAGE)


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)

    def log_message(self, *args):
        pass


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args(argv)
    import django

    django.setup()
    from sources import extraction, fetch, wacz, warc

    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/article"
    capture_ms, warc_ms, warcs = [], [], []
    try:
        for _ in range(args.runs):
            start = time.perf_counter()
            result = fetch.fetch(url, allow_private=True)
            extracted = extraction.extract(result.content_type, result.body, result.final_url)
            middle = time.perf_counter()
            data = warc.write_capture(result, warc.Capture(
                requested_url=url, final_url=result.final_url, title=extracted.title,
                fetched_at=result.exchanges[0].started), "bench.warc.gz")
            end = time.perf_counter()
            capture_ms.append((middle - start) * 1000)
            warc_ms.append((end - middle) * 1000)
            warcs.append(data)
    finally:
        server.shutdown()
    capture, extra = statistics.median(capture_ms), statistics.median(warc_ms)
    print(f"warc: a {len(PAGE) / 1024:.0f} KB page ({len(BODY) / 1024:.0f} KB gzip), "
          f"{args.runs} runs")
    print(f"  capture (fetch + extraction): median {capture:.1f} ms; writing the WARC: "
          f"median {extra:.1f} ms = {extra / capture:.0%} more (target < 20%: "
          f"{'met' if extra / capture < 0.2 else 'missed'})")
    entries = [wacz.Entry(snapshot_id=n, data=warcs[n % len(warcs)], url=f"{url}?{n}",
                          fetched_at=datetime.now(UTC), title="Harbour dredging")
               for n in range(50)]
    times = []
    for _ in range(5):
        start = time.perf_counter()
        package = wacz.build(entries, title="Evidence")
        times.append(time.perf_counter() - start)
    built = statistics.median(times)
    print(f"  WACZ of 50 WARCs ({len(package) / 1e6:.1f} MB): median {built * 1000:.0f} ms "
          f"(target < 2000 ms: {'met' if built < 2 else 'missed'})")
    return 0 if extra / capture < 0.2 and built < 2 else 1


if __name__ == "__main__":
    raise SystemExit(main())
