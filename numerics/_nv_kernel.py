"""numba kernel for NVFP4 / NVINT4 conversion of float32 input.

The same float32 operations in the same order as ``_nv.nv_quantize_reference`` (its numpy
reference, same signature): one pass for the tensor's max |x| where the recipe needs it,
then per block the max |x|, the ue4m3 scale and the float32 factor (scalar code), and a
branch-free element loop (``_f32_codes.element_code``) that vectorizes.
tests/equivalence checks kernel and reference code for code.
"""

from __future__ import annotations

import numba
import numpy as np

from ._f32_codes import bits_f32, element_code, element_params, float_code, supports_element
from ._nv import E4M3_MAX, E4M3_MIN_NORMAL, UE4M3, check_recipe, decode_tensor_scale, nv_tensor_scale

_UE4M3_PARAMS = element_params(UE4M3)
_UE4M3_NAN = np.uint32(0x7F)
_UE4M3_VALUES = UE4M3.decode(np.arange(256)).astype(np.float32)
_INF = np.float32(np.inf)


def supports(element) -> bool:
    return supports_element(element)


@numba.njit(cache=True, nogil=True)
def _abs_max(x_bits):
    """max |x| over a flat float32 array given as bits: NaN if any element is NaN (NaN bit
    patterns beat every other), as numpy's max."""
    amax = np.uint32(0)
    for i in range(x_bits.size):
        amax = max(amax, np.uint32(x_bits[i] & 0x7FFFFFFF))
    return bits_f32(amax)


@numba.njit(cache=True, inline="always")
def _ue4m3_code(s):
    """e4m3 code of a float32 scale s >= 0: RNE, saturating, NaN -> 0x7F."""
    return _UE4M3_NAN if s != s else float_code(s, _UE4M3_PARAMS)


@numba.njit(cache=True, inline="always")
def _block_factor(amax, torchao, ts, has_ts, elem_max, e4m3_values):
    """(ue4m3 code, float32 factor) of one block: torchao divides by it, te multiplies."""
    if torchao:
        s = amax / elem_max
        if has_ts:
            s = s / ts
        if s < E4M3_MIN_NORMAL:  # np.clip: NaN passes through
            s = E4M3_MIN_NORMAL
        if s > E4M3_MAX:
            s = E4M3_MAX
        code = _ue4m3_code(s)
        return code, ts * e4m3_values[code]
    code = _ue4m3_code(amax * (ts * (np.float32(1.0) / elem_max)))
    s_dec = e4m3_values[code]
    return code, (np.float32(1.0) / (s_dec / ts)) if s_dec > 0 else np.float32(0.0)


@numba.njit(cache=True, inline="always")
def _makes_nan(row, factor, torchao):
    """Whether x / factor (torchao) or x * factor (te) is NaN for some finite x in the row:
    only for a factor of 0, inf or NaN (a degenerate tensor scale)."""
    if factor > 0 and factor < _INF:
        return False
    for i in range(row.size):
        d = row[i] / factor if torchao else row[i] * factor
        if d != d:
            return True
    return False


@numba.njit(cache=True, nogil=True)
def _nv_kernel(x, x_bits, torchao, ts, has_ts, elem_max, p, e4m3_values, codes, scales):
    """Fills codes and scales; returns True if an element became NaN (the reference raises)."""
    nan_seen = False
    for b in range(x.shape[0]):
        amax_bits = np.uint32(0)
        for i in range(x.shape[1]):
            amax_bits = max(amax_bits, np.uint32(x_bits[b, i] & 0x7FFFFFFF))
        if amax_bits >= 0x7F800000:  # NaN or Inf in the block
            scales[b] = _UE4M3_NAN
            codes[b, :] = 0
            continue
        code, factor = _block_factor(bits_f32(amax_bits), torchao, ts, has_ts, elem_max, e4m3_values)
        scales[b] = code
        nan_seen |= _makes_nan(x[b], factor, torchao)
        if torchao:
            for i in range(x.shape[1]):
                codes[b, i] = element_code(x[b, i] / factor, p)
        else:
            for i in range(x.shape[1]):
                codes[b, i] = element_code(x[b, i] * factor, p)
    return nan_seen


def nv_quantize(blocks: np.ndarray, element, recipe: str, tensor_scale):
    """(element codes, ue4m3 scale codes, decode tensor scale) for ``blocks`` (..., k).

    Input is rounded to float32 first, as in the reference.
    """
    check_recipe(recipe)
    flat = np.ascontiguousarray(blocks, dtype=np.float32).reshape(-1, blocks.shape[-1])
    bits = flat.view(np.uint32)
    elem_max = np.float32(element.max_value)
    amax = np.float32(0.0)
    if recipe == "te" or isinstance(tensor_scale, str):
        amax = _abs_max(bits.reshape(-1))
    ts = nv_tensor_scale(amax, tensor_scale, recipe, elem_max)
    codes = np.empty(flat.shape, element.code_dtype)
    scales = np.empty(flat.shape[0], np.uint8)
    nan_seen = _nv_kernel(flat, bits, recipe == "torchao", np.float32(1.0) if ts is None else ts,
                          ts is not None, elem_max, element_params(element), _UE4M3_VALUES,
                          codes, scales)
    if nan_seen:  # raise the error the reference's element encoder raises
        element.encode(np.float32([np.nan]), saturate=True)
    return codes.reshape(blocks.shape), scales.reshape(blocks.shape[:-1]), decode_tensor_scale(ts, recipe)
