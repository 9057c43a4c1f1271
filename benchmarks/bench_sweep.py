"""Speed of design-space exploration against its targets (issue 6).

    python -m benchmarks.bench_sweep [--points 200000] [--dask-points 20000]     (repository root)

1. Analytic GEMM-level sweep throughput: many systolic design points (rows, cols, dataflow,
   buffers, DRAM bandwidth) on the seven linear GEMMs of one Llama-2-7B decode step, through
   ``sim.batch.evaluate_gemms`` (cycles and energy, all points at once), as design points per
   second on one core; the reference run is the scalar ``simulate_gemm`` loop in this process.
   Target: >= 10,000 points/s/core.
2. Dask with 2 local workers vs 1 worker on a CPU-bound sweep (the same batch model in
   chunks, so each task is pure numpy work). Target: >= 1.6x; the ratio is bounded by the
   cores this machine really has free.
"""

from __future__ import annotations

import argparse
import logging
import os
import time
from dataclasses import replace

import numpy as np

from arch import Dram, load_accelerator
from arch.units import SystolicArray
from benchmarks._timing import best_of
from sim import simulate_gemm
from sim.batch import BatchDesigns, Gemms, designs_from_accelerators, evaluate_gemms

# Llama-2-7B decode, batch 1: q/k/v/o 4096x4096, gate/up 4096x11008, down 11008x4096 (32 layers).
DECODE = [(1, 4096, 4096, 32.0)] * 4 + [(1, 11008, 4096, 32.0)] * 2 + [(1, 4096, 11008, 32.0)]


def random_designs(count: int, seed: int = 0) -> BatchDesigns:
    """``count`` systolic design points priced like systolic_32x32_ws, as arrays."""
    rng = np.random.default_rng(seed)
    template = designs_from_accelerators([load_accelerator("systolic_32x32_ws")], "fp16", 16)
    full = {f: np.repeat(getattr(template, f), count) for f in template.__dataclass_fields__}
    full.update(rows=rng.choice([8, 16, 32, 64, 128], count), cols=rng.choice([8, 16, 32, 64, 128], count),
                dataflow=rng.integers(0, 3, count),
                weight_buffer_bytes=rng.choice([65536, 262144, 1048576], count),
                input_buffer_bytes=rng.choice([65536, 262144, 1048576], count),
                dram_bytes_per_cycle=rng.choice([16.0, 32.0, 64.0, 128.0], count))
    return BatchDesigns(**full)


def _slice(d: BatchDesigns, start: int, stop: int) -> BatchDesigns:
    return BatchDesigns(**{f: getattr(d, f)[start:stop] for f in d.__dataclass_fields__})


def evaluate_chunked(designs: BatchDesigns, gemms: Gemms, chunk: int = 20_000) -> float:
    """Total latency (s) of every design, evaluated in chunks (bounded memory)."""
    total = 0.0
    for start in range(0, len(designs), chunk):
        total += float(evaluate_gemms(_slice(designs, start, start + chunk), gemms).latency_s.sum())
    return total


def bench_throughput(count: int) -> None:
    designs, gemms = random_designs(count), Gemms.of(DECODE)
    seconds = best_of(3, lambda: evaluate_chunked(designs, gemms))
    base = load_accelerator("systolic_32x32_ws")
    scalar_n, flows, table = 500, {0: "ws", 1: "os", 2: "is"}, base.energy

    def scalar_loop():
        for i in range(scalar_n):
            acc = replace(base, unit=SystolicArray(int(designs.rows[i]), int(designs.cols[i]),
                                                   flows[int(designs.dataflow[i])]),
                          dram=Dram(bandwidth_bytes_per_s=float(designs.dram_bytes_per_cycle[i]) * 1e9))
            acc.__dict__["energy"] = table  # share the parsed table, as a sweep's workers do
            for m, n, k, rep in DECODE:
                simulate_gemm(m, n, k, acc, repeats=rep)

    scalar = best_of(3, scalar_loop) / scalar_n
    rate = count / seconds
    print(f"analytic GEMM-level sweep (7 GEMMs of a Llama-2-7B decode step, cycles + energy): "
          f"{rate:,.0f} design points/s on one core ({count:,} points in {seconds:.2f} s); "
          f"scalar simulate_gemm loop {1 / scalar:,.0f} points/s -> {rate * scalar:,.0f}x "
          f"(target >= 10,000 points/s/core: {'met' if rate >= 10_000 else 'NOT met'})")


def _task(seed: int, count: int) -> float:
    return evaluate_chunked(random_designs(count, seed), Gemms.of(DECODE), chunk=2_000)


def _dask_time(workers: int, tasks: int, count: int) -> float:
    from dask.distributed import Client, LocalCluster
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                      silence_logs=logging.ERROR) as cluster, Client(cluster) as client:
        client.gather(client.map(_task, range(2), [count] * 2, pure=False))  # warm the workers
        start = time.perf_counter()
        client.gather(client.map(_task, range(tasks), [count] * tasks, pure=False))
        return time.perf_counter() - start


def bench_dask(points: int, tasks: int = 8) -> None:
    count = max(1, points // tasks)
    one, two = _dask_time(1, tasks, count), _dask_time(2, tasks, count)
    print(f"Dask LocalCluster, {tasks} tasks x {count:,} points: 1 worker {one:.2f} s, 2 workers {two:.2f} s "
          f"-> {one / two:.2f}x (target >= 1.6x; this machine has {os.cpu_count()} cores, shared with "
          f"whatever else runs)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=200_000)
    parser.add_argument("--dask-points", type=int, default=2_000_000)
    parser.add_argument("--no-dask", action="store_true")
    args = parser.parse_args(argv)
    bench_throughput(args.points)
    if not args.no_dask:
        bench_dask(args.dask_points)


if __name__ == "__main__":
    main()
