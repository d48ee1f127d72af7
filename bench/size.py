"""Lines of the public-page serving code before issue 13 (commit 3493d9e, the stored-page
design) and now: views, page builders, helpers and the public templates."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BEFORE = "3493d9e"
TEMPLATES = ("stories/templates/stories", "newsroom/templates/base.html")
MODULES = ("stories/pages.py", "stories/views.py", "stories/caching.py",
           "stories/frontend_cache.py", "deploy/varnish/default.vcl")


def _git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True,
                          check=False).stdout


def _lines(commit: str | None, path: str) -> int:
    if commit is None:
        file = ROOT / path
        return len(file.read_text().splitlines()) if file.exists() else 0
    return len(_git("show", f"{commit}:{path}").splitlines())


def _templates(commit: str | None) -> list[str]:
    if commit is None:
        return sorted(str(p.relative_to(ROOT)) for t in TEMPLATES
                      for p in ([ROOT / t] if t.endswith(".html") else (ROOT / t).glob("*.html")))
    return sorted(_git("ls-tree", "-r", "--name-only", commit, *TEMPLATES).split())


def rows() -> list[tuple[str, int, int]]:
    """(what, lines before, lines now); selectors.py is shown whole, as it serves the admin
    too."""
    out = [(path, _lines(BEFORE, path), _lines(None, path)) for path in MODULES]
    before_t, now_t = _templates(BEFORE), _templates(None)
    out.append((f"public templates ({len(before_t)} → {len(now_t)} files)",
                sum(_lines(BEFORE, p) for p in before_t), sum(_lines(None, p) for p in now_t)))
    out.append(("total", sum(r[1] for r in out), sum(r[2] for r in out)))
    out.append(("stories/selectors.py (shared with the admin)",
                _lines(BEFORE, "stories/selectors.py"), _lines(None, "stories/selectors.py")))
    return out
