"""LUT-LLM reproduction: our own numbers, checked in.

Regenerate: bitplane reproduce lutllm --out /tmp/lutllm && cp /tmp/lutllm/lutllm.csv tests/golden/data/
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from experiments.cli import main
from experiments.papers import lutllm

GOLDEN = Path(__file__).parent / "data" / "lutllm.csv"


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return lutllm.results()


def test_matches_checked_in_numbers(table):
    golden = pd.read_csv(GOLDEN)
    pd.testing.assert_frame_equal(table, golden, check_dtype=False, rtol=1e-9)


def test_v80_design_row(table):
    row = table.query("system == 'lutllm_v80' and input_len == 128").iloc[0]
    # the bar: within 15 % of the paper's 1.410 s (and of the artifact's reference table)
    assert row.e2e_latency_s == pytest.approx(lutllm.PAPER_E2E_S, rel=0.15)
    assert row.e2e_latency_s == pytest.approx(row.paper_e2e_latency_s, rel=0.15)
    # static power: the V80's 22.036 W of its 62.751 W for the whole run
    assert row.static_energy_j == pytest.approx(row.energy_j * 22.036 / 62.751)
    assert row.fits and row.binding_resource == "dsp"
    assert row.paper_e2e_latency_s == 1.4506
    # The bandwidth bound of the same dataflow (loads overlapped at 820 GB/s) is well below.
    bound = table.query("system == 'lutllm_v80_bw' and input_len == 128").iloc[0]
    assert bound.e2e_latency_s < 0.5 * row.e2e_latency_s


def test_gpu_rooflines_are_bandwidth_bound(table):
    gpu = table[table.kind == "gpu_roofline"].set_index(["system", "input_len"])
    # Decode step = BF16 weights (+ LM head) + KV cache over the data-sheet bandwidth.
    assert gpu.loc[("mi210", 128), "decode_step_s"] == pytest.approx(2.1e-3, rel=0.03)
    ratio = gpu.loc[("mi210", 128), "decode_step_s"] / gpu.loc[("a100", 128), "decode_step_s"]
    assert ratio == pytest.approx(1935 / 1638.4, rel=1e-3)


def test_resources_next_to_the_artifacts_vivado_report(table):
    row = table.query("system == 'lutllm_v80' and input_len == 128").iloc[0]
    report = lutllm.ARTIFACT_RESOURCES
    # the bar (25 %) holds for LUTs and BRAM; URAM stays outside (see the summary)
    assert row.lut_used == pytest.approx(report["lut"], rel=0.25)
    assert row.bram_used == pytest.approx(report["bram"], rel=0.25)
    assert 0.5 * report["uram"] < row.uram_used < report["uram"]


def test_qkv_and_attention_pipelined_over_kv_heads():
    from dataclasses import replace

    from arch.units.fpga_lut import load_lut_design
    from arch.workloads import expand
    from sim.lut import simulate_lut
    acc = load_lut_design("lutllm_v80")
    workload = expand("qwen3-1.7b", "decode", 1, 255, kv_bits=32)
    serial = simulate_lut(workload, replace(acc, overlap_qkv_attention=False))
    piped = simulate_lut(workload, acc)
    by_name = {op.name: op.cycles for op in serial.ops}
    qkv = by_name["attn.q"] + by_name["attn.k"] + by_name["attn.v"]
    attention = by_name["attn.score"] + by_name["attn.context"]
    # Qwen3-1.7B has 8 KV heads: the shorter side is hidden but for one head group's share
    merged = next(op for op in piped.ops if op.name == "attn.qkv+attention")
    assert merged.cycles == max(qkv, attention) + -(-min(qkv, attention) // 8)
    assert serial.cycles - piped.cycles == qkv + attention - merged.cycles
    assert piped.total_energy_pj < serial.total_energy_pj  # power x a shorter time


def test_calibrated_mi210_reproduces_its_measurement_and_sets_the_ratio(table):
    cal = table.query("system == 'mi210_calibrated' and input_len == 128").iloc[0]
    assert cal.e2e_latency_s == pytest.approx(1.66 * 1.410)
    roof = table.query("system == 'mi210' and input_len == 128").iloc[0]
    assert cal.gpu_efficiency == pytest.approx(roof.e2e_latency_s / cal.e2e_latency_s)
    row = table.query("system == 'lutllm_v80' and input_len == 128").iloc[0]
    assert row.latency_vs_mi210 == pytest.approx(cal.e2e_latency_s / row.e2e_latency_s)
    roofline = lutllm.results("roofline").query("system == 'lutllm_v80' and input_len == 128").iloc[0]
    assert roofline.latency_vs_mi210 == pytest.approx(roof.e2e_latency_s / row.e2e_latency_s)


def test_cli_writes_csv_plot_and_summary(tmp_path):
    assert main(["reproduce", "lutllm", "--out", str(tmp_path)]) == 0
    frame = pd.read_csv(tmp_path / "lutllm.csv")
    assert {"e2e_latency_s", "latency_vs_mi210", "efficiency_vs_a100", "lut_used"} <= set(frame.columns)
    assert (tmp_path / "lutllm_latency.png").stat().st_size > 10_000
    text = (tmp_path / "lutllm_summary.md").read_text()
    assert "Where we differ from the paper and why" in text and "1.66" in text and "1.72" in text
