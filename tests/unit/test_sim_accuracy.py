"""A design point's accumulator is a numerics model: its choice shows in the GEMM error."""

from __future__ import annotations

import numpy as np
import pytest

from arch import MXTensorCore
from numerics import dot, tensor_core_model
from sim.accuracy import accumulator_models, gemm_accuracy


def _accuracy(accumulator: str, scheme: str = "mxfp8_e4m3"):
    return gemm_accuracy(MXTensorCore(rows=8, cols=8, accumulator=accumulator), scheme, k=512, rows=16)


def test_h100_fp8_truncation_costs_accuracy_that_b200_does_not():
    h100, b200, exact = _accuracy("tensor_core_h100"), _accuracy("tensor_core_b200"), _accuracy("exact_fp32")
    # H100 keeps 13 fraction bits while aligning fp8 products; B200 keeps fp32's 24 and more.
    assert h100.accumulation_qsnr_db < 100 < 130 < b200.accumulation_qsnr_db
    assert exact.accumulation_qsnr_db >= b200.accumulation_qsnr_db - 1
    # The format dominates the total error either way.
    assert h100.qsnr_db == pytest.approx(exact.qsnr_db, abs=0.01)


def test_scheme_sets_the_total_error():
    assert _accuracy("exact_fp32", "mxint8").qsnr_db > _accuracy("exact_fp32", "mxfp8_e4m3").qsnr_db + 5
    assert _accuracy("exact_fp32", "nvfp4").qsnr_db > _accuracy("exact_fp32", "mxfp4").qsnr_db


def test_accumulator_names_map_to_models():
    assert accumulator_models("exact_fp32", "mxfp4")[1] is None
    _, block = accumulator_models("tensor_core_h100", "mxfp8_e5m2")
    assert block == tensor_core_model("h100", "fp8_e5m2")
    assert accumulator_models("tensor_core_b200", "mxint8")[1] == tensor_core_model("b200", "fp16")


def test_nvfp4_blocks_shorter_than_an_fma_group_are_padded_with_idle_lanes():
    model = tensor_core_model("b200", "fp8_e4m3fn")
    a, b = np.arange(16.0)[None] / 4, np.full((1, 16), 0.5)
    assert dot(a, b, model)[0] == np.float32(np.sum(a * b))
