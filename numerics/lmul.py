"""L-Mul: linear-complexity multiplication ("Addition is All You Need", Luo & Sun 2024).

    L-Mul(x, y) = (1 + x_m + y_m + 2^-l(m)) * 2^(x_e + y_e),  sign = x_s xor y_s

with l(m) = m for m <= 3, 3 for m = 4 and 4 for m > 4 (m = stored mantissa bits). The
paper's equation keeps 1 + x_m + y_m + 2^-l(m) as it is, even when it reaches 2 or more;
the integer-add form (what an adder on the bit patterns computes) lets a mantissa carry
run into the exponent, so the two differ exactly when x_m + y_m + 2^-l(m) >= 1.

Zeros and subnormal inputs give zero (no subnormal path, as in the paper's hardware).
"""

from __future__ import annotations

import numpy as np

from .formats import FloatFormat, get_format

FORMS = ("equation", "integer")


def offset_exponent(mantissa_bits: int) -> int:
    """l(m) of the paper."""
    return mantissa_bits if mantissa_bits <= 3 else (3 if mantissa_bits == 4 else 4)


def _fields(fmt: FloatFormat, codes: np.ndarray):
    m_bits = fmt.mantissa_bits
    mag = codes.astype(np.int64) & ((1 << (fmt.exponent_bits + m_bits)) - 1)
    sign = (codes.astype(np.int64) >> (fmt.bits - 1)) & 1
    return sign, mag >> m_bits, mag & ((1 << m_bits) - 1), mag


def lmul(x_codes, y_codes, fmt="bf16", form: str = "equation") -> np.ndarray:
    """L-Mul of two code arrays of a signed float format; returns exact float64 values.

    form="equation": the paper's formula, unrounded. form="integer": the bit patterns
    (exponent and mantissa fields) are added as integers with the bias subtracted and
    2^(m - l(m)) added; the result is a code of ``fmt`` (saturating at its max, flushing
    to zero below its smallest normal), returned decoded.
    """
    fmt = get_format(fmt)
    if not isinstance(fmt, FloatFormat) or not fmt.signed:
        raise ValueError(f"lmul needs a signed floating-point format, not {fmt.name}")
    if form not in FORMS:
        raise ValueError(f"form must be one of {', '.join(FORMS)}, not {form!r}")
    sx, ex, mx, _ = _fields(fmt, np.asarray(x_codes))
    sy, ey, my, _ = _fields(fmt, np.asarray(y_codes))
    zero = (ex == 0) | (ey == 0)
    sign = np.where(sx ^ sy, -1.0, 1.0)
    m, l_m = fmt.mantissa_bits, offset_exponent(fmt.mantissa_bits)
    if form == "equation":
        frac = 1.0 + np.ldexp((mx + my).astype(np.float64), -m) + 2.0**-l_m
        value = np.ldexp(frac, ex + ey - 2 * fmt.bias)
        return np.where(zero, 0.0, sign * value)
    total = (ex << m) + mx + (ey << m) + my - (fmt.bias << m) + (1 << (m - l_m))
    total = np.minimum(total, fmt._max_magnitude_code)
    underflow = zero | (total < (1 << m))
    value = fmt.decode(np.where(underflow, 0, total).astype(fmt.code_dtype))
    return sign * value
