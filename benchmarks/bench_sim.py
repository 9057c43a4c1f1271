"""Speed of the simulator core against its targets (issue 4).

    python -m benchmarks.bench_sim [--repeats 200]      (from the repository root)

1. ``simulate_gemm`` on 256x128x256, 32x32 weight-stationary, against SCALE-Sim v3 on the
   same GEMM. SCALE-Sim cannot share this process (it needs numpy<2), so its time is the
   one recorded when the golden file was generated on this machine kind
   (tests/golden/data/scalesim_v3_compute_cycles.csv, column sim_wall_s; ~1 s of it is
   interpreter start-up, so the process is timed as SCALE-Sim users run it). Target: 1000x.
2. One Llama-2-7B decode token on the BitMoD bit-serial array, analytic. Target: < 20 ms.
3. Many design points at once through the vectorized cycle + traffic model
   (``sim.mapping.compute_cycles`` and ``sim.traffic.gemm_traffic`` on arrays), as
   design points per second on one core, against the scalar ``simulate_gemm`` loop in the
   same process. Target: >= 10,000 points/s/core.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from arch import SystolicArray, load_accelerator
from arch.workloads import expand
from benchmarks._timing import best_of
from sim import compute_cycles, simulate_gemm, simulate_workload
from sim.traffic import gemm_traffic

GOLDEN = Path(__file__).resolve().parents[1] / "tests" / "golden" / "data" / "scalesim_v3_compute_cycles.csv"


def bench_gemm(repeats: int) -> None:
    array = SystolicArray(rows=32, cols=32, dataflow="ws")
    ours = best_of(repeats, lambda: simulate_gemm(256, 128, 256, array))
    golden = pd.read_csv(GOLDEN).query("tag == 'reference'").iloc[0]
    print(f"simulate_gemm 256x128x256 on 32x32 ws: {ours * 1e6:.1f} us "
          f"(compute cycles {simulate_gemm(256, 128, 256, array).compute_cycles}); "
          f"SCALE-Sim v3 {golden.sim_wall_s:.2f} s -> {golden.sim_wall_s / ours:,.0f}x faster (target 1000x)")


def bench_decode(repeats: int) -> None:
    acc = load_accelerator("bitmod_bitmod")
    workload = expand("llama-2-7b", "decode", weight_bits=3.0625, kv_bits=8)
    seconds = best_of(repeats, lambda: simulate_workload(workload, acc))
    expand_s = best_of(repeats, lambda: expand("llama-2-7b", "decode", weight_bits=3.0625, kv_bits=8))
    print(f"Llama-2-7B decode token on bitmod_bitmod, analytic: {seconds * 1e3:.2f} ms "
          f"(+ {expand_s * 1e3:.2f} ms to expand the workload; target < 20 ms)")


def _random_points(count: int, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {"rows": rng.choice([8, 16, 32, 64, 128], count), "cols": rng.choice([8, 16, 32, 64, 128], count),
            "dataflow": rng.integers(0, 3, count), "m": rng.choice([1, 16, 256], count),
            "n": rng.choice([1024, 4096, 11008], count), "k": rng.choice([1024, 4096], count),
            "wbuf": rng.choice([65536, 262144, 1048576], count), "bw": rng.choice([16.0, 32.0, 64.0], count)}


def evaluate_points(p: dict[str, np.ndarray]) -> np.ndarray:
    """Latency in cycles of one GEMM per design point: max(compute, DRAM), vectorized."""
    compute = compute_cycles(p["m"], p["n"], p["k"], p["rows"], p["cols"], p["dataflow"])
    traffic = gemm_traffic(p["m"], p["n"], p["k"], 16, 16, 16, p["rows"], p["cols"], p["dataflow"], 1,
                           p["wbuf"], p["wbuf"])
    return np.maximum(compute, np.ceil(traffic.dram_bytes / p["bw"]))


def bench_points(count: int) -> None:
    points = _random_points(count)
    seconds = best_of(5, lambda: evaluate_points(points))
    scalar_n = 2000
    names = {0: "ws", 1: "os", 2: "is"}

    def scalar_loop():
        for i in range(scalar_n):
            flow = names[int(points["dataflow"][i])]
            array = SystolicArray(int(points["rows"][i]), int(points["cols"][i]), flow)
            simulate_gemm(int(points["m"][i]), int(points["n"][i]), int(points["k"][i]), array)

    scalar = best_of(3, scalar_loop) / scalar_n
    rate = count / seconds
    print(f"vectorized GEMM-level model: {rate:,.0f} design points/s on one core "
          f"({count:,} points in {seconds * 1e3:.1f} ms); scalar simulate_gemm loop {1 / scalar:,.0f}/s "
          f"-> {rate * scalar:.0f}x (target >= 10,000/s)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--points", type=int, default=100_000)
    args = parser.parse_args(argv)
    bench_gemm(args.repeats)
    bench_decode(max(5, args.repeats // 20))
    bench_points(args.points)


if __name__ == "__main__":
    main()
