"""Shared-scale rules for block formats (numpy reference implementations).

All functions take block maxima ``amax`` (float64, >= 0, finite) and return integer
exponents or float scales per block. MX rules return the unclamped shared exponent; the
caller clamps it to the E8M0 range.
"""

from __future__ import annotations

import numpy as np

from ._rounding import round_magnitude

MX_SCALE_RULES = ("ceil", "even", "floor", "rceil")


def floor_log2(a: np.ndarray) -> np.ndarray:
    """floor(log2(a)) for a > 0, exact (read from the binary exponent); 0 maps to 0."""
    _, exp = np.frexp(a)
    return exp.astype(np.int64) - 1


def mx_shared_exponent(amax, rule: str, elem_emax: int, elem_max: float, elem_mbits: int):
    """Unclamped MX shared exponent per block (OCP MX v1.0 section 6.3 and variants).

    floor: floor(log2(amax)) - emax_elem (the spec; values beyond the element max clamp).
    ceil:  ceil(log2(amax)) - emax_elem (never clamps; small values may flush).
    even:  floor(log2(amax rounded to the element's mantissa width, ties away)) - emax_elem,
           as torchao's EVEN mode rounds the float32 bits of amax before taking the exponent.
    rceil: ceil(log2(fp32(amax / max_elem))): the cuBLAS/cuDNN UE8M0 recipe, with the ratio
           rounded to float32 as those libraries compute it.
    """
    if rule not in MX_SCALE_RULES:
        raise ValueError(f"scale_rule must be one of {', '.join(MX_SCALE_RULES)}, not {rule!r}")
    e = floor_log2(amax)
    if rule == "floor":
        return e - elem_emax
    if rule == "ceil":
        return e + (amax != np.ldexp(1.0, e)) - elem_emax
    if rule == "even":
        s = np.ldexp(amax, elem_mbits - e)
        carried = round_magnitude(s, np.zeros(s.shape, bool), "rna") >= 2.0 ** (elem_mbits + 1)
        return e + carried - elem_emax
    ratio = (amax.astype(np.float32) / np.float32(elem_max)).astype(np.float64)
    r = floor_log2(ratio)
    return np.where(ratio == 0, -127, r + (ratio != np.ldexp(1.0, r)))
