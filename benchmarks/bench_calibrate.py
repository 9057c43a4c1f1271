"""Calibration time per unit (issue 12): the gate-level flow against plain synthesis.

    python -m benchmarks.bench_calibrate [--point NAME ...] [--cycles 200]   (repository root)

For each design point: seconds of ``rtl_models.physical.calibrate_point`` (Yosys onto SKY130,
OpenSTA timing, Icarus on three distributions, OpenSTA power) and, as the reference run in
the same process, seconds of ``rtl_models.synth.synthesize`` (what ``bitplane synth`` does
for the point: Yosys generic and Xilinx mappings); the ratio says what calibration adds.
It also sums the ``seconds`` of every committed row of ``rtl_models/synth/sky130.json``: the
whole built-in calibration, which is why the default test run calibrates one small unit and
``-m slow`` the rest.
"""

from __future__ import annotations

import time

from rtl_models import physical, synth

from ._timing import design_points

DEFAULT_POINTS = ("mul_fp4_e2m1", "lmul_fp8_e4m3", "dot_nvfp4_exact")


def _seconds(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> None:
    chosen, lib, cycles = design_points(argv, __doc__, DEFAULT_POINTS)
    print(f"{'design point':<26} {'calibrate s':>12} {'synth s':>8} {'ratio':>6}")
    for point in chosen:
        name = point.name
        cal = _seconds(lambda p=point: physical.calibrate_point(p, lib, cycles=cycles))
        ref = _seconds(lambda p=point: synth.synthesize(p))
        print(f"{name:<26} {cal:>12.1f} {ref:>8.1f} {cal / ref:>6.2f}")
    rows = physical.load()["rows"]
    total = sum(r["seconds"] for r in rows)
    slowest = max(rows, key=lambda r: r["seconds"])
    print(f"committed built-in calibration: {len(rows)} points, {total / 60:.1f} min in all "
          f"(slowest {slowest['name']}: {slowest['seconds'] / 60:.1f} min)")


if __name__ == "__main__":
    main()
