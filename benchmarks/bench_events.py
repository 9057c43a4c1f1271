"""Speed and memory of the event-level engine on long workloads (issue 14).

    python -m benchmarks.bench_events [--repeats 3]      (from the repository root)

1. The pipeline of DRAM tiles in closed form (``sim.events.run_tiles``, runs of identical
   tiles) against the simpy pipeline with one event per tile (``run_tiles_simpy``) on the
   same runs, as a ratio measured in this process.
2. Llama-3-70B prefill at 4,096 tokens, whole layers, event level, on the BitMoD FP16 array
   (512 KB buffers: millions of DRAM tiles): wall time and peak Python memory (tracemalloc).
   Target: under 1 GB.
"""

from __future__ import annotations

import argparse
import tracemalloc

from arch import load_accelerator
from arch.workloads import expand
from benchmarks._timing import best_of
from sim.events import Tile, run_tiles, run_tiles_simpy, simulate_workload_events


def bench_pipeline(repeats: int) -> None:
    runs = [Tile(i, 7 + i % 3, 5 + i % 4, 2000) for i in range(20)]
    closed = best_of(repeats, lambda: run_tiles(runs))
    simpy = best_of(repeats, lambda: run_tiles_simpy(runs))
    assert run_tiles(runs) == run_tiles_simpy(runs)
    print(f"40,000 tiles in 20 runs: closed form {closed * 1e3:.2f} ms, simpy {simpy * 1e3:.0f} ms "
          f"-> {simpy / closed:,.0f}x")


def bench_long_prefill() -> None:
    acc = load_accelerator("bitmod_fp16")
    workload = expand("llama-3-70b", "prefill", context=4096, scope="layer")
    tracemalloc.start()
    seconds = best_of(1, lambda: simulate_workload_events(workload, acc))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"Llama-3-70B prefill 4096, event level on bitmod_fp16: {seconds:.2f} s, "
          f"peak {peak / 1e6:.1f} MB (target < 1 GB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    bench_pipeline(args.repeats)
    bench_long_prefill()


if __name__ == "__main__":
    main()
