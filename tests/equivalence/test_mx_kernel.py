"""The numba MX kernel against its numpy reference, code for code."""

from __future__ import annotations

import numpy as np
import pytest

from numerics import SCHEMES
from numerics._mx_kernel import mx_quantize
from numerics.blocks import mx_quantize_reference

MX = [name for name, s in SCHEMES.items() if s.family == "mx"]


def _inputs() -> np.ndarray:
    rng = np.random.default_rng(11)
    normal = rng.standard_normal((300, 32)) * np.exp2(rng.integers(-140, 120, (300, 1)))
    bits = rng.integers(0, 2**32, (400, 32), dtype=np.uint64).astype(np.uint32).view(np.float32)
    x = np.concatenate([normal.astype(np.float32), bits, np.zeros((2, 32), np.float32)])
    x[5, 3], x[6, 7], x[8, 0] = np.nan, -np.inf, -0.0
    x[7] = np.arange(32, dtype=np.uint32).view(np.float32)  # float32 subnormals
    return x


@pytest.mark.parametrize("rule", ["floor", "ceil", "even", "rceil"])
@pytest.mark.parametrize("scheme", MX)
def test_numba_kernel_matches_numpy_reference(scheme, rule):
    x = _inputs()
    element = SCHEMES[scheme].element
    codes, scales = mx_quantize(x, element, rule)
    with np.errstate(over="ignore", invalid="ignore"):
        ref_codes, ref_scales = mx_quantize_reference(x, element, rule)
    np.testing.assert_array_equal(scales, ref_scales)
    np.testing.assert_array_equal(codes, ref_codes)
