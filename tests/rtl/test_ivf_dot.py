"""ivf_dot's model on hand-worked vectors (the E4M3 window truncates, the integer and FP4
lanes are exact), and a long RTL run behind -m slow."""

from __future__ import annotations

import numpy as np
import pytest

from numerics import ExactFP32
from rtl_models import check
from rtl_models.models.ivf_dot import CONFIGS, ivf_model

from .conftest import SEED

CFG = {c.scheme: c for c in CONFIGS}


def _row(codes, k):
    out = np.zeros((1, k), np.uint64)
    out[0, :len(codes)] = codes
    return out


def test_e4m3_window_drops_what_falls_below_it():
    # 448 * 448 = 2^17 * 1.53...: the product exponent 8 + 8 puts the window's last place at
    # 2^(16 + 2 - 24) = 2^-6, so -3 * 2^-8 (0x86 * 1.0) is cut to zero, 1.5 * 1.0 stays.
    a, b = _row([0x7E, 0x3C, 0x86], 32), _row([0x7E, 0x38, 0x38], 32)
    x = np.array([127], np.uint64)
    assert ivf_model(CFG["mxfp8_e4m3"], a, b, x, x)[0] == np.float32(200705.5)
    exact = ExactFP32().accumulate(np.array([[448.0 * 448.0, 1.5, -3 * 2.0**-8]]))[0]
    assert exact == np.float32(200705.484375)  # one FP32 rounding of the exact sum differs


def test_integer_and_fp4_lanes_are_exact_sums_rounded_once():
    rng = np.random.default_rng(SEED)
    for scheme in ("mxint8", "nvint4", "nvfp4"):
        cfg = CFG[scheme]
        elem, k = cfg.block.element, cfg.block.block_size
        a = rng.integers(0, 1 << elem.bits, (200, k)).astype(np.uint64)
        b = rng.integers(0, 1 << elem.bits, (200, k)).astype(np.uint64)
        xa = rng.integers(100, 130 if scheme == "mxint8" else 0x7E, 200).astype(np.uint64)
        terms = elem.decode(a) * elem.decode(b) * (cfg.block.scale.decode(xa) ** 2)[:, None]
        want = ExactFP32().accumulate(terms)
        got = ivf_model(cfg, a, b, xa, xa)
        assert (got == want).all(), scheme


def test_nan_element_or_scale_gives_nan_and_zero_is_positive():
    cfg = CFG["mxfp8_e4m3"]
    a, b = _row([0x7F], 32), _row([0x38], 32)
    x = np.array([127], np.uint64)
    assert np.isnan(ivf_model(cfg, a, b, x, x)[0])
    assert np.isnan(ivf_model(cfg, b, b, np.array([255], np.uint64), x)[0])
    zero = ivf_model(cfg, _row([0xB8, 0x38], 32), _row([0x38, 0x38], 32), x, x)[0]
    assert zero == 0 and not np.signbit(zero)


@pytest.mark.slow
def test_ivf_dot_long_run_on_verilator():
    r = check("ivf_dot", "verilator", 400_000, SEED + 1)
    assert r.ok, f"{r.mismatches} mismatches; first: {r.first_mismatch}"


def test_mixed_unit_blocks_switch_format_and_each_follows_its_own_model():
    from rtl_models.models.ivf_mix import mix_inputs, mix_model

    inputs = mix_inputs(400, np.random.default_rng(SEED))
    sel = inputs["is_int"]
    assert set(sel.tolist()) == {0, 1} and (np.diff(sel.astype(np.int64)) != 0).sum() > 100
    got = mix_model(inputs)
    for is_int, scheme in ((1, "mxint8"), (0, "mxfp8_e4m3")):
        rows = sel == is_int
        want = ivf_model(CFG[scheme], inputs["a"][rows], inputs["b"][rows], inputs["xa"][rows],
                         inputs["xb"][rows])
        np.testing.assert_array_equal(got[rows].view(np.uint32), want.view(np.uint32))
