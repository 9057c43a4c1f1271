"""The 1.08M-point GEMM-level sweep end to end, against the scalar path in the same run.

    python -m benchmarks.bench_large_sweep [--points N] [--scalar-sample 300] [--jobs J]

1. ``bitplane sweep experiments/specs/large.yaml`` as users run it, step by step as
   :func:`experiments.sweep.run_sweep` takes them: plan, evaluate (blocks through
   ``sim.fleet``) into the crash-safe store, the Pareto set and the Parquet/CSV tables, then
   the report; wall time and CPU time (this process and its workers) per phase.
2. The reference: the scalar path (``experiments.blocks.evaluate_point``, one
   ``sim.simulate`` per point) on a seeded sample of the same points, in this process.
   Printed: points per second of each, and the ratio. Target: the whole sweep under 60 s
   wall on 2 cores.

``--points N`` runs a seeded random sample of N points of the spec instead of all of it.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from experiments.blocks import evaluate_point
from experiments.cmd_sweep import default_spec_path
from experiments.grid import plan_sweep
from experiments.points import DesignPoint
from experiments.report import build_report
from experiments.spec import Sampling, load_spec
from experiments.sweep import available_cpus, block_size, finish, open_store, run_blocks, spec_size

LARGE = default_spec_path().parent / "large.yaml"


def _cpu_s() -> tuple[float, float]:
    """CPU seconds of this process, and of its finished worker processes."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def _timed(label: str, fn):
    wall, (own, workers) = time.perf_counter(), _cpu_s()
    value = fn()
    here, pool = _cpu_s()[0] - own, _cpu_s()[1] - workers
    print(f"  {label:<32} {time.perf_counter() - wall:7.1f} s wall  {here + pool:7.1f} s CPU"
          f"  ({here:.1f} here + {pool:.1f} workers)", flush=True)
    return value, time.perf_counter() - wall


def sweep_phases(spec, out: Path, jobs: int | None) -> tuple[int, int, float]:
    """:func:`experiments.sweep.run_sweep`'s steps, each timed: (points, skipped, wall seconds)."""
    workers = jobs or available_cpus()
    plan, plan_s = _timed("plan (blocks of typed designs)", lambda: plan_sweep(
        spec, block_size(spec_size(spec), workers)))
    with open_store(out, spec) as store:
        _, run_s = _timed("evaluate + crash-safe store", lambda: run_blocks(
            list(plan.blocks), store, spec.qsnr, jobs=jobs, quiet=True, op_rows=spec.op_rows))
        _, finish_s = _timed("Pareto set + Parquet/CSV", lambda: finish(
            store, spec, out, {"skipped_unsupported": plan.skipped}))
    return plan.points, plan.skipped, plan_s + run_s + finish_s


def scalar_points_per_s(spec, sample: int) -> float:
    """Points per second of the scalar reference on a seeded sample of the spec's points."""
    blocks = plan_sweep(spec, block_size=64).blocks
    rng = np.random.default_rng(0)
    chosen = [blocks[int(i)] for i in rng.integers(0, len(blocks), sample)]
    points = []
    for block in chosen:
        j = int(rng.integers(0, len(block)))
        labels = block.design_labels[j] + block.workload_labels
        points.append(DesignPoint(block.seqs[j], block.base, block.designs[j], block.workload, labels,
                                  block.point_ids[j]))
    evaluate_point(points[0], spec.qsnr)  # warm-up: QSNR caches, workload expansion
    start = time.perf_counter()
    for point in points:
        assert evaluate_point(point, spec.qsnr).status == "ok"
    return len(points) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, help="a random sample of this many points (default: all)")
    parser.add_argument("--scalar-sample", type=int, default=300)
    parser.add_argument("--jobs", type=int)
    args = parser.parse_args()
    spec = load_spec(LARGE)
    if args.points:
        spec = replace(spec, sampling=Sampling("random", args.points, 0))
    with tempfile.TemporaryDirectory() as tmp:
        print(f"large.yaml on this machine ({args.jobs or 'all'} jobs):")
        start, cpu = time.perf_counter(), sum(_cpu_s())
        points, skipped, sweep_s = sweep_phases(spec, Path(tmp), args.jobs)
        _, report_s = _timed("report (HTML, plots)", lambda: build_report(Path(tmp)))
        wall = time.perf_counter() - start
        print(f"  {'whole sweep':<32} {wall:7.1f} s wall  {sum(_cpu_s()) - cpu:7.1f} s CPU")
    total = sweep_s + report_s
    fast = points / total
    scalar = scalar_points_per_s(spec, args.scalar_sample)
    print(f"  {points:,} points ({skipped:,} skipped) in {total:.1f} s wall: "
          f"{fast:,.0f} points/s end to end")
    print(f"  scalar reference: {scalar:,.0f} points/s (evaluation only) -> {points / scalar:,.0f} s "
          f"for the sweep")
    print(f"  ratio fast / scalar: {fast / scalar:,.1f}x")


if __name__ == "__main__":
    main()
