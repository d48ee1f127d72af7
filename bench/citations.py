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
    """Median wall (ms) and CPU (cpu_ms) time of `runs` parses, and the peak traced memory
    (peak_mb) of one more parse, measured apart so tracing does not slow the timed runs."""
    body, source_list, library = make_story()
    parse(body, source_list=source_list, library=library)  # warm caches and imports
    wall, cpu = [], []
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        parse(body, source_list=source_list, library=library)
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    tracemalloc.start()
    parse(body, source_list=source_list, library=library)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"ms": round(statistics.median(wall), 1), "cpu_ms": round(statistics.median(cpu), 1),
            "peak_mb": round(peak / 2**20, 1)}


if __name__ == "__main__":
    body, source_list, _ = make_story()
    figures = run()
    print(f"story: {len(body.split())} words, {body.count('[@')} citation groups, "
          f"{len(source_list)} listed of 300 sources, {len(body)} chars")
    print(f"parse+render median of {RUNS}: {figures['ms']} ms wall, {figures['cpu_ms']} ms CPU; "
          f"peak {figures['peak_mb']} MB (tracemalloc)")
