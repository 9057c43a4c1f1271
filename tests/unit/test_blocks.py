"""Block-scaled schemes: the MX spec's edge cases, independent oracles, option errors."""

from __future__ import annotations

import ml_dtypes
import numpy as np
import pytest

from numerics import SCHEMES, bitmod, get_format, quantize

MX_FLOAT = {"mxfp8_e4m3": ml_dtypes.float8_e4m3fn, "mxfp8_e5m2": ml_dtypes.float8_e5m2,
            "mxfp6_e2m3": ml_dtypes.float6_e2m3fn, "mxfp6_e3m2": ml_dtypes.float6_e3m2fn,
            "mxfp4": ml_dtypes.float4_e2m1fn}


def test_957_in_an_e4m3_block_dequantizes_to_896():
    q = quantize(np.float32([957.0] + [1.0] * 31), "mxfp8_e4m3")
    assert q.scales[0] == 127 + 1 and q.dequantize()[0] == 896.0


@pytest.mark.parametrize("scheme", [s for s in SCHEMES if s.startswith("mx")])
def test_nan_block_gets_nan_scale_and_dequantizes_to_nan(scheme):
    x = np.ones(64, np.float32)
    x[3], x[40] = np.nan, np.inf
    q = quantize(x, scheme)
    assert list(q.scales) == [0xFF, 0xFF]
    assert np.isnan(q.dequantize()).all()


@pytest.mark.parametrize("scheme", [s for s in SCHEMES if s.startswith("mx")])
def test_all_zero_block_gets_minimum_scale(scheme):
    q = quantize(np.zeros(32, np.float32), scheme)
    assert q.scales[0] == 0 and not q.dequantize().any()


def test_subnormal_inputs_clamp_the_shared_exponent_at_minus_127():
    x = np.zeros(32, np.float32)
    x[:3] = np.array([1, 2, 3], np.uint32).view(np.float32)  # 2^-149, 2^-148, 3 * 2^-149
    q = quantize(x, "mxfp8_e4m3")
    assert q.scales[0] == 0  # floor(log2(3 * 2^-149)) - 8 < -127: clamped
    # elements are x / 2^-127 = tiny multiples of 2^-22, below e4m3's 2^-9: all round to zero
    assert not q.dequantize().any()
    q = quantize(np.float32([2.0**-120] * 32), "mxfp4")
    assert q.scales[0] == 127 - 122 and q.dequantize()[0] == 2.0**-120  # 4 * 2^-122


def test_elements_beyond_the_element_max_saturate():
    q = quantize(np.float32([7.9] + [0.0] * 31), "mxfp4")  # floor(log2 7.9)=2 -> X = 1
    assert q.scales[0] == 127 and q.dequantize()[0] == 6.0


@pytest.mark.parametrize("scheme", sorted(MX_FLOAT))
@pytest.mark.parametrize("kernel", ["numba", "numpy"])
def test_mx_matches_spec_recipe_built_on_ml_dtypes(scheme, kernel):
    """Oracle: X = 2^(floor(log2 amax) - emax) and P = ml_dtypes cast of clip(V / X)."""
    rng = np.random.default_rng(3)
    x = (rng.standard_normal((64, 32)) * np.exp2(rng.integers(-20, 20, (64, 1)))).astype(np.float32)
    q = quantize(x, scheme, kernel=kernel)
    elem = SCHEMES[scheme].element
    amax = np.abs(x).max(-1, keepdims=True).astype(np.float64)
    shared = np.floor(np.log2(amax)) - elem.emax
    v = np.clip(x / np.exp2(shared), -elem.max_value, elem.max_value).astype(np.float32)
    expected = v.astype(MX_FLOAT[scheme]).astype(np.float64) * np.exp2(shared)
    np.testing.assert_array_equal(q.dequantize(), expected)
    np.testing.assert_array_equal(q.scales, (shared + 127).astype(np.uint8))


@pytest.mark.parametrize(("rule", "amax", "shared_exp"), [
    ("floor", 6.5, 0), ("ceil", 6.5, 1), ("even", 6.5, 0), ("rceil", 6.5, 1),
    ("floor", 7.0, 0), ("ceil", 7.0, 1), ("even", 7.0, 1), ("rceil", 7.0, 1),
    ("floor", 4.0, 0), ("ceil", 4.0, 0), ("even", 4.0, 0), ("rceil", 4.0, 0),
    ("floor", 6.0, 0), ("rceil", 6.0, 0), ("rceil", 6.01, 1),
])
@pytest.mark.parametrize("kernel", ["numba", "numpy"])
def test_mx_scale_rules(rule, amax, shared_exp, kernel):
    """fp4 (emax 2, max 6, 1 mantissa bit): even rounds amax to 1 mantissa bit, ties away."""
    x = np.float32([amax] + [0.5] * 31)
    assert quantize(x, "mxfp4", scale_rule=rule, kernel=kernel).scales[0] == 127 + shared_exp


def test_mxint8_clamps_symmetric_and_uses_1_6_fixed_point():
    q = quantize(np.float32([-1.999, 0.5] + [0.0] * 30), "mxint8")
    assert q.scales[0] == 127  # floor(log2 1.999) - emax 0
    # -1.999 rounds to -128/64 on the 1.6 grid, then clamps to -127/64 (code 0x81)
    assert q.codes[0] == 0x81 and q.dequantize()[0] == -127 / 64 and q.codes[1] == 32


def _nv_torchao_oracle(x, tensor_scale=None, elem_max=6.0):
    """torchao's nvfp4_quantize in float32 with ml_dtypes casts (division form): (block
    scale codes, float32 data before the element cast)."""
    blocks = x.reshape(-1, 16)
    block_scale = np.abs(blocks).max(-1) / np.float32(elem_max)
    ts = np.float32(1.0) if tensor_scale is None else np.float32(tensor_scale)
    if tensor_scale is not None:
        block_scale = block_scale / ts
    s8 = np.clip(block_scale, np.float32(2**-6), np.float32(448)).astype(ml_dtypes.float8_e4m3fn)
    total = ts * s8.astype(np.float32)
    return s8.view(np.uint8), np.clip(blocks / total[:, None], -np.float32(elem_max), np.float32(elem_max))


@pytest.mark.parametrize("kernel", ["numba", "numpy"])
@pytest.mark.parametrize("tensor_scale", [None, 0.01])
def test_nvfp4_torchao_recipe_matches_oracle(tensor_scale, kernel):
    x = (np.random.default_rng(5).standard_t(3, (32, 64)) * 3).astype(np.float32)
    q = quantize(x, "nvfp4", tensor_scale=tensor_scale, kernel=kernel)
    scales, data = _nv_torchao_oracle(x, tensor_scale)
    fp4 = data.astype(ml_dtypes.float4_e2m1fn).view(np.uint8) & 0xF
    np.testing.assert_array_equal(q.codes.reshape(-1, 16), fp4)
    np.testing.assert_array_equal(q.scales.reshape(-1), scales)


@pytest.mark.parametrize("kernel", ["numba", "numpy"])
def test_nvint4_torchao_recipe_matches_oracle(kernel):
    """INT4 elements: the float32 data rounded half to even (np.rint), two's complement."""
    x = (np.random.default_rng(7).standard_t(3, (32, 64)) * 3).astype(np.float32)
    x[0, :16] = np.float32([7, 0.5, 1.5, 2.5, -0.5, -2.5, 6.5, -6.5] * 2)  # block scale 1: ties
    q = quantize(x, "nvint4", kernel=kernel)
    scales, data = _nv_torchao_oracle(x, elem_max=7.0)
    np.testing.assert_array_equal(q.codes.reshape(-1, 16), np.rint(data).astype(np.int64) & 0xF)
    np.testing.assert_array_equal(q.scales.reshape(-1), scales)


@pytest.mark.parametrize("kernel", ["numba", "numpy"])
def test_nvfp4_te_recipe_matches_its_operation_order(kernel):
    x = (np.random.default_rng(6).standard_normal((8, 64)) * 10).astype(np.float32)
    q = quantize(x, "nvfp4", recipe="te", kernel=kernel)
    s_enc = np.float32(448 * 6) / np.abs(x).max()
    blocks = x.reshape(-1, 16)
    s8 = (np.abs(blocks).max(-1) * (s_enc * (np.float32(1) / np.float32(6)))).astype(
        ml_dtypes.float8_e4m3fn)
    mult = np.float32(1) / (s8.astype(np.float32) / s_enc)
    expected = np.clip(blocks * mult[:, None], -6, 6).astype(ml_dtypes.float4_e2m1fn)
    np.testing.assert_array_equal(q.codes.reshape(-1, 16), expected.view(np.uint8) & 0xF)
    assert q.tensor_scale == pytest.approx(1 / float(s_enc), rel=1e-15)


def test_nvint4_elements_stay_within_plus_minus_7():
    q = quantize(np.random.default_rng(2).standard_normal((4, 64)), "nvint4")
    values = get_format("int4").decode(q.codes)
    assert values.min() >= -7 and values.max() <= 7 and np.abs(values).max() == 7


def test_grouped_int_symmetric_and_asymmetric():
    x = np.random.default_rng(1).standard_normal((4, 256))
    q = quantize(x, "int4_group", group_size=64)
    scale = get_format("fp16").decode(q.scales)
    assert q.scales.shape == (4, 4)
    np.testing.assert_array_equal(q.dequantize(), np.clip(np.round(x / np.repeat(scale, 64, 1)), -7, 7)
                                  * np.repeat(scale, 64, 1))
    qa = quantize(x, "int4_group", symmetric=False)
    step = get_format("fp16").decode(qa.scales)[..., None]
    err = np.abs(qa.dequantize() - x).reshape(4, 2, 128)
    assert (err <= step * 0.5 + 1e-12).all() and qa.zero_points.shape == (4, 2)


def test_fp6_channel_scale_is_amax_over_28():
    x = np.random.default_rng(4).standard_normal((3, 100))
    q = quantize(x, "fp6_channel")
    assert q.scales.shape == (3, 1)
    expected = get_format("fp16").quantize(np.abs(x).max(-1) / 28)
    np.testing.assert_array_equal(get_format("fp16").decode(q.scales[:, 0]), expected)


def test_bitmod_picks_the_lowest_mse_type_per_group():
    x = np.random.default_rng(8).standard_normal((6, 256))
    q = quantize(x, "bitmod3")
    mixture = bitmod.resolve_types(None, 3)
    deq = q.dequantize().reshape(6, 2, 128)
    for (row, grp), chosen in np.ndenumerate(q.group_types):
        block = x[row, grp * 128:(grp + 1) * 128]
        mses = []
        for t in mixture:
            s = get_format("fp16").quantize(np.abs(block).max() / t.max_magnitude)
            idx = np.argmin(np.abs(block[:, None] / s - t.values), axis=1)
            mses.append(np.mean((t.values[idx] * s - block) ** 2))
        assert chosen == int(np.argmin(mses))
        assert np.mean((deq[row, grp] - block) ** 2) == pytest.approx(min(mses), rel=1e-12)
    assert q.type_names == mixture_names(3)


def mixture_names(bits):
    return tuple(t.name for t in bitmod.resolve_types(None, bits))


def test_bitmod_extra_value_sits_at_the_negative_zero_code():
    t = bitmod.BITMOD_TYPES["fp4_ea_neg"]
    assert t.values[8] == -16 and t.values[7] == 12 and t.max_magnitude == 16


@pytest.mark.parametrize(("call", "message"), [
    (lambda: quantize(np.ones(32), "mxfp5"), "unknown scheme 'mxfp5'; known schemes: bitmod3"),
    (lambda: quantize(np.ones(48), "mxfp4"),
     "axis length 48 is not a multiple of mxfp4's block size 32"),
    (lambda: quantize(np.ones(32), "mxfp4", recipe="te"),
     "unknown option 'recipe' for mxfp4; allowed: kernel, scale_rule"),
    (lambda: quantize(np.ones(32), "mxfp4", scale_rule="round"),
     "scale_rule must be one of ceil, even, floor, rceil"),
    (lambda: quantize(np.ones(32, bool), "mxfp4"), "x must hold real numbers"),
    (lambda: quantize(np.ones(32), "mxfp4", axis=2), "axis must be an integer in -1..0, not 2"),
    (lambda: quantize(np.full(128, np.nan), "int4_group"), "input holds NaN and int4 has no NaN"),
    (lambda: quantize(np.ones(16), "nvfp4", recipe="te", tensor_scale=2.0), "recipe 'te' computes"),
    (lambda: quantize(np.ones(16), "nvfp4", tensor_scale=-1.0), "tensor_scale must be a positive"),
])
def test_bad_input_raises_one_clear_error(call, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace("'", "'")):
        call()


@pytest.mark.parametrize("recipe", ["torchao", "te"])
def test_nv_nan_block_gets_nan_scale_and_other_blocks_survive(recipe):
    x = np.ones(32, np.float32)
    x[2] = np.nan
    q = quantize(x, "nvfp4", recipe=recipe)
    assert q.scales[0] == 0x7F and np.isnan(q.dequantize()[:16]).all()
    # 1.0 in a block of ones: scale e4m3(1/6) = 0.171875, 1 / 0.171875 -> fp4 6 -> 1.03125
    assert q.scales[1] == 0x23 and np.array_equal(q.dequantize()[16:], np.full(16, 1.03125))
