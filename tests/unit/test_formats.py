"""Element formats against ml_dtypes: every code, every float16 input, every boundary/tie."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from numerics import FORMATS, get_format
from tests.oracles import ML_DTYPES, int_decode, ml_decode, ml_encode

SMALL_FLOATS = ["fp4_e2m1fn", "fp6_e2m3fn", "fp6_e3m2fn", "fp8_e4m3fn", "fp8_e5m2", "e8m0fnu",
                "ue4m3"]
ML_FLOATS = [n for n in ML_DTYPES]
INTS = [n for n in FORMATS if n.startswith(("int", "uint"))]


@pytest.mark.parametrize("name", SMALL_FLOATS + ["fp16", "bf16"])
def test_every_code_decodes_as_ml_dtypes(name):
    fmt = get_format(name)
    codes = fmt.all_codes()
    np.testing.assert_array_equal(fmt.decode(codes), ml_decode(name, codes))


def test_fp32_decode_matches_numpy_view():
    codes = np.random.default_rng(0).integers(0, 2**32, 200_000, dtype=np.uint64).astype(np.uint32)
    codes[:6] = [0, 0x80000000, 0x7F800000, 0xFF800000, 0x00000001, 0x7F7FFFFF]
    with np.errstate(invalid="ignore"):
        expected = codes.view(np.float32).astype(np.float64)
    np.testing.assert_array_equal(get_format("fp32").decode(codes), expected)


@pytest.mark.parametrize("name", INTS)
def test_every_int_code_decodes_as_twos_complement(name):
    fmt = get_format(name)
    codes = fmt.all_codes()
    np.testing.assert_array_equal(fmt.decode(codes), int_decode(fmt.bits, fmt.signed, codes))


def _ml_policy(name):
    """encode options that reproduce ml_dtypes' own overflow behaviour."""
    fmt = get_format(name)
    if not fmt.has_nan:
        return {"saturate": True, "nan": "zero"}
    return {"saturate": False}


def _finite_inputs_ml_agrees_on(name, x32):
    """ml_dtypes' fp8 e4m3fn/e8m0 casts give NaN where we are asked to (and do) too; NaN
    inputs of NaN-less formats map to -0 in ml_dtypes: compare the rest."""
    ref = x32.astype(ML_DTYPES[name]).astype(np.float64)
    return ~np.isnan(x32) & ~np.isnan(ref) | (np.isnan(ref) & get_format(name).has_nan)


@np.errstate(all="ignore")  # the oracle's own casts of NaN/overflow warn
def _compare_encode(name, x32):
    fmt = get_format(name)
    got = fmt.encode(x32, **_ml_policy(name)).astype(np.int64)
    ref = ml_encode(name, x32)
    keep = _finite_inputs_ml_agrees_on(name, x32)
    got_nan = np.isnan(fmt.decode(got[keep]))
    ref_nan = np.isnan(ml_decode(name, ref[keep]))
    np.testing.assert_array_equal(got_nan, ref_nan)
    np.testing.assert_array_equal(got[keep][~got_nan], ref[keep][~ref_nan])


def all_float16_as_float32():
    return np.arange(1 << 16, dtype=np.uint16).view(np.float16).astype(np.float32)


@pytest.mark.parametrize("name", ML_FLOATS)
def test_encode_all_float16_values_as_ml_dtypes(name):
    _compare_encode(name, all_float16_as_float32())


@np.errstate(over="ignore")
def neighbour_points(name) -> np.ndarray:
    """Every midpoint between neighbouring finite codes, and one float32 ulp either side."""
    fmt = get_format(name)
    values = np.unique(fmt.decode(fmt.all_codes()))
    values = values[np.isfinite(values)]
    mids = ((values[:-1] + values[1:]) / 2).astype(np.float32)
    assert np.array_equal(mids.astype(np.float64), (values[:-1] + values[1:]) / 2)  # exact
    pts = np.concatenate([mids, np.nextafter(mids, np.inf), np.nextafter(mids, -np.inf),
                          values.astype(np.float32)])
    top = np.float32(values[-1])
    beyond = np.array([top * 1.01, top * 4, np.inf, -np.inf, np.nan], np.float32)
    return np.concatenate([pts, beyond, -pts])


@pytest.mark.parametrize("name", ML_FLOATS)
def test_encode_boundaries_and_ties_as_ml_dtypes(name):
    x = neighbour_points(name)
    if name == "e8m0fnu":  # see the test below: ml_dtypes rounds fp32 subnormals up
        x = x[~((np.abs(x) < np.finfo(np.float32).tiny) & (x != 0))]
    _compare_encode(name, x)


def test_e8m0_rounds_float32_subnormals_to_nearest():
    """ml_dtypes 0.6 sends every float32 subnormal above 2^-127 to 2^-126 (1.25 * 2^-127
    included); round to nearest gives 2^-127 below the tie at 1.5 * 2^-127."""
    x = np.array([0x00500000, 0x005FFFFF, 0x00600000, 0x00600001], np.uint32).view(np.float32)
    assert list(get_format("e8m0fnu").encode(x)) == [0, 0, 1, 1]


@pytest.mark.parametrize("name", SMALL_FLOATS + ["fp16", "bf16"] + INTS)
def test_roundtrip_and_monotonic_over_all_codes(name):
    fmt = get_format(name)
    codes = fmt.all_codes()
    values = fmt.decode(codes)
    finite = np.isfinite(values)
    back = fmt.encode(values[finite], saturate=True)
    np.testing.assert_array_equal(fmt.decode(back), values[finite])
    ordered = np.sort(values[finite])
    assert np.all(np.diff(np.unique(ordered)) > 0)
    assert len(np.unique(values[finite])) == len(np.unique(ordered))


ORACLE_MODES = {
    "rtz": lambda lo, hi, x: np.where(x >= 0, lo, hi),
    "up": lambda lo, hi, x: hi,
    "down": lambda lo, hi, x: lo,
    "rna": lambda lo, hi, x: np.where(np.abs(x - lo) < np.abs(hi - x), lo,
                                      np.where(np.abs(x - lo) > np.abs(hi - x), hi,
                                               np.where(x >= 0, hi, lo))),
}


@pytest.mark.parametrize("mode", sorted(ORACLE_MODES))
@pytest.mark.parametrize("name", SMALL_FLOATS[:5] + INTS)
def test_directed_and_rna_modes_against_value_table(name, mode):
    """Oracle: the two neighbouring representable values found by searching the table."""
    fmt = get_format(name)
    table = np.unique(fmt.decode(fmt.all_codes()))
    table = table[np.isfinite(table)]
    rng = np.random.default_rng(1)
    x = rng.uniform(table[0], table[-1], 4000)
    x = np.concatenate([x, neighbour_points(name)[:-5].astype(np.float64)])
    x = x[(x >= table[0]) & (x <= table[-1])]
    hi_idx = np.clip(np.searchsorted(table, x, side="left"), 0, len(table) - 1)
    hi = table[hi_idx]
    lo = np.where(hi == x, x, table[np.maximum(hi_idx - 1, 0)])
    expected = np.where(lo == hi, x, ORACLE_MODES[mode](lo, hi, x))
    got = fmt.decode(fmt.encode(x, rounding=mode, saturate=True))
    np.testing.assert_array_equal(got, expected)


def test_stochastic_rounding_is_seeded_unbiased_and_stays_on_neighbours():
    fmt = get_format("fp8_e4m3fn")
    x = np.full(200_000, 1.0 + 0.25 * 0.125)  # a quarter of the way from 1.0 to 1.125
    a = fmt.decode(fmt.encode(x, rounding="stochastic", rng=np.random.default_rng(7)))
    b = fmt.decode(fmt.encode(x, rounding="stochastic", rng=np.random.default_rng(7)))
    np.testing.assert_array_equal(a, b)
    assert set(np.unique(a)) == {1.0, 1.125}
    assert abs(np.mean(a == 1.125) - 0.25) < 0.005
    exact = fmt.encode(np.array([1.125]), rounding="stochastic", rng=np.random.default_rng(0))
    assert fmt.decode(exact)[0] == 1.125


def test_stochastic_rounding_uses_only_random_bits_of_the_fraction():
    fmt = get_format("fp4_e2m1fn")
    x = np.full(1000, 1.0 + 0.5 * 2**-3)  # fraction 2^-3 of an ulp: invisible with 2 bits
    codes = fmt.encode(x, rounding="stochastic", rng=np.random.default_rng(1), random_bits=2)
    assert np.all(fmt.decode(codes) == 1.0)


def test_overflow_policies():
    e4m3, e5m2, fp4 = get_format("fp8_e4m3fn"), get_format("fp8_e5m2"), get_format("fp4_e2m1fn")
    x = np.array([464.0, 465.0, -1e6, np.inf])
    assert np.isnan(e4m3.decode(e4m3.encode(x, saturate=False))[1:]).all()
    assert e4m3.decode(e4m3.encode(x, saturate=False))[0] == 448.0
    np.testing.assert_array_equal(e4m3.decode(e4m3.encode(x)), [448, 448, -448, 448])
    np.testing.assert_array_equal(e5m2.decode(e5m2.encode(np.array([1e6, -1e6]))), [np.inf, -np.inf])
    np.testing.assert_array_equal(e5m2.decode(e5m2.encode([1e6, -1e6], rounding="rtz")),
                                  [57344, -57344])
    np.testing.assert_array_equal(e5m2.decode(e5m2.encode([1e6, -1e6], rounding="up")),
                                  [np.inf, -57344])
    with pytest.raises(ValueError, match="fp4_e2m1fn has no inf or NaN to overflow to"):
        fp4.encode([7.0], saturate=False)


def test_nan_policies():
    fp4, e4m3 = get_format("fp4_e2m1fn"), get_format("fp8_e4m3fn")
    with pytest.raises(ValueError, match="input holds NaN and fp4_e2m1fn has no NaN encoding"):
        fp4.encode([np.nan])
    assert fp4.encode([np.nan], nan="zero")[0] == 0
    with pytest.raises(ValueError, match="nan policy for fp4_e2m1fn must be one of raise, zero"):
        fp4.encode([1.0], nan="keep")
    assert e4m3.encode([np.nan])[0] == 0x7F
    assert get_format("fp32").encode([np.nan])[0] == 0x7FC00000


def test_e8m0_has_no_zero_and_ue4m3_ignores_its_sign_bit():
    e8m0, ue4m3 = get_format("e8m0fnu"), get_format("ue4m3")
    assert list(e8m0.encode([0.0, -1.0, 1.0, 2.0**-130])) == [255, 255, 127, 0]
    assert ue4m3.decode([0x80 | 0x38])[0] == 1.0 and ue4m3.encode([-1.0])[0] == 0


def test_codes_use_the_smallest_unsigned_dtype():
    assert get_format("fp4_e2m1fn").encode([1.0]).dtype == np.uint8
    assert get_format("bf16").encode([1.0]).dtype == np.uint16
    assert get_format("fp32").encode([1.0]).dtype == np.uint32
    assert get_format("int4").encode([-1.0])[0] == 0xF


def test_bad_input_errors_name_value_and_allowed():
    with pytest.raises(ValueError, match="unknown format 'fp7'; known formats: bf16, e8m0fnu"):
        get_format("fp7")
    with pytest.raises(ValueError, match="rounding must be one of down, rna, rne, rtz, stochastic, up"):
        get_format("fp16").encode([1.0], rounding="nearest")
    with pytest.raises(ValueError, match="needs rng=numpy.random.Generator"):
        get_format("fp16").encode([1.0], rounding="stochastic")
    with pytest.raises(ValueError, match="x must hold real numbers"):
        get_format("fp16").encode(np.array([1 + 2j]))
    with pytest.raises(ValueError, match="fp4_e2m1fn codes must lie in 0..15"):
        get_format("fp4_e2m1fn").decode([16])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.floats(allow_nan=False, width=64), min_size=1, max_size=50))
def test_fp32_encode_matches_numpy_cast(values):
    x = np.array(values)
    with np.errstate(over="ignore"):
        expected = x.astype(np.float32)  # numpy's float64 -> float32 cast rounds to nearest even
    got = get_format("fp32").encode(x)
    np.testing.assert_array_equal(got, expected.view(np.uint32))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.floats(allow_nan=False, width=32), min_size=1, max_size=50))
def test_bf16_and_fp16_encode_match_casts_of_float32(values):
    x = np.array(values, np.float32)
    for name in ("bf16", "fp16"):
        np.testing.assert_array_equal(get_format(name).encode(x).astype(np.int64), ml_encode(name, x))
