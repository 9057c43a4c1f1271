"""NVFP4 / NVINT4 conversion: the numpy reference and the scalar steps both paths share.

Two-level scaling: a ue4m3 scale per block of 16 and a float32 tensor scale, in float32
arithmetic and in each recipe's own operation order (the order changes last bits):

torchao (``nvfp4_quantize`` in torchao/prototype/mx_formats/nvfp4_tensor.py):
    tensor scale = amax_tensor / (448 * max_elem) (option ``tensor_scale="auto"``, a
    float, or None for 1 and no division); block scale = e4m3(clip(amax_blk / max_elem /
    tensor scale, 2^-6, 448)); element = RNE(clip(x / (tensor scale * block scale))).
te (NVIDIA/TransformerEngine's NVFP4 cast kernels, core_nvfp4.cuh):
    S_enc = 448 * max_elem / amax_tensor; block scale = e4m3_satfinite(amax_blk * (S_enc *
    (1 / max_elem))); element = RNE(clip(x * (1 / (block scale / S_enc)))).

A block holding NaN or Inf gets the ue4m3 NaN code 0x7F and zero elements. ``_nv_kernel``
is the numba version with the same signature; tests/equivalence checks them code for code.
"""

from __future__ import annotations

import numpy as np

from .formats import get_format

NV_RECIPES = ("te", "torchao")
UE4M3 = get_format("ue4m3")
E4M3_MIN_NORMAL = np.float32(2.0**-6)
E4M3_MAX = np.float32(448.0)


def check_recipe(recipe) -> None:
    if recipe not in NV_RECIPES:
        raise ValueError(f"recipe must be one of {', '.join(NV_RECIPES)}, not {recipe!r}")


def nv_tensor_scale(amax: np.float32, tensor_scale, recipe: str, elem_max: np.float32):
    """The float32 tensor scale a recipe applies (None: torchao without one).

    ``amax`` is max|x| over the tensor in float32 (NaN if any element is NaN). te returns
    S_enc (an encode factor), torchao the decode factor.
    """
    if recipe == "te":
        if tensor_scale is not None:
            raise ValueError("recipe 'te' computes its tensor scale from the tensor: "
                             f"tensor_scale must be None, not {tensor_scale!r}")
        ok = np.isfinite(amax) and amax > 0
        return (E4M3_MAX * elem_max) / amax if ok else np.float32(1.0)
    if tensor_scale is None:
        return None
    if isinstance(tensor_scale, str):
        if tensor_scale != "auto":
            raise ValueError(f"tensor_scale must be None, 'auto' or a positive float, not {tensor_scale!r}")
        return amax / (E4M3_MAX * elem_max) if amax > 0 else np.float32(1.0)
    if not (np.isfinite(tensor_scale) and tensor_scale > 0):
        raise ValueError(f"tensor_scale must be a positive finite float, not {tensor_scale!r}")
    return np.float32(tensor_scale)


def decode_tensor_scale(ts, recipe: str) -> float:
    """What ``QuantizedTensor.tensor_scale`` holds: the factor that dequantizes."""
    if recipe == "te":
        return 1.0 / float(ts)
    return 1.0 if ts is None else float(ts)


def _block_scales(amax_blk, ts, recipe, elem_max):
    """(ue4m3 codes, ("divide" | "multiply", float32 per-block factor))."""
    if recipe == "torchao":  # torchao nvfp4_quantize: x / (tensor_scale * e4m3(scale))
        block_scale = amax_blk / elem_max
        if ts is not None:
            block_scale = block_scale / ts
        codes = UE4M3.encode(np.clip(block_scale, E4M3_MIN_NORMAL, E4M3_MAX), saturate=True)
        total = (np.float32(1.0) if ts is None else ts) * UE4M3.decode(codes).astype(np.float32)
        return codes, ("divide", total)
    codes = UE4M3.encode(amax_blk * (ts * (np.float32(1.0) / elem_max)), saturate=True)
    s_dec = UE4M3.decode(codes).astype(np.float32)
    with np.errstate(divide="ignore"):
        multiplier = np.where(s_dec > 0, np.float32(1.0) / (s_dec / ts), np.float32(0.0))
    return codes, ("multiply", multiplier.astype(np.float32))


def nv_quantize_reference(blocks: np.ndarray, element, recipe: str, tensor_scale):
    """(element codes, ue4m3 scale codes, decode tensor scale) for ``blocks`` (..., k).

    Input is rounded to float32 first; every step is float32 arithmetic (numpy).
    """
    check_recipe(recipe)
    x32 = blocks.astype(np.float32)
    elem_max = np.float32(element.max_value)
    amax = np.float32(np.max(np.abs(x32))) if x32.size else np.float32(0.0)
    ts = nv_tensor_scale(amax, tensor_scale, recipe, elem_max)
    amax_blk = np.max(np.abs(x32), axis=-1)
    bad = ~np.isfinite(amax_blk)
    with np.errstate(invalid="ignore", over="ignore"):
        codes, (op, factor) = _block_scales(np.where(bad, 0, amax_blk), ts, recipe, elem_max)
        data = x32 / factor[..., None] if op == "divide" else x32 * factor[..., None]
    data = np.clip(np.where(bad[..., None], 0, data), -elem_max, elem_max)
    elem_codes = element.encode(data, rounding="rne", saturate=True)
    scales = np.where(bad, UE4M3.encode(np.nan), codes).astype(np.uint8)
    return elem_codes, scales, decode_tensor_scale(ts, recipe)
