"""GEMM validation against published measurements (regenerate: bitplane reproduce gemm-validation
--out DIR, then copy DIR/gemm_validation.csv to tests/golden/data/)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from experiments.cli import main
from experiments.papers import gemm_validation

GOLDEN = Path(__file__).parent / "data" / "gemm_validation.csv"


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return gemm_validation.results()


def test_every_measurement_has_a_source_and_is_compared(table):
    sets = gemm_validation.load_sets()
    assert all(s.source.strip() for s in sets)
    assert len(table) == sum(len(s.gemms) for s in sets) == 28


def test_error_is_predicted_over_measured(table):
    ratio = table.predicted_tflops / table.measured_tflops - 1
    assert table.error.to_numpy() == pytest.approx(ratio.to_numpy())
    assert (table.within == (table.error.abs() <= 0.15)).all()
    # The model never predicts more than the derated peak: 80 % of 1978.9 TFLOPS (FP8, H800).
    assert table.predicted_tflops.max() <= 0.8 * 132 * 4096 * 2 * 1.83e9 / 1e12 + 1e-6


def test_count_within_tolerance_and_pinned_shapes(table):
    # 11 of 28 within 15 % (the goal of 80 % is not met; the summary names the rest).
    assert int(table.within.sum()) == 11
    row = table.set_index(["table", "groups", "m", "n", "k"])
    big = row.loc[("normal", 1, 4096, 7168, 16384)]  # compute-bound, 128x128 tiles, 14 waves
    assert big.bound == "compute" and big.within and big.predicted_tflops == pytest.approx(1516.83, abs=0.05)
    stream = row.loc[("normal", 1, 64, 7168, 16384)]  # weight streaming at 85 % of 3.35 TB/s
    assert stream.bound == "hbm" and stream.predicted_tflops == pytest.approx(349.14, abs=0.05)
    masked = row.loc[("masked", 1, 1024, 7168, 2048)]  # the model's worst over-prediction class
    assert not masked.within and masked.error == pytest.approx(0.3928, abs=5e-4)
    assert set(table.bound) <= {"compute", "hbm", "l2", "latency"}


def test_sensitivity_names_every_estimated_figure():
    sens = gemm_validation.sensitivity(factors=(2.0,))
    assert list(sens.figure) == list(gemm_validation.ESTIMATES)
    assert (sens.within <= sens.of).all()


def test_predictions_match_checked_in_numbers(table):
    golden = pd.read_csv(GOLDEN)
    pd.testing.assert_frame_equal(table, golden, check_dtype=False, rtol=1e-9)


def test_reproduce_target_writes_the_error_table(tmp_path, capsys):
    assert main(["reproduce", "gemm-validation", "--out", str(tmp_path)]) == 0
    summary = (tmp_path / "gemm_validation_summary.md").read_text()
    assert "Within 15%: 11 of 28" in summary and "## Outside 15%" in summary and "64x2112x7168" in summary
    assert "## Sensitivity to the estimated figures" in summary and "l2_bytes_per_cycle" in summary


def test_end_to_end_runs_have_sources_and_pinned_predictions():
    from experiments.papers import serving_validation

    table = serving_validation.results().set_index("run")
    assert len(table) == 6 and table.source.str.contains("TensorRT-LLM").all()
    # Prefill latency at batch 1: the model has no serving runtime, so it is faster than measured.
    assert table.loc["ttft_in128", "predicted"] == pytest.approx(3.0574, abs=5e-4)
    assert table.loc["ttft_in2048", "error"] < 0
    # Static-batch throughput (one prefill, then decode steps at the mean context).
    assert table.loc["tput_2048_2048", "predicted"] == pytest.approx(2829.07, abs=0.05)
    assert table.loc["tput_128_128", "error"] == pytest.approx(0.2687, abs=5e-4)


def test_an_unknown_serving_metric_is_one_clear_error(tmp_path):
    from arch import ConfigError
    from experiments.papers import serving_validation

    bad = tmp_path / "runs.yaml"
    bad.write_text("schema_version: 1\nruns:\n"
                   "  - {name: x, design: h800, model: llama-2-7b, format: fp8_e4m3fn,\n"
                   "     batch: 1, input_len: 8, output_len: 1, metric: joules, measured: 1, source: s}\n")
    with pytest.raises(ConfigError, match="metric: must be one of first_token_ms, output_tokens_per_s"):
        serving_validation.load_runs(bad)
