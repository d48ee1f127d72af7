"""The table bench/scale.py prints and writes to bench/results-scale.md: each figure at every
archive size side by side, the ratio of the largest to the smallest, and the budgets."""

from __future__ import annotations

import os
import platform
from datetime import UTC, datetime

PAGE_BUDGET_MS = 100
SEARCH_BUDGET_MS = 150
RATIO_BUDGET = 2.0
EVENTS_BUDGET = 50_000


def _f(value, digits=1) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return f"{value:,}"


def _verdict(name: str, warm_p95: float, ratio: float | None) -> str:
    budget = SEARCH_BUDGET_MS if name.startswith("search") else PAGE_BUDGET_MS
    misses = []
    if warm_p95 > budget:
        misses.append(f"p95 > {budget} ms")
    if ratio is not None and ratio > RATIO_BUDGET:
        misses.append(f"> {RATIO_BUDGET:g}x")
    return "meets" if not misses else "misses: " + ", ".join(misses)


def write(figures: dict, sizes: list[int]) -> str:
    small, large = sizes[0], sizes[-1]
    first = next(iter(figures[small]["pages"].values()))
    warm_n, cold_n = first["warm"]["n"], first["cold"]["n"]
    head = " | ".join(f"{s:,}" for s in sizes)
    lines = [
        "# The archive benchmark (bench/scale.py)",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.node()} "
        f"({os.cpu_count()} cores, shared with other work: load average "
        f"{os.getloadavg()[0]:.1f} at the end), Python {platform.python_version()}, "
        "PostgreSQL, DEBUG off, Django's test client in one process. Times in ms.",
        "",
        "## Archives",
        "",
        f"| | {head} |",
        "|---|" + "---:|" * len(sizes),
    ]
    for key in ("stories", "revisions", "claims", "events", "sources", "story_sources",
                "link_checks", "reviews", "corrections", "seconds"):
        label = "load time (s)" if key == "seconds" else key.replace("_", " ")
        lines.append(f"| {label} | " + " | ".join(
            _f(figures[s]["load"].get(key)) for s in sizes) + " |")
    lines += [
        "",
        "## Pages and API calls",
        "",
        f"Warm: caches filled, the same request repeated ({warm_n} times a page at each "
        f"size). Cold: Django's cache cleared before each request ({cold_n} times; "
        "PostgreSQL's buffers stay warm). Queries: the number one request runs. "
        "Seq scans: large tables a query of the request reads with a sequential scan; "
        "filtered: plan nodes on large tables that read 1,000 or more rows only to drop them "
        "by a filter (EXPLAIN ANALYZE of every query). Load: the machine's 1-minute load "
        "average while the page was measured, at each size. "
        f"Ratio: warm p95 at {large:,} over warm p95 at {small:,} (median ratio: the same for "
        "the medians). Budgets: warm "
        f"p95 under {PAGE_BUDGET_MS} ms (search {SEARCH_BUDGET_MS} ms) and at most "
        f"{RATIO_BUDGET:g}x.",
        "",
        "| page | " + " | ".join(f"warm median / p95 at {s:,}" for s in sizes) + " | "
        + " | ".join(f"cold p95 at {s:,}" for s in sizes) + " | queries | seq scans | "
        "filtered | load | ratio | median ratio | budget |",
        "|---|" + "---:|" * (2 * len(sizes) + 1) + "---|---|---:|---:|---:|---|",
    ]
    names = list(figures[large]["pages"])
    small_names = list(figures[small]["pages"])
    for index, name in enumerate(names):
        rows = []
        for size in sizes:
            pages = figures[size]["pages"]
            key = name if name in pages else list(pages)[index]  # counts differ by size
            rows.append(pages[key])
        warm = [f"{_f(r['warm']['median'])} / {_f(r['warm']['p95'])}" for r in rows]
        cold = [_f(r["cold"]["p95"]) for r in rows]
        queries = " / ".join(str(r["queries"]) for r in rows)
        # At each size that has them: a table of 300 rows is read whole at 1,000 stories, as
        # PostgreSQL should; the same query by an index at 100,000.
        scans = "; ".join(f"{', '.join(r['seq_scans'])} at {s:,}"
                          for s, r in zip(sizes, rows, strict=True) if r["seq_scans"]) or "none"
        wasted = "; ".join(f"{w} at {s:,}" for s, r in zip(sizes, rows, strict=True)
                           for w in r.get("wasted", [])) or "none"
        loads = " / ".join(_f(r.get("load")) for r in rows)
        ratio = rows[-1]["warm"]["p95"] / rows[0]["warm"]["p95"] if rows[0]["warm"]["p95"] else None
        # The budget is on p95; the medians' ratio says the same with less of the machine's noise.
        median_ratio = (rows[-1]["warm"]["median"] / rows[0]["warm"]["median"]
                        if rows[0]["warm"]["median"] else None)
        statuses = {r["status"] for r in rows}
        shown = name if index >= len(small_names) or small_names[index] == name else \
            f"{small_names[index]} → {name}"
        note = "" if statuses == {200} else f" (HTTP {'/'.join(map(str, sorted(statuses)))})"
        lines.append(f"| {shown}{note} | " + " | ".join(warm) + " | " + " | ".join(cold)
                     + f" | {queries} | {scans} | {wasted} | {loads} | {_f(ratio, 2)}x | "
                     + f"{_f(median_ratio, 2)}x | "
                     + _verdict(name, rows[-1]["warm"]["p95"], ratio) + " |")
    lines += [
        "",
        "## verify_audit and the link sweep",
        "",
        f"| | {head} | budget |",
        "|---|" + "---:|" * len(sizes) + "---|",
    ]
    audits = [figures[s]["audit"] for s in sizes]
    events = [figures[s]["load"].get("events") or 0 for s in sizes]
    # A run stopped by SCALE_VERIFY_SECONDS has no rate: it did not check every event.
    rates = [e / a["seconds"] if a["ok"] else None for e, a in zip(events, audits, strict=True)]
    cpu = [e / a["cpu_seconds"] if a["ok"] and a.get("cpu_seconds") else None
           for e, a in zip(events, audits, strict=True)]
    lines += [
        "| verify_audit: intact | " + " | ".join(
            "yes" if a["ok"] else "not shown: " + " ".join(a["output"])[:80] for a in audits)
        + " | |",
        "| verify_audit: seconds (whole command) | " + " | ".join(_f(a["seconds"]) for a in audits)
        + " | |",
        "| verify_audit: events per second (wall) | " + " | ".join(_f(r, 0) for r in rates)
        + f" | ≥ {EVENTS_BUDGET:,}: "
        + ("meets" if rates[-1] and rates[-1] >= EVENTS_BUDGET else "misses") + " |",
        "| verify_audit: events per CPU second | " + " | ".join(_f(r, 0) for r in cpu) + " | |",
        "| verify_audit: peak memory (MB, RSS of its process) | "
        + " | ".join(_f(a["peak_mb"]) for a in audits) + " | flat |",
        "| verify_audit: load average, start / end | " + " | ".join(
            " / ".join(_f(x) for x in a["load"]) if a.get("load") else "—" for a in audits)
        + " | |",
    ]
    sweeps = [figures[s]["sweep"] for s in sizes]
    lines += [
        "| link sweep: cited sources | " + " | ".join(_f(w["cited"]) for w in sweeps) + " | |",
        "| link sweep: listing the ids (ms) | " + " | ".join(_f(w["listing_ms"]) for w in sweeps)
        + " | |",
        "| link sweep: sources checked per second, unpaced, notifications queued | "
        + " | ".join(_f(w["per_second"]) for w in sweeps) + " | |",
        "| link sweep: CPU per source checked (ms, the process's) | "
        + " | ".join(_f(w.get("cpu_per_source_ms")) for w in sweeps) + " | |",
        "| link sweep: tasks queued meanwhile | " + " | ".join(
            ", ".join(f"{n:,} {t.rsplit('.', 1)[-1]}" for t, n in sorted(w.get("queued", {})
                                                                            .items())) or "none"
            for w in sweeps) + " | |",
        "| link sweep: story page p95 meanwhile, unpaced (ms) | " + " | ".join(
            _f((w.get("page_during") or {}).get("p95")) for w in sweeps) + " | |",
        "| link sweep: paced, each worker (NEWSROOM_LINK_CHECK_RATE) | " + " | ".join(
            f"{w['rate_limit']}: a full sweep in " + (
                f"{_f(w['paced_full_sweep_h'])} h" if w["paced_full_sweep_h"] >= 1
                else f"{_f(w['paced_full_sweep_h'] * 60)} min")
            if w.get("rate_limit") else "—" for w in sweeps) + " | never starves the web |",
    ]
    lines += [
        "",
        "The sweep runs each check as check_source_link does (services.source_check_link, one "
        "after another, unpaced: what one worker could do without its rate limit), with the "
        "notifications the checks' events cause queued for the workers (an in-memory Celery "
        "broker nobody consumes), not sent inline. Production paces it: "
        "NEWSROOM_LINK_CHECK_RATE is each worker's limit on check_source_link, so the web "
        "workers keep the machine.",
        "",
        "Like with like: every archive has at least 100 stories in each unpublished state "
        "(bench.scale_data.STATE_PAGE, a full admin or API page), so a page filtered by state "
        "shows a full page at 1,000 stories too; the 100,000-story archive has 600 of each.",
    ]
    lines.append("")
    return "\n".join(lines)
