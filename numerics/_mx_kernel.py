"""numba kernel for MX conversion of float32 input, one pass per block: the block's max
|x| from the float32 bits -> shared exponent (integer arithmetic on the significand and
exponent, as a hardware quantizer computes it) -> each element times 2^-shared_exp ->
``_f32_codes.element_code`` (round to nearest even, saturate, code). The element loop is
branch-free and vectorizes. ``blocks.mx_quantize_reference`` is its numpy reference with
the same contract; tests/equivalence checks that they agree code for code.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from ._f32_codes import (
    CHUNK_BLOCKS,
    bits_f32,
    block_max_bits,
    chunk_count,
    element_params,
    encode_blocks,
    supports_element,
)
from .formats import FloatFormat

_RULES = {"floor": 0, "ceil": 1, "even": 2, "rceil": 3}


def supports(blocks: np.ndarray, element) -> bool:
    """The kernel takes float32 blocks; other dtypes use the numpy reference."""
    return blocks.dtype == np.float32 and blocks.shape[-1] > 0 and supports_element(element)


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
def _pow2_f32(e):
    """2^e as a float32 for -127 <= e <= 127 (2^-127 is the one subnormal)."""
    return bits_f32(np.uint32((127 + e) << 23)) if e > -127 else bits_f32(np.uint32(1 << 22))


@numba.njit(cache=True, inline="always")
def _block_factor(x_bits, k, b, rule, elem_emax, elem_max, scale_mbits, scales):
    """Writes block b's E8M0 code; returns 2^-shared_exp (NaN for a NaN/Inf block)."""
    amax_bits = block_max_bits(x_bits, k, b)
    if amax_bits >= 0x7F800000:
        scales[b] = 255
        return np.float32(np.nan)
    se = -127
    if amax_bits:
        se = _shared_exponent(np.int64(amax_bits), rule, elem_emax, scale_mbits, elem_max)
        se = min(max(se, -127), 127)
    scales[b] = se + 127
    # x * 2^-se is exact unless it lands below 2^-126, far under half of any
    # element's smallest step, where it rounds to (signed) zero either way
    return _pow2_f32(-se)


@numba.njit(cache=True, nogil=True)
def _mx_kernel(x, x_bits, k, rule, elem_emax, elem_max, scale_mbits, p, codes, scales):
    """x, x_bits, codes: flat (blocks * k); scales: one per block."""
    factors = np.empty(CHUNK_BLOCKS, np.float32)
    for c in range(chunk_count(scales.size)):
        start = c * CHUNK_BLOCKS
        chunk = factors[:min(CHUNK_BLOCKS, scales.size - start)]
        for j in range(chunk.size):
            chunk[j] = _block_factor(x_bits, k, start + j, rule, elem_emax, elem_max, scale_mbits, scales)
        encode_blocks(x, k, chunk, start, False, p, codes)


def _scale_mbits(element) -> int:
    return element.mantissa_bits if isinstance(element, FloatFormat) else element.int_bits - 2


def mx_quantize(blocks: np.ndarray, element, scale_rule: str):
    """(element codes, E8M0 scale codes) for float32 ``blocks`` of shape (..., k)."""
    flat = np.ascontiguousarray(blocks).reshape(-1)
    codes = np.empty(flat.shape, element.code_dtype)
    scales = np.empty(blocks.shape[:-1], np.uint8).reshape(-1)
    _mx_kernel(flat, flat.view(np.uint32), blocks.shape[-1], _RULES[scale_rule], element.emax,
               element.max_value, _scale_mbits(element), element_params(element), codes, scales)
    return codes.reshape(blocks.shape), scales.reshape(blocks.shape[:-1])
