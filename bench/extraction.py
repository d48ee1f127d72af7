"""Compare main-text and metadata extraction on the saved fixture pages.

    .venv/bin/python bench/extraction.py

tests/sources/pages/ holds news pages, a press release and a bare notice, written for this
benchmark, each with menus, cookie banners, related links, newsletter boxes, share buttons,
comments and footers around the article, and expected.json with what a reader would call the
article: its title, author, date, site name, the paragraphs of its text (main) and the chrome
sentences that must not be in it (boilerplate). For each extractor it prints:

- main recall: the share of the article's paragraphs found whole in the extracted text;
- chrome kept: the share of boilerplate sentences that leaked into it (lower is better);
- title, author, date, site: how many pages got each exactly right;
- ms/page: the median time per page.

The extractor with the higher score (recall - chrome + metadata share) is what the capture uses.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Run as a script, bench/ is first on the path and its http.py would shadow the standard one.
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]

PAGES = ROOT / "tests" / "sources" / "pages"


def _norm(text: str) -> str:
    return " ".join(text.replace("\u00a0", " ").split())


def load() -> list[dict]:
    pages = json.loads((PAGES / "expected.json").read_text(encoding="utf-8"))
    for page in pages:
        page["html"] = (PAGES / page["file"]).read_text(encoding="utf-8")
    return pages


def score(pages: list[dict], extract) -> dict:
    found = total = leaked = chrome = 0
    meta = {"title": 0, "author": 0, "date": 0, "site": 0}
    times = []
    for page in pages:
        start = time.perf_counter()
        result = extract(page["html"])
        times.append((time.perf_counter() - start) * 1000)
        text = _norm(result.text)
        found += sum(_norm(p) in text for p in page["main"])
        total += len(page["main"])
        leaked += sum(_norm(b) in text for b in page["boilerplate"])
        chrome += len(page["boilerplate"])
        meta["title"] += _norm(result.title) == page["title"]
        meta["author"] += _norm(result.author) == page["author"]
        meta["date"] += result.published_on == page["date"]
        meta["site"] += _norm(result.site_name) == page["site_name"]
    recall, kept = found / total, (leaked / chrome if chrome else 0.0)
    return {"recall": recall, "chrome": kept, **meta, "ms": statistics.median(times),
            "score": recall - kept + sum(meta.values()) / (4 * len(pages))}


def main() -> int:
    from sources import extraction

    pages = load()
    rows = {
        "selectolax heuristics (before)": extraction.extract_html_heuristic,
        "trafilatura + htmldate (now)": extraction.extract_html,
    }
    results = {name: score(pages, func) for name, func in rows.items()}
    n = len(pages)
    print(f"extraction on {n} fixture pages (tests/sources/pages)")
    print(f"  {'extractor':32} {'main recall':>11} {'chrome kept':>11} {'title':>6} "
          f"{'author':>6} {'date':>5} {'site':>5} {'ms/page':>8}")
    for name, r in results.items():
        print(f"  {name:32} {r['recall']:>11.0%} {r['chrome']:>11.0%} {r['title']:>3}/{n:<2} "
              f"{r['author']:>3}/{n:<2} {r['date']:>2}/{n:<2} {r['site']:>2}/{n:<2} "
              f"{r['ms']:>8.1f}")
    best = max(results, key=lambda name: results[name]["score"])
    print(f"  better: {best}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
