"""numba kernel for NVFP4 / NVINT4 conversion of float32 input.

The same float32 operations in the same order as ``_nv.nv_quantize_reference`` (its numpy
reference, same signature): one pass for the tensor's max |x| where the recipe needs it,
then, for a chunk of blocks at a time, each block's max |x|, the ue4m3 scales and float32
factors (one branch-free loop across blocks), and the element codes
(``_f32_codes.encode_blocks``); the loops vectorize.
tests/equivalence checks kernel and reference code for code. Compiled with numba's numpy
error model: a degenerate tensor scale divides by zero, which must give inf or NaN as in
the reference, not ZeroDivisionError.
"""

from __future__ import annotations

import numba
import numpy as np
from numba.extending import overload

from ._f32_codes import (
    CHUNK_BLOCKS,
    bits_f32,
    block_max_bits,
    chunk_count,
    element_params,
    encode_blocks,
    float_code,
    float_round,
    supports_element,
)
from ._nv import E4M3_MAX, E4M3_MIN_NORMAL, UE4M3, check_recipe, decode_tensor_scale, nv_tensor_scale

_UE4M3_PARAMS = element_params(UE4M3)
_UE4M3_NAN = np.uint32(0x7F)
_NAN = np.float32(np.nan)
_INF = np.float32(np.inf)
_ONE = np.float32(1.0)
_ZERO = np.float32(0.0)
_NOT_FINITE = np.uint32(0x7F800000)


def supports(element) -> bool:
    return supports_element(element)


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _abs_max(x_bits):
    """max |x| over a flat float32 array given as bits: NaN if any element is NaN (NaN bit
    patterns beat every other), as numpy's max."""
    amax = np.uint32(0)
    for i in range(x_bits.size):
        amax = max(amax, np.uint32(x_bits[i] & 0x7FFFFFFF))
    return bits_f32(amax)


@numba.njit(cache=True, inline="always", error_model="numpy")
def _ue4m3(s):
    """(code, value) of a float32 scale s >= 0 in ue4m3: RNE, saturating; NaN -> 0x7F."""
    nan = s != s
    finite = _ZERO if nan else s
    code = _UE4M3_NAN if nan else float_code(finite, _UE4M3_PARAMS)
    return code, _NAN if nan else float_round(finite, _UE4M3_PARAMS)


# The recipe travels as a tuple whose length is its type: numba compiles one kernel per
# recipe, with the recipe's branches folded away (a runtime flag stops the vectorizer).
# torchao: (tensor scale or 1, max_elem); te: (S_enc, max_elem, S_enc * (1 / max_elem)).
_TORCHAO_LEN = 2


@numba.njit(cache=True, inline="always", error_model="numpy")
def _torchao_factor(amax, ts, elem_max):
    """(ue4m3 code, divisor ts * e4m3(clip(amax / max_elem / ts, 2^-6, 448))); without a
    tensor scale ts is 1, and dividing by 1 changes nothing."""
    s = (amax / elem_max) / ts
    s = E4M3_MIN_NORMAL if s < E4M3_MIN_NORMAL else s  # np.clip: NaN passes through
    s = E4M3_MAX if s > E4M3_MAX else s
    code, value = _ue4m3(s)
    return code, ts * value


@numba.njit(cache=True, inline="always", error_model="numpy")
def _te_factor(amax, s_enc, encode_mult):
    """(ue4m3 code, multiplier 1 / (e4m3(amax * (S_enc * (1 / max_elem))) / S_enc))."""
    code, s_dec = _ue4m3(amax * encode_mult)
    return code, (_ONE / (s_dec / s_enc)) if s_dec > 0 else _ZERO


def _recipe_factor(amax, recipe):
    """(ue4m3 code, factor) of a block in the recipe's own operation order."""
    raise NotImplementedError("_recipe_factor runs inside numba-compiled kernels only")


@overload(_recipe_factor)
def _recipe_factor_impl(amax, recipe):
    if len(recipe) == _TORCHAO_LEN:
        def torchao(amax, recipe):
            return _torchao_factor(amax, recipe[0], recipe[1])
        return torchao

    def te(amax, recipe):
        return _te_factor(amax, recipe[0], recipe[2])
    return te


@numba.njit(cache=True, inline="always", error_model="numpy")
def _block_factors(amax_bits, recipe, start, scales, factors):
    """Scale codes and factors of a chunk of blocks (NaN/Inf blocks: 0x7F and NaN). A loop
    across blocks without branches, so the scale arithmetic vectorizes too."""
    for j in range(factors.size):
        bad = amax_bits[j] >= _NOT_FINITE
        amax = _ZERO if bad else bits_f32(amax_bits[j])
        code, f = _recipe_factor(amax, recipe)
        scales[start + j] = _UE4M3_NAN if bad else code
        factors[j] = _NAN if bad else f


@numba.njit(cache=True, inline="always", error_model="numpy")
def _degenerate(amax_bits, factors):
    """Whether a finite block got a factor of 0, inf or NaN (only a degenerate tensor scale
    gives one, and only then can an element become NaN)."""
    count = 0
    for j in range(factors.size):
        f = factors[j]
        count += (amax_bits[j] < _NOT_FINITE) and not ((f > _ZERO) & (f < _INF))
    return count > 0


@numba.njit(cache=True, inline="always", error_model="numpy")
def _makes_nan(x, k, b, factor, divide):
    """Whether x / factor (torchao) or x * factor (te) is NaN for some x in block b."""
    for i in range(b * k, b * k + k):
        d = x[i] / factor if divide else x[i] * factor
        if d != d:
            return True
    return False


@numba.njit(cache=True, inline="always", error_model="numpy")
def _any_nan_element(x, k, amax_bits, factors, start, divide):
    for j in range(factors.size):
        f = factors[j]
        degenerate = not (f > 0 and f < _INF) and amax_bits[j] < _NOT_FINITE
        if degenerate and _makes_nan(x, k, start + j, f, divide):
            return True
    return False


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _nv_kernel(x, x_bits, k, recipe, p, codes, scales):
    """x, x_bits, codes: flat (blocks * k); scales: one per block. Fills codes and scales;
    returns True if an element became NaN (the reference raises then)."""
    divide = len(recipe) == _TORCHAO_LEN
    nan_seen = False
    amax_bits = np.empty(CHUNK_BLOCKS, np.uint32)
    factors = np.empty(CHUNK_BLOCKS, np.float32)
    for c in range(chunk_count(scales.size)):
        start = c * CHUNK_BLOCKS
        n = min(CHUNK_BLOCKS, scales.size - start)
        for j in range(n):
            amax_bits[j] = block_max_bits(x_bits, k, start + j)
        _block_factors(amax_bits[:n], recipe, start, scales, factors[:n])
        if _degenerate(amax_bits[:n], factors[:n]):
            nan_seen |= _any_nan_element(x, k, amax_bits[:n], factors[:n], start, divide)
        encode_blocks(x, k, factors[:n], start, divide, p, codes)
    return nan_seen


def _recipe_params(recipe: str, ts, elem_max: np.float32) -> tuple:
    if recipe == "torchao":
        return (_ONE if ts is None else ts, elem_max)
    return (ts, elem_max, ts * (_ONE / elem_max))  # S_enc * (1 / max_elem), as TE computes it


def nv_quantize(blocks: np.ndarray, element, recipe: str, tensor_scale):
    """(element codes, ue4m3 scale codes, decode tensor scale) for ``blocks`` (..., k).

    Input is rounded to float32 first, as in the reference.
    """
    check_recipe(recipe)
    flat = np.ascontiguousarray(blocks, dtype=np.float32).reshape(-1)
    bits = flat.view(np.uint32)
    elem_max = np.float32(element.max_value)
    amax = np.float32(0.0)
    if recipe == "te" or isinstance(tensor_scale, str):
        amax = _abs_max(bits)
    ts = nv_tensor_scale(amax, tensor_scale, recipe, elem_max)
    codes = np.empty(flat.shape, element.code_dtype)
    scales = np.empty(blocks.shape[:-1], np.uint8).reshape(-1)
    nan_seen = _nv_kernel(flat, bits, blocks.shape[-1], _recipe_params(recipe, ts, elem_max),
                          element_params(element), codes, scales)
    if nan_seen:  # raise the error the reference's element encoder raises
        element.encode(np.float32([np.nan]), saturate=True)
    return codes.reshape(blocks.shape), scales.reshape(blocks.shape[:-1]), decode_tensor_scale(ts, recipe)
