"""numba kernel for MX conversion of float32 input, in the integer domain a hardware
quantizer uses: float32 bits -> (significand, exponent) -> shift with round-to-nearest-even
-> saturate -> element code. ``blocks.mx_quantize_reference`` is its numpy reference with
the same contract; tests/equivalence checks that they agree code for code.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from .formats import FloatFormat

_RULES = {"floor": 0, "ceil": 1, "even": 2, "rceil": 3}


def supports(blocks: np.ndarray, element) -> bool:
    """The kernel takes float32 blocks; other dtypes use the numpy reference."""
    return blocks.dtype == np.float32 and blocks.shape[-1] > 0


@numba.njit(cache=True, inline="always")
def _bit_length(v):
    if v >> 23 == 1:  # every normal float32 significand: skip the loop
        return 24
    n = 0
    while v >> n:
        n += 1
    return n


@numba.njit(cache=True, inline="always")
def _split(bits):
    """float32 bit pattern (sign dropped) -> (significand, exponent of its last bit)."""
    e_field = (bits >> 23) & 0xFF
    man = bits & 0x7FFFFF
    if e_field == 0:
        return man, -149
    return man | 0x800000, e_field - 150


@numba.njit(cache=True, inline="always")
def _round_shift(sig, shift):
    """sig * 2^-shift rounded to nearest even (shift may be <= 0: exact)."""
    if shift <= 0:
        return sig << -shift
    if shift > 40:
        return 0
    n = sig >> shift
    rem = sig & ((1 << shift) - 1)
    half = 1 << (shift - 1)
    if rem > half or (rem == half and (n & 1)):
        n += 1
    return n


@numba.njit(cache=True, inline="always")
def _shared_exponent(amax_bits, rule, elem_emax, elem_mbits, elem_max):
    sig, exp = _split(amax_bits)
    top = _bit_length(sig) - 1
    e = top + exp
    if rule == 1:  # ceil: one more unless amax is a power of two
        e += sig != (1 << top)
    elif rule == 2 and elem_mbits < top:  # even: round amax to elem_mbits, ties away
        if ((sig >> (top - elem_mbits - 1)) & ((1 << (elem_mbits + 1)) - 1)) == (
            (1 << (elem_mbits + 1)) - 1
        ):
            e += 1
    elif rule == 3:  # rceil: ceil(log2(fp32(amax / max_elem)))
        amax = np.float32(sig) * np.float32(2.0**exp)
        ratio = np.float32(amax / np.float32(elem_max))
        if ratio == 0:
            return -127
        mant, ex = math.frexp(np.float64(ratio))
        return ex - 1 + (mant != 0.5)
    return e - elem_emax


@numba.njit(cache=True, inline="always")
def _element_code(bits, se, is_int, mbits, emin, bias, max_mag, width):
    sig, exp = _split(bits & 0x7FFFFFFF)
    exp -= se
    if is_int:  # fixed point with frac bits = -emin, saturating at max_mag
        n = _round_shift(sig, emin - exp) if sig else 0
        n = min(n, max_mag)
        return (-n if bits >> 31 else n) & ((1 << width) - 1)
    if sig == 0:
        mag = 0
    else:
        q = max(_bit_length(sig) - 1 + exp, emin) - mbits
        n = _round_shift(sig, q - exp)
        if n >= (2 << mbits):
            n >>= 1
            q += 1
        mag = ((q + mbits + bias) << mbits) | (n - (1 << mbits)) if n >= (1 << mbits) else n
        mag = min(mag, max_mag)
    return mag | ((bits >> 31) << (width - 1))


@numba.njit(cache=True, nogil=True)
def _mx_kernel(x_bits, rule, elem_emax, elem_max, is_int, mbits, emin, bias, max_mag, width,
               codes, scales):
    for b in range(x_bits.shape[0]):
        amax_bits = 0
        bad = False
        for i in range(x_bits.shape[1]):
            mag_bits = np.int64(x_bits[b, i]) & 0x7FFFFFFF
            bad |= mag_bits >= 0x7F800000
            amax_bits = max(amax_bits, mag_bits)
        if bad:
            scales[b] = 255
            codes[b, :] = 0
            continue
        se = -127
        if amax_bits:
            mb = mbits if not is_int else width - 2
            se = min(max(_shared_exponent(amax_bits, rule, elem_emax, mb, elem_max), -127), 127)
        scales[b] = se + 127
        for i in range(x_bits.shape[1]):
            codes[b, i] = _element_code(np.int64(x_bits[b, i]), se, is_int, mbits, emin, bias, max_mag, width)


def _element_params(element):
    if isinstance(element, FloatFormat):
        return (False, element.mantissa_bits, element.emin, element.bias,
                element._max_magnitude_code, element.bits)
    return True, 0, -element.frac_bits, 0, element.max_code_value, element.bits


def mx_quantize(blocks: np.ndarray, element, scale_rule: str):
    """(element codes, E8M0 scale codes) for float32 ``blocks`` of shape (..., k)."""
    flat = np.ascontiguousarray(blocks).reshape(-1, blocks.shape[-1]).view(np.uint32)
    codes = np.empty(flat.shape, element.code_dtype)
    scales = np.empty(flat.shape[0], np.uint8)
    _mx_kernel(flat, _RULES[scale_rule], element.emax, element.max_value,
               *_element_params(element), codes, scales)
    return codes.reshape(blocks.shape), scales.reshape(blocks.shape[:-1])
