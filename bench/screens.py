"""Writers' and reviewers' screens on the 2,000-claim story, timed in-process through the
real admin views with django.test.Client (server time: no network, no browser)."""

from __future__ import annotations

import statistics
import time
from html.parser import HTMLParser

from django.test import Client
from django.urls import NoReverseMatch, reverse

from bench.fixtures import BenchData

BUDGETS_MS = {"admin save": 1500, "reviewer's screen": 1000}


class FormFields(HTMLParser):
    """What a browser would submit from the page's form with method="post"."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.data: list[tuple[str, str]] = []
        self._textarea: str | None = None
        self._text: list[str] = []
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        name = a.get("name") or ""
        if "__prefix__" in name:  # the formset's empty template row
            return
        if tag == "input" and name and a.get("type", "text") not in (
            "submit", "button", "file", "image", "reset"
        ):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            self.data.append((name, a.get("value") or ("on" if a.get("type") == "checkbox"
                                                        else "")))
        elif tag == "textarea" and name:
            self._textarea, self._text = name, []
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and "selected" in a:
            self.data.append((self._select, a.get("value", "")))

    def handle_data(self, data):
        if self._textarea is not None:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag == "textarea" and self._textarea is not None:
            text = "".join(self._text)
            self.data.append((self._textarea, text[1:] if text.startswith("\n") else text))
            self._textarea = None
        elif tag == "select":
            self._select = None


def _post_data(html: str) -> dict[str, list[str]]:
    parser = FormFields()
    parser.feed(html)
    data: dict[str, list[str]] = {}
    for name, value in parser.data:
        data.setdefault(name, []).append(value)
    return data


def _timed(call, *args) -> tuple[float, object]:
    started = time.perf_counter()
    result = call(*args)
    return (time.perf_counter() - started) * 1000, result


def run(data: BenchData, runs: int = 5) -> list[dict]:
    """Median ms to open the change form, save it (a new revision) and open the review screen."""
    writer, reviewer = Client(), Client()
    writer.force_login(data.writer)
    reviewer.force_login(data.reviewer)
    change_url = reverse("admin:stories_story_change", args=[data.draft_id])
    rows = []

    opened, saved, problem = [], [], ""
    writer.get(change_url)  # warm-up
    for i in range(runs):
        ms, response = _timed(writer.get, change_url)
        opened.append(ms)
        form = _post_data(response.content.decode())
        form["body"] = [form["body"][0].rstrip("\n") + f"\n\nA benchmark edit, number {i}.\n"]
        ms, response = _timed(writer.post, change_url, form)
        if response.status_code != 302:
            problem = f"answered {response.status_code}, not a redirect: the form was refused"
            break
        saved.append(ms)
    rows.append(_row("change form (writer)", opened))
    rows.append(_row("admin save", saved, problem))

    try:
        review_url = reverse("admin:stories_story_review", args=[data.review_id])
    except NoReverseMatch:
        rows.append(_row("reviewer's screen", [], "not built yet (no admin:stories_story_review)"))
        return rows
    reviewer.get(review_url)  # warm-up
    times, problem = [], ""
    for _ in range(runs):
        ms, response = _timed(reviewer.get, review_url)
        if response.status_code != 200:
            problem = f"answered {response.status_code}"
            break
        times.append(ms)
    rows.append(_row("reviewer's screen", times, problem))
    return rows


def _row(label: str, times: list[float], problem: str = "") -> dict:
    return {"label": label, "ms": statistics.median(times) if times else None,
            "runs": len(times), "budget_ms": BUDGETS_MS.get(label), "note": problem}
