"""Quantizer throughput on one thread, as ratios against a float32 copy in the same run.

Targets: issue 2, MXFP4 quantize of float32 input >= 100 M elements/s and >= 2x the
float32 -> float4_e2m1fn cast of ml_dtypes; issue 14 (item 5), NVFP4 and NVINT4 at least
25x faster than their numpy reference path (4.7 M/s when the issue was filed) and within
1.5x of MXFP4, and MXFP4 at >= 30% of the float32 copy. The numba kernels are compiled
without ``parallel``, so every row runs on one thread.

    python -m benchmarks.bench_quantize [--elements 16777216] [--repeats 5]
"""

from __future__ import annotations

import argparse
import os

os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import ml_dtypes  # noqa: E402
import numpy as np  # noqa: E402

import numerics  # noqa: E402
from benchmarks._timing import best_of  # noqa: E402

ROWS = [
    ("mxfp4", {}), ("mxfp8_e4m3", {}), ("mxint8", {}),
    ("nvfp4", {}), ("nvfp4", {"recipe": "te"}), ("nvfp4", {"tensor_scale": "auto"}),
    ("nvint4", {}),
    ("mxfp4", {"kernel": "numpy"}), ("nvfp4", {"kernel": "numpy"}), ("nvint4", {"kernel": "numpy"}),
]


def _label(scheme: str, opts: dict) -> str:
    return scheme + "".join(f" {k}={v}" for k, v in opts.items())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--elements", type=int, default=1 << 24)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    x = np.random.default_rng(0).standard_normal(args.elements).astype(np.float32).reshape(-1, 1024)
    n = x.size
    copy = best_of(args.repeats, lambda: x.copy())
    cast = best_of(args.repeats, lambda: x.astype(ml_dtypes.float4_e2m1fn))
    print(f"{'what':<38}{'M elem/s':>10}{'x float32 copy':>16}{'x ml_dtypes fp4 cast':>22}")
    print(f"{'float32 copy (memory bound)':<38}{n / copy / 1e6:>10.1f}{1.0:>16.3f}{cast / copy:>22.2f}")
    print(f"{'ml_dtypes float32->fp4_e2m1fn':<38}{n / cast / 1e6:>10.1f}{copy / cast:>16.3f}{1.0:>22.2f}")
    for scheme, opts in ROWS:
        reps = 1 if opts.get("kernel") == "numpy" else args.repeats  # the references take seconds
        t = best_of(reps, lambda s=scheme, o=opts: numerics.quantize(x, s, **o))
        print(f"{_label(scheme, opts):<38}{n / t / 1e6:>10.1f}{copy / t:>16.3f}{cast / t:>22.2f}")


if __name__ == "__main__":
    main()
