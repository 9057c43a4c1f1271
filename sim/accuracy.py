"""The accuracy cost of a design point: what its number formats and accumulator do to a GEMM.

    >>> from arch import MXTensorCore
    >>> core = MXTensorCore(rows=8, cols=8, accumulator="tensor_core_b200")
    >>> result = gemm_accuracy(core, "mxfp8_e4m3", k=256, rows=8)
    >>> 25 < result.qsnr_db < 40 and result.accumulation_qsnr_db > 100
    True

The MX tensor core's ``accumulator`` names a numerics model: ``exact_fp32`` (exact sum,
one rounding), ``fma_fp32`` (a chain of FP32 FMAs) or a tensor-core preset that
reproduces real H100/B200 outputs bit for bit (``numerics.tensor_core_model``). A preset
sums each block's element products as that GPU's fp8 (or, for INT8 elements, fp16) path
does; the block sums are scaled and added in FP32. FP6/FP4 elements are exact in fp8
e4m3, so they run through its preset (an assumption: the GPU data holds fp8 inputs only).

:func:`design_qsnr_db` is the accuracy column of a sweep, one rule per family: an MX tensor
core runs both operands in the weight's block scheme through its own accumulator
(:func:`gemm_accuracy`); a LUT accelerator's weights are vector-quantized with its unit's
vector length and weight centroids, one codebook per vector position shared by
``codebook_outputs`` output rows (``numerics.vq_qsnr`` on a ``codebook_outputs x cols``
matrix; the spec's ``rows`` does not apply); every other design stores its
weights in the workload's weight format (:func:`weight_qsnr_db`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from arch import Accelerator
from arch.units import LutAccelerator, MXTensorCore
from numerics import (
    SCHEMES,
    ExactFP32,
    SequentialFMA32,
    get_format,
    get_scheme,
    mx_dot_general,
    qsnr_db,
    quantize,
    scheme_error,
    tensor_core_model,
    test_tensor,
    vq_qsnr,
)
from numerics.formats import IntFormat

__all__ = ["GemmAccuracy", "accumulator_models", "design_qsnr_db", "gemm_accuracy", "weight_qsnr_db"]

_PRESET_INPUT = {"fp8_e4m3fn": "fp8_e4m3fn", "fp8_e5m2": "fp8_e5m2", "fp6_e2m3fn": "fp8_e4m3fn",
                 "fp6_e3m2fn": "fp8_e4m3fn", "fp4_e2m1fn": "fp8_e4m3fn"}


@dataclass(frozen=True)
class GemmAccuracy:
    """QSNR of a quantized GEMM against float64 on the unquantized data (``qsnr_db``) and
    against the exact sum of the quantized values (``accumulation_qsnr_db``: the
    accumulator's share of the error alone)."""

    scheme: str
    accumulator: str
    qsnr_db: float
    accumulation_qsnr_db: float


def accumulator_models(name: str, scheme: str):
    """(accumulator, block_accumulator) for ``numerics.mx_dot_general``."""
    if name == "exact_fp32":
        return ExactFP32(), None
    if name == "fma_fp32":
        return SequentialFMA32(), None
    element = get_scheme(scheme).element.name
    device = name.removeprefix("tensor_core_")
    return ExactFP32(), tensor_core_model(device, _PRESET_INPUT.get(element, "fp16"))


def gemm_accuracy(unit: MXTensorCore, scheme: str, k: int = 1024, rows: int = 32,
                  distribution: str = "gaussian", seed: int = 0) -> GemmAccuracy:
    """Quantize seeded ``rows x k`` activations and weights to ``scheme`` and multiply them
    row by row on ``unit``'s accumulator."""
    a = test_tensor(distribution, (rows, k), seed).astype(np.float32)
    b = test_tensor(distribution, (rows, k), seed + 1).astype(np.float32)
    qa, qb = quantize(a, scheme), quantize(b, scheme)
    accumulator, block_accumulator = accumulator_models(unit.accumulator, scheme)
    got = mx_dot_general(qa, qb, accumulator, block_accumulator).astype(np.float64)
    exact_quantized = np.sum(qa.dequantize() * qb.dequantize(), axis=-1)
    reference = np.sum(a.astype(np.float64) * b, axis=-1)
    return GemmAccuracy(scheme, unit.accumulator, qsnr_db(reference, got), qsnr_db(exact_quantized, got))


@lru_cache(maxsize=256)
def weight_qsnr_db(fmt: str, distribution: str = "gaussian", rows: int = 64, cols: int = 1024,
                   seed: int = 0) -> float:
    """QSNR (dB) of weights stored in ``fmt`` on a seeded ``rows x cols`` test tensor: a block
    scheme with its own scales, an integer element format with one per-tensor scale (max
    to the largest code), a float element format as it is (a plain cast)."""
    x = test_tensor(distribution, (rows, cols), seed)
    if fmt in SCHEMES:
        return float(scheme_error(x, fmt).qsnr_db)
    element = get_format(fmt)
    scale = element.max_value / float(np.max(np.abs(x))) if isinstance(element, IntFormat) else 1.0
    return float(qsnr_db(x, element.quantize(x * scale) / scale))


@lru_cache(maxsize=256)
def _mx_qsnr_db(accumulator: str, scheme: str, distribution: str, rows: int, cols: int, seed: int) -> float:
    unit = MXTensorCore(rows=1, cols=1, accumulator=accumulator)  # only the accumulator matters here
    return float(gemm_accuracy(unit, scheme, k=cols, rows=rows, distribution=distribution, seed=seed).qsnr_db)


@lru_cache(maxsize=64)
def _vq_weight_qsnr_db(vector_len: int, centroids: int, outputs: int, distribution: str, cols: int,
                       seed: int) -> float:
    return float(vq_qsnr(distribution, vector_len, centroids, (outputs, cols), block_rows=outputs, seed=seed))


def design_qsnr_db(design, weight_format: str, distribution: str = "gaussian", rows: int = 64,
                   cols: int = 1024, seed: int = 0) -> float:
    """The accuracy cost (QSNR, dB) of running weights in ``weight_format`` on ``design``
    (the module docstring gives the rule of each family)."""
    if isinstance(design, Accelerator) and isinstance(design.unit, MXTensorCore) \
            and weight_format in SCHEMES:  # block-scaled GEMMs; FP16/BF16 runs as elsewhere
        return _mx_qsnr_db(design.unit.accumulator, weight_format, distribution, rows, cols, seed)
    if isinstance(design, LutAccelerator):
        u = design.unit
        return _vq_weight_qsnr_db(u.act_vector_len, u.weight_centroids, u.codebook_outputs, distribution,
                                  cols, seed)
    return weight_qsnr_db(weight_format, distribution, rows, cols, seed)
