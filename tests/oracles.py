"""Independent oracles for the tests: ml_dtypes casts and exact rational arithmetic.

Nothing here imports numerics' codec; the tests compare numerics against these.
"""

from __future__ import annotations

import math
from fractions import Fraction

import ml_dtypes
import numpy as np

ML_DTYPES = {
    "fp4_e2m1fn": ml_dtypes.float4_e2m1fn,
    "fp6_e2m3fn": ml_dtypes.float6_e2m3fn,
    "fp6_e3m2fn": ml_dtypes.float6_e3m2fn,
    "fp8_e4m3fn": ml_dtypes.float8_e4m3fn,
    "fp8_e5m2": ml_dtypes.float8_e5m2,
    "e8m0fnu": ml_dtypes.float8_e8m0fnu,
    "fp16": np.float16,
    "bf16": ml_dtypes.bfloat16,
}


def ml_decode(name: str, codes: np.ndarray) -> np.ndarray:
    """Decode codes with ml_dtypes (ue4m3: |e4m3fn| with the sign bit ignored)."""
    if name == "ue4m3":
        return np.abs(ml_decode("fp8_e4m3fn", codes & 0x7F))
    dtype = ML_DTYPES[name]
    storage = np.uint16 if np.dtype(dtype).itemsize == 2 else np.uint8
    with np.errstate(invalid="ignore"):  # NaN payloads warn when widened
        return codes.astype(storage).view(dtype).astype(np.float64)


def ml_encode(name: str, x32: np.ndarray) -> np.ndarray:
    dtype = ML_DTYPES[name]
    storage = np.uint16 if np.dtype(dtype).itemsize == 2 else np.uint8
    with np.errstate(invalid="ignore", over="ignore"):
        return x32.astype(dtype).view(storage).astype(np.int64)


def int_decode(bits: int, signed: bool, codes: np.ndarray) -> np.ndarray:
    codes = codes.astype(np.int64)
    return (codes - ((codes >> (bits - 1)) << bits) if signed else codes).astype(np.float64)


def round_fraction(value: Fraction, mantissa_bits: int, emin: int, mode: str = "rne") -> Fraction:
    """Exact rounding of a rational to a binary float grid (unbounded exponent above)."""
    if value == 0:
        return Fraction(0)
    a = abs(value)
    e = a.numerator.bit_length() - a.denominator.bit_length()
    if Fraction(2) ** e > a:
        e -= 1
    q = max(e, emin) - mantissa_bits
    n = a / Fraction(2) ** q
    floor = math.floor(n)
    frac = n - floor
    if mode == "rne":
        floor += frac > Fraction(1, 2) or (frac == Fraction(1, 2) and floor % 2 == 1)
    elif mode == "rtz":
        pass
    else:
        raise ValueError(mode)
    return (1 if value > 0 else -1) * floor * Fraction(2) ** q


def to_fp32(value: Fraction) -> np.float32:
    r = round_fraction(value, 23, -126)
    if abs(r) > Fraction(np.finfo(np.float32).max.item()):
        return np.float32(math.copysign(math.inf, r))
    return np.float32(float(r))
