"""Accumulators, MX DotGeneral, L-Mul and the bit-serial model against exact rationals."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from numerics import (
    ExactFP32,
    FixedPoint,
    SequentialFMA32,
    bitserial_multiply,
    dot,
    get_format,
    lmul,
    mx_dot_general,
    quantize,
)
from tests.oracles import to_fp32

E4M3 = get_format("fp8_e4m3fn")
e4m3_values = st.sampled_from(sorted(set(E4M3.decode(E4M3.all_codes())[
    np.isfinite(E4M3.decode(E4M3.all_codes()))].tolist())))
e5m2_values = st.integers(0, 255).map(lambda c: float(get_format("fp8_e5m2").decode([c])[0])).filter(
    np.isfinite)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(e5m2_values, e5m2_values), min_size=1, max_size=32),
       st.floats(-2.0**100, 2.0**100, width=32))
def test_exact_fp32_is_the_exact_sum_rounded_once(pairs, c):
    a, b = np.array(pairs).T
    exact = sum((Fraction(x) * Fraction(y) for x, y in pairs), Fraction(c))
    assert dot(a[None], b[None], ExactFP32(), c=np.float32(c))[0] == to_fp32(exact)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(e4m3_values, e4m3_values), min_size=1, max_size=32),
       st.floats(-2.0**20, 2.0**20, width=32))
def test_fma_chain_rounds_after_every_addition(pairs, c):
    acc = np.float32(c)
    for x, y in pairs:
        acc = to_fp32(Fraction(float(acc)) + Fraction(x) * Fraction(y))
    a, b = np.array(pairs).T
    assert dot(a[None], b[None], SequentialFMA32(), c=np.float32(c))[0] == acc


def test_accumulators_differ_where_they_should():
    terms = np.array([[2.0**24, 1.0, 1.0]])
    assert ExactFP32().accumulate(terms)[0] == 2**24 + 2
    assert SequentialFMA32().accumulate(terms)[0] == 2**24


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(-2000, 2000), min_size=1, max_size=20), st.integers(4, 16))
def test_fixed_point_saturates_after_every_step(ints, width):
    acc, lo, hi = 0, -(1 << (width - 1)), (1 << (width - 1)) - 1
    for v in ints:
        acc = min(max(acc + v, lo), hi)
    terms = np.array(ints, np.float64)[None] / 4  # frac_bits = 2: exact on the grid
    assert FixedPoint(width, 2).accumulate(terms)[0] == acc / 4


def test_fixed_point_truncates_terms_and_can_wrap():
    assert FixedPoint(16, 1).accumulate(np.array([[0.75, -0.75]]))[0] == -0.5  # floor each term
    assert FixedPoint(4, 0, saturate=False).accumulate(np.array([[7.0, 1.0]]))[0] == -8.0
    with pytest.raises(ValueError, match="width must be an integer in 2..62, not 80"):
        FixedPoint(80)


def test_mx_dot_general_equals_exact_dot_of_dequantized_values():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((2, 5, 128)).astype(np.float32)
    qa, qb = quantize(a, "mxfp8_e4m3"), quantize(b, "mxfp4")
    got = mx_dot_general(qa, qb)
    exact = [to_fp32(sum(Fraction(x) * Fraction(y) for x, y in zip(ra, rb, strict=True)))
             for ra, rb in zip(qa.dequantize(), qb.dequantize(), strict=True)]
    np.testing.assert_array_equal(got, exact)
    two_level = mx_dot_general(qa, qb, SequentialFMA32(), block_accumulator=ExactFP32())
    assert np.allclose(two_level, got, rtol=1e-6)


def test_lmul_forms_agree_unless_the_mantissa_sum_carries():
    bf16 = get_format("bf16")
    codes = bf16.encode(np.random.default_rng(1).uniform(0.5, 4, (2, 2000)))
    eq, integer = lmul(codes[0], codes[1], "bf16"), lmul(codes[0], codes[1], "bf16", "integer")
    frac = (codes & 0x7F).astype(np.int64)
    carry = frac[0] + frac[1] + (1 << (7 - 4)) > 128  # (1 + M) 2^E vs 2 M 2^E: equal at M = 1
    assert np.array_equal(eq[~carry], integer[~carry])
    assert carry.any() and not np.any(eq[carry] == integer[carry])
    # paper's example shape: 1.5 * 1.5 -> 1 + .5 + .5 + 2^-4 (equation), carry into the exponent
    assert lmul([0x3FC0], [0x3FC0], "bf16")[0] == 2.0625
    assert lmul([0x3FC0], [0x3FC0], "bf16", "integer")[0] == 2.125


def test_lmul_offset_follows_l_of_m():
    one = {"fp8_e4m3fn": 0x38, "fp8_e5m2": 0x3C, "fp16": 0x3C00}
    expected = {"fp8_e4m3fn": 1 + 2**-3, "fp8_e5m2": 1 + 2**-2, "fp16": 1 + 2**-4}
    for name, code in one.items():
        assert lmul([code], [code], name)[0] == expected[name]


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 16).flatmap(lambda bits: st.tuples(
    st.just(bits), st.integers(-(1 << (bits - 1)), (1 << (bits - 1)) - 1))),
       st.floats(-2.0**13, 2.0**13, width=16), st.sampled_from([(1, "planes"), (2, "planes"), (2, "booth4")]))
def test_bitserial_product_is_exact_and_takes_ceil_bits_over_rate_cycles(bw, a, mode):
    bits, w = bw
    rate, encoding = mode
    r = bitserial_multiply(np.array([w]), np.array([a]), bits, rate, encoding)
    assert r.product[0] == w * a
    assert r.cycles == -(-bits // rate)
    limit = 2 if encoding == "booth4" else (1 << rate) - 1
    assert np.abs(r.digits).max() <= limit


def test_bitserial_unsigned_and_errors():
    r = bitserial_multiply(np.arange(16), 0.5, 4, 2, signed=False)
    assert np.array_equal(r.product, np.arange(16) * 0.5) and r.cycles == 2
    with pytest.raises(ValueError, match="weights must lie in -8..7 for 4-bit signed weights"):
        bitserial_multiply([8], 1.0, 4)
    with pytest.raises(ValueError, match="bits_per_cycle must be 1 or 2, not 3"):
        bitserial_multiply([1], 1.0, 4, 3)


def test_tensor_core_model_is_an_accumulator_option():
    from numerics import tensor_core_model

    a = np.array([[1.0] + [2.0**-13] * 15])
    h100 = tensor_core_model("h100", "fp16")
    assert dot(a, a, h100)[0] == 1.0  # 2^-26 products fall out of the 25-bit window
    assert dot(a, a, ExactFP32())[0] == np.float32(1 + 2**-22)  # 1 + 1.875 ulp, rounded
    qa = quantize(np.random.default_rng(3).standard_normal((4, 64)).astype(np.float32), "mxfp8_e4m3")
    tc = tensor_core_model("b200", "fp8_e4m3fn")
    got = mx_dot_general(qa, qa, SequentialFMA32(), block_accumulator=tc)
    assert np.allclose(got, mx_dot_general(qa, qa), rtol=1e-5)
