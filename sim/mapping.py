"""Mapping a GEMM ``out[M, N] = A[M, K] @ B[K, N]`` onto a PE array: folds and cycles.

One parameterized model serves every array family. A dataflow puts two GEMM dimensions on
the array (rows, cols) and streams the third over time, as SCALE-Sim does:

=========  ==========  ==========  ==========  =================================
dataflow   rows hold   cols hold   streamed    stationary in the PEs
=========  ==========  ==========  ==========  =================================
ws         K           N           M           weights B (preloaded: R cycles)
is         K           M           N           inputs A (preloaded: R cycles)
os         M           N           K           outputs (shifted out: R cycles)
dot        N           M           K           outputs of dot-product units
=========  ==========  ==========  ==========  =================================

Per fold a systolic array spends ``R`` cycles on the stationary tile (a preload for
ws/is, the shift-out for os), ``R - 1 + C - 1`` cycles of skew, and ``T`` streaming
steps. Folds run back to back; SCALE-Sim v3 reports the index of the last cycle, so
its "Total Cycles" is one less than the count::

    ws: ceil(K/R) ceil(N/C) (2R + C + M - 2) - 1
    os: ceil(M/R) ceil(N/C) (R + C + K - 2) - 1
    is: ceil(K/R) ceil(M/C) (2R + C + N - 2) - 1

and :func:`compute_cycles` returns exactly that for plain arrays (tests hold it to 213
SCALE-Sim runs). Two extensions keep the same shape: ``dot_width`` pairs per PE per step
shrink K to ``ceil(K / dot_width)`` (BitMoD's dot-product PEs, MX dot units), and
``cycles_per_step`` stretches each streamed step (a bit-serial weight taking
``ceil(bits / bits_per_cycle)`` cycles). The ``dot`` dataflow is a grid of dot-product
units fed by broadcast (no skew), rows over output features and columns over tokens as
BitMoD's PE array: ``ceil(N/R) ceil(M/C) ceil(K/w) * cycles_per_step`` plus a pipeline
depth once.

Every function takes Python ints or broadcastable integer numpy arrays (one design point
or a whole sweep at once) and returns the same kind.
"""

from __future__ import annotations

import numpy as np

__all__ = ["DATAFLOW_CODES", "ceil_div", "compute_cycles", "fold_counts", "spatial_dims"]

DATAFLOW_CODES: dict[str, int] = {"ws": 0, "os": 1, "is": 2, "dot": 3}


def ceil_div(a, b):
    """Ceiling division for ints or integer arrays."""
    return -(-a // b)


def _code(dataflow):
    if isinstance(dataflow, str):
        return DATAFLOW_CODES[dataflow]
    return np.asarray(dataflow)


def spatial_dims(m, n, k, dataflow):
    """(dimension on rows, dimension on cols, streamed dimension) for each dataflow."""
    code = _code(dataflow)
    on_rows = np.where((code == 0) | (code == 2), k, np.where(code == 3, n, m))
    on_cols = np.where((code == 2) | (code == 3), m, n)
    streamed = np.where(code == 0, m, np.where(code == 2, n, k))
    return on_rows, on_cols, streamed


def fold_counts(m, n, k, rows, cols, dataflow, dot_width=1):
    """(row folds, column folds) of the GEMM over the array, K counted in dot-width steps."""
    k_steps = ceil_div(k, dot_width)
    on_rows, on_cols, _ = spatial_dims(m, n, k_steps, dataflow)
    return ceil_div(on_rows, rows), ceil_div(on_cols, cols)


def compute_cycles(m, n, k, rows, cols, dataflow, dot_width=1, cycles_per_step=1, pipeline_depth=1,
                   overhead_per_fold=0):
    """Compute cycles (SCALE-Sim's convention for systolic dataflows; see module docstring).

    ``overhead_per_fold`` adds cycles to every fold that the streamed steps do not hide
    (e.g. a bit-serial PE's per-group dequantization).
    """
    code = _code(dataflow)
    k_steps = ceil_div(k, dot_width)
    _, _, streamed = spatial_dims(m, n, k_steps, code)
    row_folds, col_folds = fold_counts(m, n, k, rows, cols, code, dot_width)
    folds = row_folds * col_folds
    stationary = np.where(code == 1, 0, rows)  # preload (ws/is); os's shift-out is the R below
    per_fold = streamed * cycles_per_step + overhead_per_fold
    systolic = folds * (stationary + rows + cols - 2 + per_fold) - 1
    broadcast = folds * per_fold + pipeline_depth - 1
    result = np.where(code == 3, broadcast, systolic)
    return int(result) if np.ndim(result) == 0 else result
