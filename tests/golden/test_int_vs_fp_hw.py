"""The INT v.s. FP hardware table: the paper's gate-count model (hand-checked numbers), the
table's structure, the per-MAC normalisation of gate-level rows, and the cell factors."""

from __future__ import annotations

import gzip
import json
import math
from pathlib import Path

import pytest

from experiments.papers import int_vs_fp_hw as hw
from experiments.papers.int_vs_fp_table import COLUMNS, hardware_frame, ratio_frame
from rtl_models.models.ivf_dot import CONFIGS

LIBERTY = Path(__file__).resolve().parents[3] / "shared" / "data" / "liberty" / \
    "sky130_fd_sc_hd__tt_025C_1v80.lib.gz"
MAC = 6.256 + 20.0192 + 12.512  # one multiplier unit: AND + FA + HA (sky130_fd_sc_hd, um^2)
ADD = 20.0192 + 12.512          # one adder unit: FA + HA


def test_aligner_width_is_eq44_and_the_rtl_uses_it():
    assert {f: hw.FORMATS[f].n for f in ("mxfp8_e4m3", "nvfp4")} == {"mxfp8_e4m3": 24, "nvfp4": 10}
    assert {c.scheme: c.window for c in CONFIGS} == {"mxint8": None, "mxfp8_e4m3": 24,
                                                      "nvint4": None, "nvfp4": 10}


def test_table6_counts_by_hand():
    fp8 = {s: c for s, (c, _) in hw.mac_counts(hw.FORMATS["mxfp8_e4m3"]).items()}
    nlog = 24 * math.log2(24)
    assert fp8 == pytest.approx({"multiplier": 32 * 16, "exp_adder": 32 * 4, "adder": 32 * 24,
                                 "exp_sub": 32 * 4, "comparator": 32 * 4, "aligner": 32 * nlog,
                                 "normalizer": nlog})
    int8 = {s: c for s, (c, _) in hw.mac_counts(hw.FORMATS["mxint8"]).items()}
    assert int8 == {"multiplier": 32 * 64, "adder": 2 * 32 * 8}


def test_nvint4_per_lane_cost_by_hand():
    cost = hw.single_cost("nvint4")
    a = cost.area_by_block_um2
    assert a["multiplier"] == pytest.approx(16 * MAC)       # k (y+1)^2 / k, y = 3
    assert a["adder"] == pytest.approx(8 * ADD)             # 2k (y+1) / k
    assert a["dequantizer"] == pytest.approx(32 * MAC / 16)  # two 4x4 significand products
    nlog = 24 * math.log2(24)
    acc = (24 * ADD + 8 * (8.7584 + ADD) + 8 * (8.7584 + 2 * 6.256) + nlog * 11.2608
           + nlog * (11.2608 + 6.256)) / 16
    assert sum(v for s, v in a.items() if s.startswith("acc32_")) == pytest.approx(acc)


def test_mixed_int_area_is_two_units_of_int8_by_int4_lanes():
    cost = hw.mixed_cost("mxint8+nvint4")
    assert cost.area_by_block_um2["multiplier"] == pytest.approx(64 * 32 * MAC)
    assert cost.area_by_block_um2["adder"] == pytest.approx(64 * 12 * ADD)
    with pytest.raises(ValueError, match="unknown mixed configuration 'x'"):
        hw.mixed_cost("x")


@pytest.mark.skipif(not LIBERTY.is_file(), reason="the SKY130 Liberty file is not beside the checkout")
def test_cell_factors_are_the_liberty_files(tmp_path):
    lib = tmp_path / "lib"
    lib.write_bytes(gzip.decompress(LIBERTY.read_bytes()))
    assert hw.cell_factors_from_liberty(lib) == hw.CELLS


def test_table_without_gate_level_results(tmp_path):
    frame = hardware_frame(tmp_path / "absent.json")
    assert list(frame.columns) == list(COLUMNS)
    assert set(frame.method) == {"analytic", "paper"}
    paper = frame[frame.method == "paper"].set_index("format")
    assert paper.loc["mxint8", "energy_ratio"] == 0.63 and paper.loc["nvint4", "area_ratio"] == 0.38
    totals = frame[(frame.method == "analytic") & (frame.block == "total")].set_index("format")
    assert totals.loc["mxfp8_e4m3", "area_ratio"] == 1.0
    parts = frame[(frame.method == "analytic") & (frame.unit == "ivf_mxint8") & (frame.block != "total")]
    assert parts.area_um2.sum() == pytest.approx(totals.loc["mxint8", "area_um2"])
    ratios = ratio_frame(frame)
    assert ratios[["gate-level", "gate-level array"]].isna().all().all()
    single = ratios[~ratios.ratio.str.startswith("ivf_mix")]
    assert len(single) == 10 and single.explained_by.str.startswith("analytic").all()


def _fake_flow(path: Path) -> Path:
    """Booth rows as given; array rows (no 'multipliers' field) with twice the multiplier area."""
    row = dict(unit="ivf_dot", op="block", ops_per_cycle=1, fmax_mhz=100.0, leakage_uw=1.0,
               method="gate-level", liberty="sky130_fd_sc_hd__tt_025C_1v80", multipliers="booth")
    rows = [row | dict(name="ivf_mxfp8_e4m3", area_um2=32000.0, energy_pj_per_op={"gaussian": 64.0},
                       area_by_block_um2={"ivf_mul": 6400.0, "ivf_align": 16000.0, "registers": 9600.0}),
            row | dict(name="ivf_mxint8", area_um2=25600.0, energy_pj_per_op={"gaussian": 32.0},
                       area_by_block_um2={"ivf_mul": 16000.0, "registers": 9600.0}),
            row | dict(name="ivf_mix_as_mxint8", area_um2=38400.0, energy_pj_per_op={"gaussian": 48.0},
                       area_by_block_um2={"ivf_mul": 16000.0, "ivf_align": 12800.0, "registers": 9600.0})]
    def array(r):
        mul = r["area_by_block_um2"]["ivf_mul"]
        return {k: v for k, v in r.items() if k != "multipliers"} | {
            "area_um2": r["area_um2"] + mul,
            "area_by_block_um2": r["area_by_block_um2"] | {"ivf_mul": 2 * mul}}

    path.write_text(json.dumps({"rows": rows + [array(r) for r in rows]}))
    return path


def test_gate_level_rows_are_per_mac_and_explained(tmp_path):
    frame = hardware_frame(_fake_flow(tmp_path / "sky130.json"))
    gate = frame[(frame.method == "gate-level") & (frame.block == "total")
                 & (frame.multipliers == "booth")].set_index("unit")
    assert gate.loc["ivf_mxint8", "area_um2"] == 800.0 and gate.loc["ivf_mxint8", "energy_pj_per_op"] == 1.0
    assert gate.loc["ivf_mxint8", "area_ratio"] == 0.8 and gate.loc["ivf_mxint8", "energy_ratio"] == 0.5
    ratios = ratio_frame(frame).set_index(["ratio", "quantity"])
    energy = ratios.loc[("mxint8 / mxfp8_e4m3", "energy")]
    assert energy["gate-level"] == 0.5 and energy.gate_level_vs_paper == pytest.approx(0.5 / 0.63 - 1)
    area = ratios.loc[("mxint8 / mxfp8_e4m3", "area")]
    assert area.explained_by == "gate-level: ivf_align 0 vs 500 um^2; ivf_mul 500 vs 200 um^2"
    # the array mapping's ratios stand beside the Booth ones: (25600 + 16000) / (32000 + 6400)
    assert area["gate-level array"] == pytest.approx(41600 / 38400)
    mix = ratios.loc[("ivf_mix_as_mxint8 / ivf_mxint8", "area")]
    assert mix["gate-level"] == 1.5 and math.isnan(mix.paper)
    assert mix.explained_by.startswith("gate-level: ivf_align 400 vs 0 um^2; ")
