"""Timing helper shared by the benchmark scripts."""

from __future__ import annotations

import argparse
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


def design_points(argv, doc: str, defaults: tuple[str, ...]):
    """(design points, SKY130 library, cycles) from a physical-flow benchmark's arguments:
    ``--point NAME`` (repeatable, default ``defaults``) and ``--cycles N``."""
    from rtl_models import physical, synth

    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--point", action="append", help="design point (repeatable)")
    parser.add_argument("--cycles", type=int, default=200)
    args = parser.parse_args(argv)
    points = {p.name: p for p in synth.DESIGN_POINTS}
    return ([points[n] for n in args.point or defaults],
            physical.read_liberty(physical.SKY130_LIBERTY), args.cycles)
