"""Timing helper shared by the benchmark scripts."""

from __future__ import annotations

import time


def best_of(repeats: int, fn) -> float:
    """Seconds of the fastest of ``repeats`` calls of ``fn`` after one warm-up call
    (JIT compilation, page faults and caches are not what we measure)."""
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)
