"""The numba MX kernel against its numpy reference, code for code."""

from __future__ import annotations

import numpy as np
import pytest

from numerics import SCHEMES, quantize
from numerics._mx_kernel import mx_quantize
from numerics.blocks import mx_quantize_reference

MX = [name for name, s in SCHEMES.items() if s.family == "mx"]
SPECIALS = np.array([0x7F800001, 0xFFA00000, 0x7FC00000, 0x7F800000, 0xFF800000, 0x80000000,
                     0x00000001, 0x807FFFFF, 0x00800000, 0x7F7FFFFF, 0xFF7FFFFF],
                    np.uint32).view(np.float32)  # sNaN, -NaN, qNaN, +-inf, -0, subnormals, ...


def _inputs() -> np.ndarray:
    """721 blocks (not a whole number of the kernel's 64-block chunks)."""
    rng = np.random.default_rng(11)
    normal = rng.standard_normal((300, 32)) * np.exp2(rng.integers(-140, 120, (300, 1)))
    bits = rng.integers(0, 2**32, (400, 32), dtype=np.uint64).astype(np.uint32).view(np.float32)
    top = np.float32(np.ldexp(rng.uniform(1, 2, (19, 32)), 127))  # shared exponents near +127
    x = np.concatenate([normal.astype(np.float32), bits, top, np.zeros((2, 32), np.float32)])
    x[5, 3], x[6, 7], x[8, 0] = np.nan, -np.inf, -0.0
    x[7] = np.arange(32, dtype=np.uint32).view(np.float32)  # float32 subnormals
    x[9, :SPECIALS.size] = SPECIALS
    x[10, :4] = SPECIALS[[0, 1, 3, 4]]
    return x


def _element_ties(scheme: str) -> np.ndarray:
    """Blocks whose elements are every grid value, every tie between neighbours and the
    float32 numbers one ulp beside each tie, for shared exponents -120, 0 and 100."""
    element = SCHEMES[scheme].element
    grid = np.unique(np.abs(element.decode(element.all_codes())))
    grid = grid[np.isfinite(grid)]
    values = np.concatenate([grid, (grid[1:] + grid[:-1]) / 2])
    values = np.float32(np.concatenate([values, -values]))
    values = np.concatenate([values, np.nextafter(values, np.float32(0)),
                             np.nextafter(values, np.float32(np.inf))])
    rows = []
    for shared in (-120, 0, 100):
        v = np.float32(np.ldexp(values.astype(np.float64), shared))
        pad = -v.size % 31
        v = np.concatenate([v, np.zeros(pad, np.float32)]).reshape(-1, 31)
        amax = np.full((v.shape[0], 1), np.float32(np.ldexp(element.max_value, shared)))
        rows.append(np.concatenate([amax, v], 1))  # amax fixes the shared exponent
    return np.concatenate(rows)


def _assert_same(x, scheme, rule):
    element = SCHEMES[scheme].element
    codes, scales = mx_quantize(x, element, rule)
    with np.errstate(over="ignore", invalid="ignore"):
        ref_codes, ref_scales = mx_quantize_reference(x, element, rule)
    np.testing.assert_array_equal(scales, ref_scales)
    np.testing.assert_array_equal(codes, ref_codes)


@pytest.mark.parametrize("rule", ["floor", "ceil", "even", "rceil"])
@pytest.mark.parametrize("scheme", MX)
def test_numba_kernel_matches_numpy_reference(scheme, rule):
    _assert_same(_inputs(), scheme, rule)


@pytest.mark.parametrize("scheme", MX)
def test_numba_kernel_matches_numpy_reference_at_element_ties(scheme):
    _assert_same(_element_ties(scheme), scheme, "floor")


def test_ragged_shapes_and_axes_agree_through_quantize():
    x = _inputs()[:690].reshape(3, 5, 46, 32).transpose(0, 3, 2, 1)  # blocks on axis 1
    numba_q = quantize(x, "mxfp6_e3m2", axis=1)
    with np.errstate(over="ignore", invalid="ignore"):
        numpy_q = quantize(x, "mxfp6_e3m2", axis=1, kernel="numpy")
    np.testing.assert_array_equal(numba_q.codes, numpy_q.codes)
    np.testing.assert_array_equal(numba_q.scales, numpy_q.scales)
    assert numba_q.scales.shape == (3, 1, 46, 5)
