"""Check the closed-form SCALE-Sim v3 compute-cycle formula against the golden CSV.

Run::

    python tests/golden/scalesim/formula_check.py [--csv tests/golden/data/scalesim_v3_compute_cycles.csv]

Our GEMM is ``out[M, N] = A[M, K] @ B[K, N]`` (A activations, B weights) on an array with
R rows and C cols. SCALE-Sim v3 (``Total Cycles`` of COMPUTE_REPORT.csv, no stalls) gives::

    ws:  ceil(K / R) * ceil(N / C) * (2*R + C + M - 2) - 1    (weights K x N on the array)
    os:  ceil(M / R) * ceil(N / C) * (R + C + K - 2) - 1      (outputs M x N on the array)
    is:  ceil(K / R) * ceil(M / C) * (2*R + C + N - 2) - 1    (activations K x M on the array)

Per fold (SCALE-Sim's OFMAP demand trace, one line per cycle):

* ws / is: R cycles to load the stationary tile, R - 1 cycles of skew down the rows,
  T streaming cycles (T = M for ws, T = N for is) and C - 1 cycles of skew across the
  columns: 2R + C + T - 2.
* os: K - 1 cycles until the first outputs are complete, R cycles to shift the R output
  rows out of the array and C - 1 cycles of skew across the columns: R + C + K - 2.

Folds (row folds x col folds of the stationary operand over the array) run back to back with
no overlap, and SCALE-Sim reports the index of the last cycle (it counts from cycle 0),
hence the final ``- 1``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

DEFAULT_CSV = Path(__file__).resolve().parents[1] / "data" / "scalesim_v3_compute_cycles.csv"


def _ceil_div(a, b):
    return -(-a // b)


def scalesim_compute_cycles(m, n, k, rows, cols, dataflow):
    """Closed-form SCALE-Sim v3 compute cycles; works on ints or integer numpy arrays."""
    m, n, k, r, c = (np.asarray(x, dtype=np.int64) for x in (m, n, k, rows, cols))
    dataflow = np.asarray(dataflow)
    ws = _ceil_div(k, r) * _ceil_div(n, c) * (2 * r + c + m - 2) - 1
    os_ = _ceil_div(m, r) * _ceil_div(n, c) * (r + c + k - 2) - 1
    is_ = _ceil_div(k, r) * _ceil_div(m, c) * (2 * r + c + n - 2) - 1
    out = np.where(dataflow == "ws", ws, np.where(dataflow == "os", os_, is_))
    bad = ~np.isin(dataflow, ["ws", "os", "is"])
    if np.any(bad):
        raise ValueError(f"unknown dataflow(s): {np.unique(dataflow[bad])}")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="check the SCALE-Sim v3 closed form")
    ap.add_argument("--csv", type=Path, default=DEFAULT_CSV)
    args = ap.parse_args(argv)

    df = pd.read_csv(args.csv)
    pred = scalesim_compute_cycles(
        df["m"].to_numpy(), df["n"].to_numpy(), df["k"].to_numpy(),
        df["rows"].to_numpy(), df["cols"].to_numpy(), df["dataflow"].to_numpy(),
    )
    got = df["compute_cycles"].to_numpy(dtype=np.int64)
    ok = pred == got
    for dataflow, grp in df.assign(ok=ok).groupby("dataflow"):
        print(f"{dataflow}: {int(grp['ok'].sum())}/{len(grp)} rows match")
    print(f"total: {int(ok.sum())}/{len(df)} rows match")
    if not ok.all():
        bad = df.assign(predicted=pred)[~ok]
        print(bad[["m", "n", "k", "rows", "cols", "dataflow", "compute_cycles", "predicted"]])
    assert ok.all(), "closed form does not reproduce every SCALE-Sim row"
    assert (df["stall_cycles"] == 0).all(), "golden rows must be stall-free"
    return 0


if __name__ == "__main__":
    sys.exit(main())
