"""Dot products with a pluggable accumulator, and MX Dot / DotGeneral.

An accumulator sums exact terms (float64 arrays whose values are exact products) along
the last axis, optionally starting from ``init``::

    >>> ExactFP32().accumulate(np.array([[2.0**24, 1.0, 1.0]])).tolist()  # one rounding
    [16777218.0]
    >>> SequentialFMA32().accumulate(np.array([[2.0**24, 1.0, 1.0]])).tolist()  # ties lose each 1.0
    [16777216.0]

Float32 results come from a float64 round-to-odd step followed by one float64 -> float32
cast: with 53 >= 24 + 2 bits that double rounding equals a single correct rounding.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ._rounding import ROUNDING_MODES, round_magnitude
from ._tensor_core import TensorCoreModel


def _round_to_odd(hi: np.ndarray, lo: np.ndarray) -> np.ndarray:
    """hi + lo (hi = fl64(hi + lo)) rounded to odd in float64: a sticky bit for a later cast."""
    even = (hi.view(np.int64) & 1) == 0
    nudge = even & (lo != 0) & np.isfinite(hi)
    return np.where(nudge, np.nextafter(hi, np.where(lo > 0, np.inf, -np.inf)), hi)


def _two_sum(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def _init(terms: np.ndarray, init) -> np.ndarray:
    shape = terms.shape[:-1]
    return np.zeros(shape) if init is None else np.broadcast_to(np.asarray(init, np.float64), shape)


@dataclass(frozen=True)
class ExactFP32:
    """Exact sum of all terms and ``init``, rounded once to FP32 (round to nearest even)."""

    name: str = "exact_fp32"

    def accumulate(self, terms, init=None) -> np.ndarray:
        terms = np.asarray(terms, np.float64)
        rows = np.concatenate([terms, _init(terms, init)[..., None]], axis=-1)
        flat = rows.reshape(-1, rows.shape[-1])
        hi = np.array([math.fsum(r) for r in flat])
        lo = np.array([math.fsum(np.append(r, -h)) for r, h in zip(flat, hi, strict=True)])
        return _round_to_odd(hi, lo).astype(np.float32).reshape(terms.shape[:-1])


@dataclass(frozen=True)
class SequentialFMA32:
    """acc = fl32(acc + t_i) for i in order, each step one FP32 rounding (a fused FMA chain)."""

    name: str = "fma_fp32"

    def accumulate(self, terms, init=None) -> np.ndarray:
        terms = np.asarray(terms, np.float64)
        acc = _init(terms, init).astype(np.float32).astype(np.float64)
        for i in range(terms.shape[-1]):
            hi, lo = _two_sum(acc, terms[..., i])
            acc = _round_to_odd(hi, lo).astype(np.float32).astype(np.float64)
        return acc.astype(np.float32)


@dataclass(frozen=True)
class FixedPoint:
    """Two's complement accumulator of ``width`` bits with ``frac_bits`` fractional bits.

    Each term is first put on the 2^-frac_bits grid with ``term_rounding`` ("down" is the
    arithmetic right shift of an aligner); the running sum saturates at the register's
    range after every addition (or wraps when ``saturate`` is False). Returns float64,
    exact for width <= 53.
    """

    width: int = 32
    frac_bits: int = 16
    saturate: bool = True
    term_rounding: str = "down"

    def __post_init__(self):
        if not (isinstance(self.width, int) and 2 <= self.width <= 62):
            raise ValueError(f"width must be an integer in 2..62, not {self.width!r}")
        if self.term_rounding not in ROUNDING_MODES or self.term_rounding == "stochastic":
            raise ValueError(f"term_rounding must be rne, rna, rtz, up or down, not {self.term_rounding!r}")

    @property
    def name(self) -> str:
        return f"fixed{self.width}q{self.frac_bits}"

    def _to_grid(self, values: np.ndarray) -> np.ndarray:
        limit = 2.0 ** (self.width + 1)
        scaled = np.clip(np.ldexp(values, self.frac_bits), -limit, limit)
        n = round_magnitude(np.abs(scaled), np.signbit(scaled), self.term_rounding)
        return np.where(scaled < 0, -n, n).astype(np.int64)

    def _fit(self, acc: np.ndarray) -> np.ndarray:
        lo, hi = -(1 << (self.width - 1)), (1 << (self.width - 1)) - 1
        if self.saturate:
            return np.clip(acc, lo, hi)
        return ((acc - lo) & ((1 << self.width) - 1)) + lo

    def accumulate(self, terms, init=None) -> np.ndarray:
        terms = np.asarray(terms, np.float64)
        acc = self._fit(self._to_grid(_init(terms, init)))
        for i in range(terms.shape[-1]):
            acc = self._fit(acc + self._to_grid(terms[..., i]))
        return np.ldexp(acc.astype(np.float64), -self.frac_bits)


def dot(a, b, accumulator=None, c=None) -> np.ndarray:
    """sum_i a_i * b_i (+ c) along the last axis with ``accumulator`` (default ExactFP32).

    a, b hold values of formats with at most 26 significant bits (fp16, bf16 and every
    narrower format), so their float64 products are exact. A ``TensorCoreModel`` (see
    ``tensor_core_model``) sees a and b themselves, since it aligns each product at the
    sum of its operands' exponents.
    """
    if isinstance(accumulator, TensorCoreModel):
        return _tensor_core(accumulator, a, b, c)
    products = np.asarray(a, np.float64) * np.asarray(b, np.float64)
    return (accumulator or ExactFP32()).accumulate(products, c)


def _tensor_core(model: TensorCoreModel, a, b, c) -> np.ndarray:
    """``model.dot`` with k padded by zero products up to a whole FMA group (idle lanes:
    a zero product has no exponent, so it moves neither the alignment nor the sum)."""
    shape = np.broadcast_shapes(np.shape(a)[:-1], np.shape(b)[:-1])
    c = np.zeros(shape, np.float32) if c is None else np.broadcast_to(np.float32(c), shape)
    pad = -np.shape(a)[-1] % model.fma_group_size
    if pad:
        widths = [(0, 0)] * (np.ndim(a) - 1) + [(0, pad)]
        a, b = np.pad(a, widths), np.pad(b, [(0, 0)] * (np.ndim(b) - 1) + [(0, pad)])
    return model.dot(a, b, c)


def _block_values(q):
    if q.scheme.family not in ("mx", "nv"):
        raise ValueError(f"block dot products need an MX or NV scheme, not {q.scheme.name}")
    if q.axis != q.codes.ndim - 1:
        raise ValueError("block dot products need tensors blocked along their last axis")
    codes = q.codes.reshape(q.codes.shape[:-1] + (-1, q.block_size))
    scale = q.scheme.scale.decode(q.scales) * q.tensor_scale
    return q.scheme.element.decode(codes), scale


def mx_dot_general(qa, qb, accumulator=None, block_accumulator=None, c=None) -> np.ndarray:
    """OCP MX DotGeneral: sum over blocks j of X_A,j * X_B,j * sum_i P_A,ji * P_B,ji.

    A ``TensorCoreModel`` (in_format = the element format) can be the block accumulator.
    Without ``block_accumulator`` every scaled product X_A X_B P_A P_B (exact in float64)
    goes to ``accumulator`` (default ExactFP32: the exact result rounded once). With it,
    each block's element products are summed by ``block_accumulator``, scaled, and the
    block results summed by ``accumulator``, as a two-level hardware datapath does.
    """
    pa, xa = _block_values(qa)
    pb, xb = _block_values(qb)
    if pa.shape != pb.shape:
        raise ValueError(f"operands must have the same blocked shape, not {pa.shape} and {pb.shape}")
    accumulator = accumulator or ExactFP32()
    scale = (xa * xb)[..., None]
    if block_accumulator is None:
        terms = (pa * pb * scale).reshape(pa.shape[:-2] + (-1,))
        return accumulator.accumulate(terms, c)
    if isinstance(block_accumulator, TensorCoreModel):
        block_sums = _tensor_core(block_accumulator, pa, pb, None)
    else:
        block_sums = block_accumulator.accumulate(pa * pb)
    block_sums = block_sums.astype(np.float64) * scale[..., 0]
    return accumulator.accumulate(block_sums, c)
