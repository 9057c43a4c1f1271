"""Unit tests of the tensor-core accumulation model (no GPU data needed).

The last tests compare the vectorized int64 model with ``reference_dot`` below: the
module's contract written out plainly with exact fractions, one row at a time.
"""

from __future__ import annotations

import math
from dataclasses import replace
from fractions import Fraction

import numpy as np
import pytest

from numerics._tensor_core import (
    DEVICES,
    IN_FORMATS,
    TensorCoreModel,
    _bit_length,
    tensor_core_dot,
    tensor_core_model,
)
from numerics.formats import get_format

ULP1 = 2.0**-23  # fp32 ulp of 1.0
PRESETS = [(device, fmt) for device in DEVICES for fmt in IN_FORMATS]


def dot1(a, b, c, device, in_format=None) -> float:
    """One dot product of python lists, as a python float."""
    return float(tensor_core_dot(np.array(a), np.array(b), np.float32(c), device, in_format))


def padded(values, k):
    return list(values) + [0.0] * (k - len(values))


# --- exact cases -----------------------------------------------------------------------


@pytest.mark.parametrize(("device", "in_format"), PRESETS)
def test_small_integer_dot_products_are_exact(device, in_format):
    model = tensor_core_model(device, in_format)
    rng = np.random.default_rng(1)
    a = rng.integers(-4, 5, size=(200, 2 * model.fma_group_size)).astype(np.float64)
    b = rng.integers(-4, 5, size=a.shape).astype(np.float64)
    c = rng.integers(-100, 101, size=200).astype(np.float32)
    expected = (a * b).sum(-1) + c
    np.testing.assert_array_equal(tensor_core_dot(a, b, c, device, in_format), expected)


@pytest.mark.parametrize(("device", "in_format"), PRESETS)
def test_zero_inputs_give_positive_zero(device, in_format):
    k = tensor_core_model(device, in_format).fma_group_size
    result = tensor_core_dot(np.zeros(k), -np.ones(k), np.float32(-0.0), device, in_format)
    assert result.dtype == np.float32 and result.shape == ()
    assert not np.signbit(result) and result == 0


def test_batch_shape_and_broadcast_c():
    a = np.ones((2, 3, 16))
    result = tensor_core_dot(a, a, np.float32(1.0), "h100", "fp16")
    assert result.shape == (2, 3) and result.dtype == np.float32
    np.testing.assert_array_equal(result, np.full((2, 3), 17.0, np.float32))


# --- alignment and rounding ------------------------------------------------------------


def test_window_cuts_small_products_before_the_sum():
    # exact 1 + 15 * 2^-26 rounds to 1 + 2^-23 even toward zero; the 25-bit window cuts them
    a = [1.0] + [2.0**-13] * 15
    assert dot1(a, a, 0.0, "h100", "fp16") == 1.0
    wide = replace(tensor_core_model("h100", "fp16"), extra_alignment_bits=3)
    assert dot1(a, a, 0.0, wide) == 1.0 + ULP1


def test_alignment_truncates_negative_terms_toward_zero():
    # 1 - 2^-26: a two's complement cut would give 1 - 2^-25, then 1 - 2^-24 after rtz
    a, b = padded([1.0, -(2.0**-13)], 16), padded([1.0, 2.0**-13], 16)
    assert dot1(a, b, 0.0, "b200", "fp16") == 1.0


def test_result_rounding_rtz_versus_rne():
    # 1 + 0.75 ulp: toward zero gives 1, to nearest gives 1 + ulp
    a, b = padded([1.0, 1.5 * 2.0**-12], 16), padded([1.0, 2.0**-12], 16)
    rtz = tensor_core_model("h100", "fp16")
    assert dot1(a, b, 0.0, rtz) == 1.0
    assert dot1(a, b, 0.0, replace(rtz, result_rounding="rne")) == 1.0 + ULP1


def test_alignment_rounding_rne_rounds_each_term():
    # 0.75 * 2^-25 per term: rtz drops it, rne rounds it up to 2^-25 (8 terms: 2^-22)
    a = padded([1.0] + [1.5 * 2.0**-14] * 8, 16)
    b = padded([1.0] + [2.0**-12] * 8, 16)
    rtz = tensor_core_model("h100", "fp16")
    assert dot1(a, b, 0.0, rtz) == 1.0
    assert dot1(a, b, 0.0, replace(rtz, alignment_rounding="rne")) == 1.0 + 2.0**-22


def test_products_align_unnormalised():
    # 1.5 * 1.5 = 2.25 sits at exponent 0 (significand in [1, 4)), so the window reaches
    # 2^-25 and keeps eight 1.5 * 2^-25 products as 2^-25 each; normalised, they vanish
    a = padded([1.5] + [1.5 * 2.0**-13] * 8, 16)
    b = padded([1.5] + [2.0**-12] * 8, 16)
    model = tensor_core_model("b200", "fp16")
    assert dot1(a, b, 0.0, model) == 2.25 + 2.0**-22
    assert dot1(a, b, 0.0, replace(model, normalise_products=True)) == 2.25


def test_h100_fp8_keeps_13_fraction_bits():
    a = padded([1.0, 2.0**-7, 2.0**-7], 32)
    b = padded([1.0, 2.0**-6, 2.0**-7], 32)
    assert dot1(a, b, 0.0, "h100", "fp8_e5m2") == 1.0 + 2.0**-13
    assert dot1(a, b, 0.0, "b200", "fp8_e5m2") == 1.0 + 2.0**-13 + 2.0**-14


def test_b200_fp8_rounds_products_then_adds_c_to_nearest():
    b200 = tensor_core_model("b200", "fp8_e5m2")
    published = replace(b200, c_joins="alignment", result_rounding="rtz")
    # products 1 + 2^-24 are cut to 1.0 before c joins, then 1.0 + 2^-24 ties to 1.0;
    # the published model (c in the window, rtz) and exact rounding give 1 + 2^-23
    a = padded([1.0, 2.0**-12], 32)
    assert dot1(a, a, 2.0**-24, b200) == 1.0
    assert dot1(a, a, 2.0**-24, published) == 1.0 + ULP1
    # products 1.0, c = 0.75 ulp: c joins by rounding to nearest, not by truncation
    one = padded([1.0], 32)
    assert dot1(one, one, 1.5 * 2.0**-24, b200) == 1.0 + ULP1
    assert dot1(one, one, 1.5 * 2.0**-24, published) == 1.0


def test_groups_chain_through_the_rounded_result():
    rng = np.random.default_rng(2)
    a, b = random_values("fp16", (300, 48), rng), random_values("fp16", (300, 48), rng)
    c = random_values("fp32", (300,), rng).astype(np.float32)
    acc = c
    for start in range(0, 48, 16):
        acc = tensor_core_dot(a[:, start : start + 16], b[:, start : start + 16], acc, "h100",
                              "fp16")  # fmt: skip
    np.testing.assert_array_equal(tensor_core_dot(a, b, c, "h100", "fp16"), acc)


# --- exponent range and specials -------------------------------------------------------


def test_subnormal_result_and_flush():
    a = padded([2.0**-70], 16)
    model = tensor_core_model("b200", "bf16")
    assert dot1(a, a, 0.0, model) == 2.0**-140
    assert dot1(a, a, 0.0, replace(model, flush_subnormal_output=True)) == 0.0
    tiny, scale = padded([2.0**-130], 16), padded([2.0**10], 16)  # a subnormal bf16 input
    assert dot1(tiny, scale, 2.0**-149, model) == 2.0**-120
    assert dot1(tiny, scale, 2.0**-149, replace(model, flush_subnormal_inputs=True)) == 0.0


def test_alignment_exponent_floor():
    # 2^-140 - 2^-160: the window top is raised to 2^-133, so 2^-160 (below 2^-158) is cut
    a, b = padded([2.0**-70, 2.0**-80], 16), padded([2.0**-70, -(2.0**-80)], 16)
    model = tensor_core_model("h100", "bf16")
    assert dot1(a, b, 0.0, model) == 2.0**-140
    unlimited = replace(model, alignment_exponent_floor=-1100)
    assert dot1(a, b, 0.0, unlimited) == 2.0**-140 - 2.0**-149


def test_overflow_gives_inf():
    big = padded([2.0**64, -(2.0**64)], 16)
    assert dot1(big, big, 0.0, "h100", "bf16") == math.inf
    assert dot1(big, [-x for x in big], 0.0, "h100", "bf16") == -math.inf


@pytest.mark.parametrize(
    ("a0", "b0", "c", "expected"),
    [
        (math.inf, 1.0, 0.0, math.inf),
        (math.inf, -1.0, 1.0, -math.inf),
        (math.inf, 0.0, 0.0, math.nan),
        (math.nan, 1.0, 0.0, math.nan),
        (1.0, 1.0, math.inf, math.inf),
        (math.inf, 1.0, -math.inf, math.nan),
    ],
)
def test_specials(a0, b0, c, expected):
    result = dot1(padded([a0, 2.0], 16), padded([b0, 3.0], 16), c, "h100", "fp16")
    assert result == expected or (math.isnan(expected) and math.isnan(result))


def test_bit_length_is_exact_beyond_float64_precision():
    values = [0, 1, 2, 3, 2**53 - 1, 2**53 + 1, 2**60 - 1, 2**60, 2**62 + 2**61]
    expected = [v.bit_length() for v in values]
    np.testing.assert_array_equal(_bit_length(np.array(values, np.int64)), expected)


# --- errors ----------------------------------------------------------------------------


def test_k_not_a_multiple_of_the_group_size():
    with pytest.raises(ValueError, match=r"^k \(the last axis of a and b\) must be a positive "
                       r"multiple of the FMA group size 32, not 20$"):  # fmt: skip
        tensor_core_dot(np.ones(20), np.ones(20), np.float32(0), "h100", "fp8_e4m3fn")


def test_unknown_device_and_format():
    with pytest.raises(ValueError, match=r"^device must be one of b200, h100, not 'a100'$"):
        tensor_core_dot(np.ones(16), np.ones(16), np.float32(0), "a100", "fp16")
    with pytest.raises(ValueError, match=r"^in_format must be one of bf16, fp16, fp8_e4m3fn, "
                       r"fp8_e5m2, not 'fp4_e2m1fn'$"):  # fmt: skip
        tensor_core_model("b200", "fp4_e2m1fn")


def test_inputs_must_be_representable():
    with pytest.raises(ValueError, match=r"^a must hold fp8_e4m3fn values, not 1\.0625$"):
        tensor_core_dot(padded([1.0625], 32), np.ones(32), np.float32(0), "h100", "fp8_e4m3fn")
    with pytest.raises(ValueError, match=r"^b must hold fp8_e4m3fn values, not inf$"):
        tensor_core_dot(np.ones(32), padded([np.inf], 32), np.float32(0), "h100",
                        "fp8_e4m3fn")  # fmt: skip
    with pytest.raises(ValueError, match=r"^c must hold fp32 values, not 0\.1$"):
        tensor_core_dot(np.ones(16), np.ones(16), 0.1, "h100", "fp16")


def test_shape_errors():
    with pytest.raises(ValueError, match=r"^a and b must have the same shape"):
        tensor_core_dot(np.ones(16), np.ones(32), np.float32(0), "h100", "fp16")
    with pytest.raises(ValueError, match=r"^c must broadcast to shape \(2,\), not \(3,\)$"):
        tensor_core_dot(np.ones((2, 16)), np.ones((2, 16)), np.zeros(3, np.float32), "h100",
                        "fp16")  # fmt: skip
    with pytest.raises(ValueError, match=r"^a must be a float array, not int64$"):
        tensor_core_dot(np.ones(16, np.int64), np.ones(16), np.float32(0), "h100", "fp16")


def test_model_argument_and_its_format():
    model = tensor_core_model("b200", "fp16")
    a = np.ones(16)
    assert model.dot(a, a, np.float32(1)) == tensor_core_dot(a, a, np.float32(1), model) == 17
    with pytest.raises(ValueError, match=r"^in_format 'bf16' contradicts the model's 'fp16'$"):
        tensor_core_dot(a, a, np.float32(0), model, "bf16")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"fma_group_size": 0}, r"fma_group_size must be an integer in 1\.\.1024, not 0"),
        ({"extra_alignment_bits": 27}, r"extra_alignment_bits must be an integer in -22\.\.26"),
        ({"result_fraction_bits": 24}, r"result_fraction_bits must be an integer in 1\.\.23"),
        ({"result_rounding": "rna"}, r"result_rounding must be one of rne, rtz, not 'rna'"),
        ({"c_joins": "end"}, r"c_joins must be one of after_products, alignment, not 'end'"),
        ({"in_format": "e8m0fnu"}, r"in_format must be a signed float format, not 'e8m0fnu'"),
    ],
)
def test_model_validation(changes, message):
    with pytest.raises(ValueError, match="^" + message):
        replace(tensor_core_model("h100", "fp16"), **changes)


# --- agreement with a plain exact-fraction reference -----------------------------------


def random_values(format_name, shape, rng, exponents=(-14, 3)) -> np.ndarray:
    """Values of the format: zeros, subnormals, and normals with exponents in a range."""
    fmt = get_format(format_name)
    mb = fmt.mantissa_bits
    exp = rng.integers(max(exponents[0], fmt.emin - 2), min(exponents[1], fmt.emax) + 1, shape)
    sig = rng.integers(1 << mb, 2 << mb, size=shape)
    sub = exp < fmt.emin  # a few subnormals: smaller significand at emin
    sig = np.where(sub, sig >> (fmt.emin - exp), sig)
    exp = np.where(sub, fmt.emin, exp)
    values = np.ldexp(sig.astype(np.float64), exp - mb) * rng.choice([-1.0, 1.0], size=shape)
    return np.where(rng.random(shape) < 0.05, 0.0, values)


def leading_exponent(x: Fraction, emin: int) -> int:
    return max(math.floor(math.log2(abs(x))), emin) if x else emin


def round_fraction(x: Fraction, fraction_bits: int, rounding: str) -> Fraction:
    if x == 0:
        return Fraction(0)
    quantum = Fraction(2) ** (leading_exponent(x, -126) - fraction_bits)
    n, rest = divmod(abs(x), quantum)
    if rounding == "rne" and (rest > quantum / 2 or (rest == quantum / 2 and n % 2)):
        n += 1
    return math.copysign(1, x) * n * quantum


def to_float32(x: Fraction) -> float:
    return math.copysign(math.inf, x) if abs(x) >= 2**128 else float(x)


def reference_group(model, a, b, c: Fraction) -> Fraction:
    fmt = get_format(model.in_format)
    terms = []
    for x, y in zip(map(Fraction, a), map(Fraction, b), strict=True):
        ex, ey = leading_exponent(x, fmt.emin), leading_exponent(y, fmt.emin)
        grows = model.normalise_products and abs(x * y) >= 2 ** (ex + ey + 1)
        terms.append((x * y, ex + ey + grows))
    if model.c_joins == "alignment":
        terms.append((c, leading_exponent(c, -126)))
    top = max([e for t, e in terms if t] + [model.alignment_exponent_floor])
    lsb = Fraction(2) ** (top - model.window_fraction_bits)
    total = Fraction(0)
    for t, _ in terms:
        n, rest = divmod(abs(t), lsb)
        if model.alignment_rounding == "rne" and (rest > lsb / 2 or (rest == lsb / 2 and n % 2)):
            n += 1
        total += math.copysign(1, t) * n * lsb
    if model.c_joins == "alignment":
        return round_fraction(total, model.result_fraction_bits, model.result_rounding)
    products = round_fraction(total, model.result_fraction_bits, model.product_sum_rounding)
    return round_fraction(products + c, model.result_fraction_bits, model.result_rounding)


def reference_dot(model, a_row, b_row, c) -> float:
    acc = Fraction(float(c))
    g = model.fma_group_size
    for start in range(0, len(a_row), g):
        acc = reference_group(model, a_row[start : start + g], b_row[start : start + g], acc)
        if abs(acc) >= 2**128:
            break
    return to_float32(acc)


REFERENCE_MODELS = [tensor_core_model(device, fmt) for device, fmt in PRESETS] + [
    TensorCoreModel("fp16", 8, 0, alignment_rounding="rne", result_rounding="rne"),
    TensorCoreModel("bf16", 4, 5, normalise_products=True, c_joins="after_products"),
    TensorCoreModel("fp8_e4m3fn", 16, -5, result_fraction_bits=18, result_rounding="rne"),
    TensorCoreModel("fp4_e2m1fn", 32, 26, c_joins="after_products", product_sum_rounding="rne"),
    TensorCoreModel("fp16", 16, 2, alignment_exponent_floor=8),
]


@pytest.mark.parametrize("model", REFERENCE_MODELS, ids=repr)
def test_agrees_with_exact_fraction_reference(model):
    rng = np.random.default_rng(3)
    rows, k = 60, 2 * model.fma_group_size
    a = random_values(model.in_format, (rows, k), rng)
    b = random_values(model.in_format, (rows, k), rng)
    c = random_values("fp32", (rows,), rng, exponents=(-30, 6)).astype(np.float32)
    got = tensor_core_dot(a, b, c, model)
    expected = [reference_dot(model, a[i], b[i], c[i]) for i in range(rows)]
    np.testing.assert_array_equal(got, np.array(expected, np.float32))
