"""Bytes moved per memory level for one GEMM on an accelerator (analytic, vectorizable).

Off-chip (DRAM/HBM): each operand is read once when either fits in its buffer. When
neither fits, one of them is re-read and the cheaper loop order wins (as a scheduler, and
BitMoD's simulator, would pick it):

* stream B once through the weight buffer and re-read A once per weight-buffer-full of B
  (``ceil(B_bytes / weight_buffer_bytes)`` passes over A), or
* stream A once through the input buffer and re-read B ``ceil(A_bytes / input_buffer_bytes)``
  times; a tie keeps B streamed once.

The output is written once (partial sums stay on chip). An operand that stays on chip
between ops (FlashAttention's Q tiles, scores and probabilities) reaches DRAM only for the
fraction ``a_dram_fraction`` of A's reads and ``out_dram_fraction`` of the output's writes
(both 1 for a plain GEMM); the buffer fills scale the same way.

On-chip, the array reads operands from the buffers as its dataflow dictates: the
stationary operand once, the operand that shares the row dimension once per column fold,
and the one that shares the column dimension once per row fold (SCALE-Sim's SRAM access
counts). Outputs of a dataflow that splits K over row folds are written once per row
fold (partial sums) and read back ``row_folds - 1`` times. Buffers are filled from DRAM
(writes = DRAM read bytes of that operand).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .mapping import DATAFLOW_CODES, ceil_div, fold_counts

__all__ = ["Traffic", "gemm_traffic"]


@dataclass(frozen=True)
class Traffic:
    """Bits per operand per level for one GEMM (float: sweeps pass arrays)."""

    dram_read_bits: float
    dram_write_bits: float
    weight_sram_read_bits: float
    weight_sram_write_bits: float
    input_sram_read_bits: float
    input_sram_write_bits: float
    output_sram_read_bits: float
    output_sram_write_bits: float

    @property
    def dram_bytes(self) -> float:
        return (self.dram_read_bits + self.dram_write_bits) / 8


def _on_chip_reads(code, a_bits, b_bits, c_bits, row_folds, col_folds):
    """SRAM reads of A and B and writes of the output by the array, per dataflow."""
    # ws: B stationary; A shares rows (K) -> per col fold; C shares cols (N) -> per row fold.
    # is: A stationary; B shares rows (K) -> per col fold; C shares cols (M) -> per row fold.
    # os: C stationary; A shares rows (M) -> per col fold; B shares cols (N) -> per row fold.
    # dot: C stationary; B shares rows (N) -> per col fold; A shares cols (M) -> per row fold.
    ws, is_, dot = (code == DATAFLOW_CODES[d] for d in ("ws", "is", "dot"))
    a_reads = np.where(is_, a_bits, np.where(dot, a_bits * row_folds, a_bits * col_folds))
    b_reads = np.where(ws, b_bits, np.where(is_ | dot, b_bits * col_folds, b_bits * row_folds))
    c_writes = np.where(ws | is_, c_bits * row_folds, c_bits)
    return a_reads, b_reads, c_writes


def _dram_passes(a_bits, b_bits, weight_buffer_bytes, input_buffer_bytes):
    """(passes over A, passes over B) from DRAM: the cheaper of the two loop orders."""
    a_fits, b_fits = a_bits <= 8 * input_buffer_bytes, b_bits <= 8 * weight_buffer_bytes
    reread_a = ceil_div(np.ceil(b_bits / 8), weight_buffer_bytes)
    reread_b = ceil_div(np.ceil(a_bits / 8), input_buffer_bytes)
    neither = ~(a_fits | b_fits)
    keep_b = a_bits * reread_a + b_bits <= a_bits + b_bits * reread_b
    a_passes = np.where(neither & keep_b, reread_a, 1)
    b_passes = np.where(neither & ~keep_b, reread_b, 1)
    return a_passes, b_passes


def gemm_traffic(m, n, k, a_bits, b_bits, out_bits, rows, cols, dataflow, dot_width,
                 weight_buffer_bytes, input_buffer_bytes, a_dram_fraction=1.0,
                 out_dram_fraction=1.0) -> Traffic:
    """:class:`Traffic` of one ``out[m, n] = A[m, k] @ B[k, n]`` (per-element bit widths)."""
    code = DATAFLOW_CODES[dataflow] if isinstance(dataflow, str) else np.asarray(dataflow)
    a_total, b_total, c_total = m * k * a_bits, k * n * b_bits, m * n * out_bits
    a_passes, b_passes = _dram_passes(a_total, b_total, weight_buffer_bytes, input_buffer_bytes)
    row_folds, col_folds = fold_counts(m, n, k, rows, cols, code, dot_width)
    a_reads, b_reads, c_writes = _on_chip_reads(code, a_total, b_total, c_total, row_folds, col_folds)
    a_dram = a_total * a_passes * a_dram_fraction
    return Traffic(
        dram_read_bits=a_dram + b_total * b_passes,
        dram_write_bits=c_total * out_dram_fraction,
        weight_sram_read_bits=b_reads,
        weight_sram_write_bits=b_total * b_passes,
        input_sram_read_bits=a_reads,
        input_sram_write_bits=a_dram,
        output_sram_read_bits=c_writes - c_total,
        output_sram_write_bits=c_writes,
    )
