"""Benchmark: parse+render a generated 50,000-word story (python bench/citations.py)."""

from __future__ import annotations

import statistics
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.generate import make_story  # noqa: E402
from stories.citations import parse  # noqa: E402

RUNS = 7


def run(runs: int = RUNS) -> dict[str, float]:
    """Median wall time of `runs` parses and peak traced memory of one more parse."""
    body, source_list, library = make_story()
    parse(body, source_list=source_list, library=library)  # warm caches and imports
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        parse(body, source_list=source_list, library=library)
        times.append((time.perf_counter() - started) * 1000)
    tracemalloc.start()
    parse(body, source_list=source_list, library=library)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"ms": round(statistics.median(times), 1), "peak_mb": round(peak / 2**20, 1)}


if __name__ == "__main__":
    body, _, _ = make_story()
    figures = run()
    print(f"story: {len(body.split())} words, {len(body)} chars")
    print(f"parse+render median of {RUNS}: {figures['ms']} ms; peak {figures['peak_mb']} MB")
