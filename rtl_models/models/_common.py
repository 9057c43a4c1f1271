"""Helpers shared by the unit models: format facts, FP32 bit patterns, stimulus pieces."""

from __future__ import annotations

import numpy as np

from numerics import get_format
from numerics.formats import FloatFormat

CANONICAL_NAN = 0x7FC00000


def frac_bits(fmt) -> int:
    """Fraction bits of the format's fixed-point grid (its smallest positive step)."""
    if isinstance(fmt, FloatFormat):
        return fmt.bias - 1 + fmt.mantissa_bits
    return fmt.frac_bits


def fp32_bits(values) -> np.ndarray:
    """float32 bit patterns (uint32) of ``values``, every NaN as 0x7fc00000 (the RTL's)."""
    v = np.asarray(values, np.float32)
    bits = v.view(np.uint32).astype(np.uint64)
    return np.where(np.isnan(v), CANONICAL_NAN, bits)


def fp_fields(name: str):
    """(format, width, exponent bits, mantissa bits, nan encoding code) for the RTL."""
    fmt = get_format(name)
    nan_enc = {"none": 0, "all_ones": 1, "ieee": 2}[fmt.nan_encoding]
    return fmt, fmt.bits, fmt.exponent_bits, fmt.mantissa_bits, nan_enc


def finite_codes(fmt, n: int, rng: np.random.Generator) -> np.ndarray:
    """Uniform random codes of ``fmt`` excluding NaN and infinity."""
    codes = rng.integers(0, 1 << fmt.bits, size=n, dtype=np.uint64)
    bad = ~np.isfinite(fmt.decode(codes))
    while bad.any():
        codes[bad] = rng.integers(0, 1 << fmt.bits, size=int(bad.sum()), dtype=np.uint64)
        bad = ~np.isfinite(fmt.decode(codes))
    return codes


def signed_ints(values: np.ndarray, width: int) -> np.ndarray:
    """Exact integer float64 values as Python ints in ``width``-bit two's complement."""
    mask = (1 << width) - 1
    return np.array([int(v) & mask for v in values.tolist()], dtype=object)


def every_pair(bits_a: int, bits_b: int) -> tuple[np.ndarray, np.ndarray]:
    """Every (a, b) code pair once, a varying fastest: the exhaustive input of a 2-input lane."""
    idx = np.arange(1 << (bits_a + bits_b), dtype=np.int64)
    return idx & ((1 << bits_a) - 1), idx >> bits_a
