"""The numba NVFP4/NVINT4 kernel against its numpy reference, code for code.

Both recipes, with and without a tensor scale, over random float32 bit patterns (NaN,
Inf, subnormals, sNaN payloads), wide finite ranges, all-zero blocks and ragged shapes.
"""

from __future__ import annotations

import ml_dtypes
import numpy as np
import pytest

from numerics import SCHEMES, quantize
from numerics._nv import nv_quantize_reference
from numerics._nv_kernel import nv_quantize

NV = ["nvfp4", "nvint4"]
RECIPES = [("torchao", None), ("torchao", "auto"), ("torchao", 0.01), ("torchao", 3.0e5), ("te", None)]
SPECIALS = np.array([0x7F800001, 0xFFA00000, 0x7FC00000, 0x7F800000, 0xFF800000, 0x80000000,
                     0x00000001, 0x807FFFFF, 0x00800000, 0x7F7FFFFF, 0xFF7FFFFF, 0x3F800000],
                    np.uint32).view(np.float32)  # sNaN, -NaN, qNaN, +-inf, -0, subnormals, ...


def _finite(n_blocks: int, seed: int) -> np.ndarray:
    """Finite values over the whole float32 range: random bit patterns with NaN/Inf redrawn,
    plus scaled normals, an all-zero block, -0 and subnormals."""
    rng = np.random.default_rng(seed)
    bits = rng.integers(0, 2**32, (n_blocks, 16), dtype=np.uint64).astype(np.uint32)
    bits = np.where((bits & 0x7F800000) == 0x7F800000, bits & 0x807FFFFF, bits)
    x = bits.view(np.float32).copy()
    x[: n_blocks // 2] = (rng.standard_normal((n_blocks // 2, 16))
                          * np.exp2(rng.integers(-140, 120, (n_blocks // 2, 1)))).astype(np.float32)
    x[3], x[4, :5], x[5] = 0.0, -0.0, np.arange(16, dtype=np.uint32).view(np.float32)
    return x


def _with_specials(n_blocks: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 2**32, (n_blocks, 16), dtype=np.uint64).astype(np.uint32).view(np.float32)
    x = x.copy()
    x[1, :SPECIALS.size] = SPECIALS
    x[2], x[7, 3] = 0.0, SPECIALS[0]
    return x


INPUTS = {"finite": _finite(203, 1), "specials": _with_specials(131, 2),
          "tiny": (_finite(70, 3) * np.float32(2.0**-100)), "ones": np.ones((67, 16), np.float32)}


E4M3_VALUES = np.arange(1, 0x7F, dtype=np.uint8).view(ml_dtypes.float8_e4m3fn).astype(np.float64)
FP4_TIES = np.array([0.25, 0.75, 1.25, 1.75, 2.5, 3.5, 5.0])
ELEMENT_TIES = {"nvfp4": (6.0, FP4_TIES), "nvint4": (7.0, np.arange(7) + 0.5)}
TENSOR_AMAX = 1000.0  # makes te's S_enc = 2.688, not a power of two


def _tensor_scale(recipe, tensor_scale, elem_max) -> float:
    """te's S_enc, or torchao's tensor scale, for a tensor whose max |x| is TENSOR_AMAX."""
    if recipe == "te":
        return 448 * elem_max / TENSOR_AMAX
    return TENSOR_AMAX / (448 * elem_max) if tensor_scale == "auto" else (tensor_scale or 1.0)


def _element_ties(scheme, recipe, tensor_scale) -> np.ndarray:
    """Blocks whose scale is an e4m3 value g and whose elements scale to within one float32
    ulp of an element rounding tie: where the last bit of the recipe's factor shows."""
    elem_max, ties = ELEMENT_TIES[scheme]
    ts = _tensor_scale(recipe, tensor_scale, elem_max)
    unit = E4M3_VALUES[8::6] / ts if recipe == "te" else E4M3_VALUES[8::6] * ts  # x per element unit
    unit = unit[unit * elem_max < TENSOR_AMAX]
    x = np.float32(np.concatenate([ties, -ties])[None, :] * unit[:, None])
    x = np.concatenate([x, np.nextafter(x, np.float32(0)), np.nextafter(x, np.float32(np.inf))], 1)
    x = np.concatenate([np.float32(elem_max * unit)[:, None], x], 1).reshape(-1)
    pad = -x.size % 16
    blocks = np.concatenate([x, np.zeros(pad + 15, np.float32), [np.float32(TENSOR_AMAX)]])
    return blocks.reshape(-1, 16)


def _near_ties(recipe, tensor_scale) -> np.ndarray:
    """Blocks whose scale lands on or one or two float32 ulps beside an e4m3 rounding tie,
    with elements near fp4 ties: where the order of the recipe's float32 operations shows.
    One block holds the tensor's max |x|, so te's S_enc and torchao's 'auto' are known."""
    ts = _tensor_scale(recipe, tensor_scale, 6.0)
    per_scale = 6.0 / ts if recipe == "te" else 6.0 * ts
    ties = (E4M3_VALUES[:-1] + E4M3_VALUES[1:]) / 2 * per_scale
    base = np.float32(ties[ties < TENSOR_AMAX])
    zero, inf = np.float32(0), np.float32(np.inf)
    below, above = np.nextafter(base, zero), np.nextafter(base, inf)
    amax = np.concatenate([base, below, above, np.nextafter(below, zero), np.nextafter(above, inf)])
    blocks = np.empty((amax.size + 1, 16), np.float32)
    blocks[:-1, 0] = amax
    elements = np.float32(amax[:, None] * (np.concatenate([FP4_TIES, -FP4_TIES, [6.0, -1.0]]) / 6))
    blocks[:-1, 1:] = elements[:, :15]
    blocks[-1] = np.float32(TENSOR_AMAX) * np.linspace(-1, 1, 16, dtype=np.float32)
    return blocks


def _both(x, scheme, recipe, tensor_scale):
    element = SCHEMES[scheme].element
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        ref = nv_quantize_reference(x, element, recipe, tensor_scale)
    return nv_quantize(x, element, recipe, tensor_scale), ref


@pytest.mark.parametrize("data", sorted(INPUTS))
@pytest.mark.parametrize(("recipe", "tensor_scale"), RECIPES)
@pytest.mark.parametrize("scheme", NV)
def test_numba_kernel_matches_numpy_reference(scheme, recipe, tensor_scale, data):
    (codes, scales, ts), (ref_codes, ref_scales, ref_ts) = _both(INPUTS[data], scheme, recipe, tensor_scale)
    np.testing.assert_array_equal(scales, ref_scales)
    np.testing.assert_array_equal(codes, ref_codes)
    assert ts == ref_ts or (np.isnan(ts) and np.isnan(ref_ts))


@pytest.mark.parametrize(("recipe", "tensor_scale"), RECIPES)
@pytest.mark.parametrize("scheme", NV)
@pytest.mark.parametrize("corner", [_near_ties, _element_ties])
def test_kernel_matches_reference_beside_ties(scheme, recipe, tensor_scale, corner):
    x = corner(recipe, tensor_scale) if corner is _near_ties else corner(scheme, recipe, tensor_scale)
    (codes, scales, _), (ref_codes, ref_scales, _) = _both(x, scheme, recipe, tensor_scale)
    np.testing.assert_array_equal(scales, ref_scales)
    np.testing.assert_array_equal(codes, ref_codes)


def test_the_inputs_reach_the_recipes_corners():
    """The cases above are only worth something if they hit saturated, zero and NaN scales,
    ties and saturated elements."""
    (_, te_scales, _), _ = _both(INPUTS["finite"], "nvfp4", "te", None)
    (codes, scales, _), _ = _both(INPUTS["specials"], "nvfp4", "torchao", None)
    assert {0x00, 0x7E} <= set(te_scales.tolist())  # scale flushed to 0, scale saturated at 448
    assert 0x7F in scales.tolist() and {0x7, 0xF} <= set(codes.ravel().tolist())
    (codes, _, _), _ = _both(np.float32([[0.25, 0.75, 2.5, 5.0, -0.25] + [6.0] * 11]), "nvfp4",
                             "torchao", None)
    assert codes[0, :5].tolist() == [0x0, 0x2, 0x4, 0x6, 0x8]  # ties to even, -0.25 -> -0


@pytest.mark.parametrize("recipe", ["torchao", "te"])
def test_ragged_shapes_and_axes_agree_through_quantize(recipe):
    x = _finite(3 * 5 * 3, 4).reshape(3, 5, 48).transpose(0, 2, 1)  # blocks run along axis 1
    numba_q = quantize(x, "nvfp4", axis=1, recipe=recipe)
    numpy_q = quantize(x, "nvfp4", axis=1, recipe=recipe, kernel="numpy")
    np.testing.assert_array_equal(numba_q.codes, numpy_q.codes)
    np.testing.assert_array_equal(numba_q.scales, numpy_q.scales)
    assert numba_q.scales.shape == (3, 3, 5) and numba_q.tensor_scale == numpy_q.tensor_scale


def test_float64_input_is_rounded_to_float32_first_by_both():
    x = np.random.default_rng(5).standard_normal((4, 64)) * 1e3
    numba_q = quantize(x, "nvint4", recipe="te")
    numpy_q = quantize(x, "nvint4", recipe="te", kernel="numpy")
    np.testing.assert_array_equal(numba_q.codes, numpy_q.codes)
    np.testing.assert_array_equal(numba_q.scales, numpy_q.scales)


def test_a_tensor_scale_that_underflows_float32_raises_as_the_reference_does():
    """tensor_scale 1e-50 is 0 in float32: an all-zero block divides 0 by 0."""
    x = np.ones((2, 16), np.float32)
    x[1] = 0.0
    for kernel in ("numba", "numpy"):
        with np.errstate(divide="ignore"), pytest.raises(ValueError, match="input holds NaN"):
            quantize(x, "nvfp4", tensor_scale=1e-50, kernel=kernel)
    (codes, scales, _), (ref_codes, ref_scales, _) = _both(x[:1], "nvfp4", "torchao", 1e-50)
    np.testing.assert_array_equal(codes, ref_codes)  # x / 0 = inf: saturates, no error
    np.testing.assert_array_equal(scales, ref_scales)
