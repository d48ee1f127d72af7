"""Mixed load (issue 13): readers on 20 published stories (wrk, rotating over them) while two
writers save edits through stories.services and an editor publishes a correction every second
(edit, submit, approve, publish). Readers must see no error and a p99 under 50 ms.

Run twice: against the origin with the fragment cache warm, and through varnishd with the
shipped VCL in front of it, as newsrooms deploy; there every publication purges the edge
(stories.frontend_cache, configured here as in production), so readers are served hits between
publications and the new page right after one."""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from bench import http, loadgen

STORIES = 20
P99_BUDGET_MS = 50.0


@dataclass
class Figures:
    """Readers' figures from wrk and what the writers and the editor managed."""

    seconds: float
    via: str = "origin"
    reader: loadgen.Result | None = None
    saves: int = 0
    publishes: int = 0
    failures: list[str] = field(default_factory=list)
    note: str = ""


def _lua(paths: list[str]) -> str:
    listed = ", ".join(f'"{p}"' for p in paths)
    return ("local paths = {" + listed + "}\nlocal i = 0\n"
            "request = function()\n  i = i % #paths + 1\n"
            "  return wrk.format(\"GET\", paths[i])\nend\n")


def _writer(slugs: list[str], user, stop: threading.Event, figures: Figures, lock,
            run_id: str) -> None:
    from django.db import connection

    from stories import services
    from stories.models import Story

    n = 0
    try:
        while not stop.is_set():
            story = Story.objects.get(slug=slugs[n % len(slugs)])
            try:
                services.story_update(story_id=story.pk, user=user,
                                      base_revision=story.latest_revision.content_hash,
                                      dek=f"A generated story, edit {n} ({run_id}).")
                with lock:
                    figures.saves += 1
            except Exception as exc:  # noqa: BLE001 - reported in the table
                with lock:
                    figures.failures.append(f"save: {type(exc).__name__}: {exc}"[:200])
            n += 1
            stop.wait(0.5)
    finally:
        connection.close()


def _editor(slugs: list[str], writer, reviewer, editor, stop: threading.Event,
            figures: Figures, lock, run_id: str) -> None:
    from django.db import connection

    from stories import services
    from stories.models import Story

    n = 0
    try:
        while not stop.is_set():
            began = time.monotonic()
            story = Story.objects.get(slug=slugs[n % len(slugs)])
            try:
                services.story_update(story_id=story.pk, user=writer,
                                      base_revision=story.latest_revision.content_hash,
                                      dek=f"A generated story, correction {n} ({run_id}).")
                services.story_submit(story_id=story.pk, user=writer)
                story = Story.objects.get(pk=story.pk)
                revision = story.latest_revision
                services.review_submit(
                    story_id=story.pk, base_revision=revision.content_hash, reviewer=reviewer,
                    decision="approve",
                    checks=[services.CheckInput(claim=o, verdict="supported")
                            for o in revision.claims.values_list("ordinal", flat=True)])
                services.story_publish(story_id=story.pk, revision=revision.content_hash,
                                       user=editor, note=f"Correction {n}.")
                with lock:
                    figures.publishes += 1
            except Exception as exc:  # noqa: BLE001 - reported in the table
                with lock:
                    figures.failures.append(f"publish: {type(exc).__name__}: {exc}"[:200])
            n += 1
            stop.wait(max(0.0, 1.0 - (time.monotonic() - began)))
    finally:
        connection.close()


@contextmanager
def _front(via: str, origin: int):
    """The port readers use: the origin's, or varnishd's in front of it with the app's purges
    (made in this process, where the editor publishes) pointed at it."""
    if via != "Varnish":
        yield origin
        return
    from django.test import override_settings

    purge_port = http.free_port()  # the VCL takes PURGE and BAN on its purge listener only
    with http.varnish(origin, purge_port) as port, override_settings(NEWSROOM_FRONTEND_CACHE={
            "BACKEND": "stories.frontend_cache.VarnishBackend",
            "LOCATION": f"http://127.0.0.1:{purge_port}"}):
        yield port


def run(env: dict[str, str], *, seconds: float, connections: int,
        via: str = "origin") -> Figures:
    from django.contrib.auth import get_user_model

    figures = Figures(seconds=seconds, via=via)
    if not shutil.which("wrk"):
        figures.note = "needs wrk (apt-get install wrk)"
        return figures
    if via == "Varnish" and not http.varnish_binary():
        figures.note = "needs varnishd (apt-get install varnish)"
        return figures
    users = get_user_model().objects
    writer, reviewer, editor = (users.get(username=f"bench-{r}")
                                for r in ("writer", "reviewer", "editor"))
    slugs = [f"typical-{i:02d}" for i in range(STORIES)]
    published, edited = slugs[: STORIES // 2], slugs[STORIES // 2:]
    lock, stop = threading.Lock(), threading.Event()
    # Each run's edits are new text: the second run (through Varnish) edits the same stories,
    # and an edit that repeats the first run's text is no edit, so its submit was refused.
    run_id = f"{via} run {time.strftime('%H:%M:%S')}"
    with http.gunicorn(http.mode_env(env, "fragment warm")) as (_, origin), \
            _front(via, origin) as port, \
            tempfile.TemporaryDirectory(prefix="newsroom-bench-mixed-") as work:
        script = Path(work) / "stories.lua"
        script.write_text(_lua([f"/stories/{s}/" for s in slugs]))
        # Warm-up: each worker renders each story's fragment once, as in steady state.
        loadgen._wrk(port, "/", connections, 2, script=str(script))
        threads = [
            threading.Thread(target=_writer,
                             args=(edited[0::2], writer, stop, figures, lock, run_id)),
            threading.Thread(target=_writer,
                             args=(edited[1::2], writer, stop, figures, lock, run_id)),
            threading.Thread(target=_editor, args=(published, writer, reviewer, editor, stop,
                                                   figures, lock, run_id)),
        ]
        for thread in threads:
            thread.start()
        try:
            figures.reader = loadgen._wrk(port, "/", connections, seconds, script=str(script))
        finally:
            stop.set()
            for thread in threads:
                thread.join(60)
    return figures
