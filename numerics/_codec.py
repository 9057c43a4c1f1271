"""Vectorized encode/decode kernels behind ``FloatFormat`` and ``IntFormat``.

Encoding works on float64 magnitudes: the value is scaled by a power of two (exact in
float64 for every finite input) so that the target format's last kept bit has weight 1,
and ``_rounding.round_magnitude`` turns it into an integer significand. Decoding builds
values with ``np.ldexp`` from integer fields, which is exact.
"""

from __future__ import annotations

import numpy as np

from ._rounding import check_rounding, round_magnitude

_REAL_KINDS = "fiu"


def as_float_array(x, what: str) -> np.ndarray:
    """``x`` as a float64 array; rejects booleans, complex, strings and objects."""
    arr = np.asarray(x)
    is_ml_dtype = arr.dtype.type.__module__.startswith("ml_dtypes")
    if arr.dtype.kind not in _REAL_KINDS and not is_ml_dtype:
        raise ValueError(
            f"{what} must hold real numbers (float16/32/64 or integers), not {arr.dtype}"
        )
    with np.errstate(invalid="ignore"):  # widening NaN payloads of ml_dtypes types warns
        return arr.astype(np.float64)


def _nan_inputs(fmt, values: np.ndarray, nan: str) -> np.ndarray:
    nan_mask = np.isnan(values)
    if nan == "raise" and nan_mask.any():
        raise ValueError(
            f"input holds NaN and {fmt.name} has no NaN encoding (nan='raise'); "
            "pass nan='zero' to encode NaN as +0"
        )
    return nan_mask


# ---------------------------------------------------------------- floating point


def _round_to_grid(fmt, a, negative, rounding, rng, random_bits):
    """Integer significand n and quantum exponent q with n * 2^q = a rounded to fmt's grid.

    The exponent range is unbounded above (overflow is judged by the caller).
    """
    _, frexp_exp = np.frexp(a)
    exponent = np.maximum(frexp_exp.astype(np.int64) - 1, fmt.emin)
    q = exponent - fmt.mantissa_bits
    n = round_magnitude(np.ldexp(a, -q), negative, rounding, rng, random_bits)
    carry = n >= float(2 << fmt.mantissa_bits)
    return np.where(carry, n / 2, n), q + carry


def _magnitude_codes(fmt, n, q):
    """Magnitude code (exponent and mantissa fields) of n * 2^q, unbounded above."""
    m_bits = fmt.mantissa_bits
    normal = n >= float(1 << m_bits)
    exp_field = np.where(normal, q + m_bits + fmt.bias, 0)
    man_field = np.where(normal, n - float(1 << m_bits), n).astype(np.int64)
    return (exp_field << m_bits) | man_field


def _overflow_code(fmt, negative, rounding, saturate):
    """Magnitude code an overflowing value takes (IEEE 754 rules for directed modes)."""
    max_code, top = fmt._max_magnitude_code, (1 << (fmt.exponent_bits + fmt.mantissa_bits)) - 1
    special = (top >> fmt.mantissa_bits) << fmt.mantissa_bits if fmt.has_inf else top
    if saturate:
        return np.full(negative.shape, max_code, np.int64)
    to_max = {"rtz": True, "up": negative, "down": ~negative}.get(rounding, False)
    return np.where(to_max, max_code, special)


def _nan_code(fmt) -> int:
    if fmt.nan_encoding == "ieee":
        return ((1 << fmt.exponent_bits) - 1) << fmt.mantissa_bits | 1 << (fmt.mantissa_bits - 1)
    return (1 << (fmt.exponent_bits + fmt.mantissa_bits)) - 1


def encode_float(fmt, values, rounding, saturate, nan, rng, random_bits):
    check_rounding(rounding, rng, random_bits)
    nan_mask = _nan_inputs(fmt, values, nan)
    negative = np.signbit(values) & ~nan_mask
    a = np.abs(np.where(nan_mask, 0.0, values))
    infinite = np.isinf(a)
    below_range = negative & (a > 0) if not fmt.signed else np.zeros_like(negative)
    if not fmt.signed:  # an unsigned format clamps negatives to zero
        a, negative = np.where(negative, 0.0, a), np.zeros_like(negative)
    n, q = _round_to_grid(fmt, np.where(infinite, 0.0, a), negative, rounding, rng, random_bits)
    mag = _magnitude_codes(fmt, n, q)
    overflow = infinite | (mag > fmt._max_magnitude_code)
    mag = np.where(overflow, _overflow_code(fmt, negative, rounding, saturate), mag)
    invalid = nan_mask & (nan == "keep")
    if not fmt.has_zero:  # e8m0fnu: no zero, so zero and negatives are NaN (as ml_dtypes)
        invalid |= (a == 0) | below_range
    mag = np.where(invalid, _nan_code(fmt), mag)
    sign = (negative | (np.signbit(values) & invalid)) if fmt.signed else False
    codes = mag | (np.where(sign, 1, 0) << (fmt.bits - 1))
    return codes.astype(fmt.code_dtype)


def decode_float(fmt, codes: np.ndarray) -> np.ndarray:
    e_bits, m_bits = fmt.exponent_bits, fmt.mantissa_bits
    mag = (codes & np.uint64((1 << (e_bits + m_bits)) - 1)).astype(np.int64)
    exp_field, man_field = mag >> m_bits, mag & ((1 << m_bits) - 1)
    normal = exp_field > 0 if fmt.has_subnormals else np.ones(mag.shape, bool)
    significand = np.where(normal, man_field + (1 << m_bits), man_field).astype(np.float64)
    exponent = np.maximum(exp_field, 1 if fmt.has_subnormals else 0) - fmt.bias - m_bits
    values = np.ldexp(significand, exponent)
    if fmt.nan_encoding == "ieee":
        top = exp_field == (1 << e_bits) - 1
        values = np.where(top, np.where(man_field == 0, np.inf, np.nan), values)
    elif fmt.nan_encoding == "all_ones":
        values = np.where(mag == (1 << (e_bits + m_bits)) - 1, np.nan, values)
    if fmt.signed:
        values = np.where((codes >> np.uint64(fmt.bits - 1)) & np.uint64(1), -values, values)
    return values


# ---------------------------------------------------------------- integers


def encode_int(fmt, values, rounding, nan, rng, random_bits):
    check_rounding(rounding, rng, random_bits)
    nan_mask = _nan_inputs(fmt, values, nan)
    values = np.where(nan_mask, 0.0, values)
    negative = np.signbit(values)
    limit = float(2 ** (fmt.int_bits + 1))  # anything beyond this saturates anyway
    s = np.ldexp(np.minimum(np.abs(values), limit), fmt.frac_bits)
    n = round_magnitude(s, negative, rounding, rng, random_bits)
    signed_values = np.clip(np.where(negative, -n, n), fmt.min_code_value, fmt.max_code_value)
    codes = signed_values.astype(np.int64) & ((1 << fmt.int_bits) - 1)
    return codes.astype(fmt.code_dtype)


def decode_int(fmt, codes: np.ndarray) -> np.ndarray:
    raw = codes.astype(np.int64)
    if fmt.signed:
        raw = np.where(raw >> (fmt.int_bits - 1), raw - (1 << fmt.int_bits), raw)
    return np.ldexp(raw.astype(np.float64), -fmt.frac_bits)
