"""BitMoD reproduction: our own numbers (regenerate: bitplane reproduce bitmod --out tests/golden/data)
and the figures BitMoD's simulator gives for the same configuration."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from experiments.cli import main
from experiments.papers import bitmod

GOLDEN = Path(__file__).parent / "data" / "bitmod.csv"


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return bitmod.results()


def test_matches_checked_in_numbers(table):
    golden = pd.read_csv(GOLDEN)
    pd.testing.assert_frame_equal(table, golden, check_dtype=False, rtol=1e-12)


def test_fp16_decode_step_equals_bitmod_simulator(table):
    # BitMoD's simulator (abdelfattah-lab/BitMoD-HPCA-25 at HEAD) on Llama-2-7B, 64x12 FP16 array.
    row = table.query("model == 'llama-2-7b' and design == 'fp16' and phase == 'decode'")
    assert int(row.cycles.iloc[0]) == 417_344_208


def test_task_speedups_match_bitmod_simulator_and_paper_claims(table):
    tasks = bitmod.task_speedups(table)
    # BitMoD's simulator, same configuration: lossy 3.07x / 4.37x over FP16.
    assert tasks.loc["discriminative", "bitmod_lossy"] == pytest.approx(3.07, abs=0.01)
    assert tasks.loc["generative", "bitmod_lossy"] == pytest.approx(4.37, abs=0.01)
    over_ant = (tasks["bitmod_lossy"] / tasks["ant"]).mean()
    over_olive = (tasks["bitmod_lossy"] / tasks["olive"]).mean()
    assert over_ant == pytest.approx(1.69, abs=0.05) and over_olive == pytest.approx(1.48, abs=0.05)


def test_bit_serial_cycles_follow_weight_precision(table):
    decode = table[table.phase == "decode"].pivot(index="model", columns="design", values="cycles")
    # 6.0625 bits take 3 cycles per pass, 3.0625 take 2: lossless is slower than lossy everywhere.
    assert (decode.bitmod_lossless > decode.bitmod_lossy).all()
    assert (decode.fp16 > decode.ant).all()


def test_cli_writes_csv_plot_and_summary(tmp_path, capsys):
    assert main(["reproduce", "bitmod", "--out", str(tmp_path)]) == 0
    frame = pd.read_csv(tmp_path / "bitmod.csv")
    assert list(frame.columns) == ["model", "design", "phase", "cycles", "energy_pj"]
    assert len(frame) == 6 * 5 * 2
    assert (tmp_path / "bitmod_speedup.png").stat().st_size > 10_000
    assert "paper 1.69x" in (tmp_path / "bitmod_summary.md").read_text()


# --- the paper-figure profile: the older simulator configuration behind the paper's Fig. 7 ------

PAPER_FIGURE_GOLDEN = Path(__file__).parent / "data" / "bitmod_paper-figure.csv"


@pytest.fixture(scope="module")
def figure_table() -> pd.DataFrame:
    return bitmod.results("paper-figure")


def test_paper_figure_matches_checked_in_numbers(figure_table):
    golden = pd.read_csv(PAPER_FIGURE_GOLDEN)
    pd.testing.assert_frame_equal(figure_table, golden, check_dtype=False, rtol=1e-12)


def test_paper_figure_profile_within_5_percent_of_every_figure_cell(figure_table):
    deviation = bitmod.figure_deviation(figure_table)
    assert deviation.notna().all() and len(deviation) == 60
    assert deviation.abs().max() <= 0.05, deviation.abs().sort_values().tail()


def test_paper_figure_profile_gives_the_figure_means(figure_table):
    tasks = bitmod.task_speedups(figure_table)
    # Fig. 7 annotations: BitMoD lossy 2.82x (discriminative) and 4.18x (generative) over FP16.
    assert tasks.loc["discriminative", "bitmod_lossy"] == pytest.approx(2.82, abs=0.005)
    assert tasks.loc["generative", "bitmod_lossy"] == pytest.approx(4.18, abs=0.005)


def test_current_simulator_profile_is_not_the_figure(table):
    # The comparison can fail: the current configuration misses the figure by far more than 5 %.
    assert bitmod.figure_deviation(table).abs().max() > 0.2


def test_figure_attention_sizes_the_input_from_the_kv_width():
    # Llama-3-8B (GQA, kv_dim 1024 of hidden 4096): the older simulator read heads x kv_dim
    # FP16 values as the score matmul's input in decode, 32 x 1024 x 2 bytes per layer.
    score, context = bitmod.figure_attention_ops("llama-3-8b", "decode")
    assert (score.m, score.k, score.n) == (32, 4096, 1)
    assert score.m * score.k * score.a_bits / 8 == 32 * 1024 * 2
    assert (context.m, context.k, context.n) == (1, 256, 32)


def test_cli_profile_writes_profile_files_and_rejects_unknown(tmp_path, capsys):
    assert main(["reproduce", "bitmod", "--profile", "paper-figure", "--out", str(tmp_path)]) == 0
    assert "largest deviation 0.00%" in (tmp_path / "bitmod_paper-figure_summary.md").read_text()
    assert main(["reproduce", "bitmod", "--profile", "fig7", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "--profile for bitmod must be one of paper-figure, simulator, not 'fig7'" in err
    assert main(["reproduce", "int-vs-fp", "--profile", "x", "--out", str(tmp_path)]) == 2
    assert "--profile: int-vs-fp has no profiles (got 'x')" in capsys.readouterr().err
