"""Quantizer throughput on one thread, as ratios against ml_dtypes' plain cast.

Target (issue 2): MXFP4 quantize of float32 input >= 100 M elements/s and >= 2x the
float32 -> float4_e2m1fn cast of ml_dtypes measured in the same run.

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--elements", type=int, default=1 << 24)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    x = np.random.default_rng(0).standard_normal(args.elements).astype(np.float32).reshape(-1, 1024)
    n = x.size
    cast = best_of(args.repeats, lambda: x.astype(ml_dtypes.float4_e2m1fn))
    copy = best_of(args.repeats, lambda: x.copy())
    print(f"{'what':<34}{'M elem/s':>10}{'x ml_dtypes fp4 cast':>22}")
    print(f"{'float32 copy (memory bound)':<34}{n / copy / 1e6:>10.1f}{cast / copy:>22.2f}")
    print(f"{'ml_dtypes float32->fp4_e2m1fn':<34}{n / cast / 1e6:>10.1f}{1.0:>22.2f}")
    for scheme, opts in [("mxfp4", {}), ("mxfp8_e4m3", {}), ("mxint8", {}),
                         ("mxfp4", {"kernel": "numpy"}), ("nvfp4", {})]:
        t = best_of(args.repeats, lambda s=scheme, o=opts: numerics.quantize(x, s, **o))
        label = scheme + (" (numpy reference)" if opts else "")
        print(f"{label:<34}{n / t / 1e6:>10.1f}{cast / t:>22.2f}")


if __name__ == "__main__":
    main()
