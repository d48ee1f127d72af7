"""Resident memory of gunicorn's workers (the master's children), read from /proc."""

from __future__ import annotations

from pathlib import Path

GROWTH_BUDGET = 10.0  # percent, after warm-up (issue 7)


def children(pid: int) -> list[int]:
    """Pids whose parent is `pid`."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # The command name (field 2) may hold spaces; the parent pid follows its ")".
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return sorted(found)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def workers_rss(master_pid: int) -> dict[int, float]:
    """RSS in MB of each worker of the gunicorn master `master_pid`."""
    return {pid: rss_mb(pid) for pid in children(master_pid)}


def report(before: dict[int, float], after: dict[int, float], requests: int) -> list[dict]:
    """One row per worker: RSS after warm-up and after the run, and the growth in percent.

    A worker that was replaced meanwhile (a crash or a restart) shows up without a "before".
    """
    rows = []
    for pid in sorted(set(before) | set(after)):
        start, end = before.get(pid), after.get(pid)
        growth = (end - start) / start * 100 if start and end else None
        rows.append({"pid": pid, "before_mb": start, "after_mb": end, "growth_pct": growth,
                     "requests": requests})
    return rows
