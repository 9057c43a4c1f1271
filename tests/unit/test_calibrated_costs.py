"""The MX tensor core priced from our own gate-level runs: what the simulator charges, by
component, and what it says about timing and area."""

from __future__ import annotations

import math

import pytest

from arch import ACCELERATORS, load_accelerator
from arch.tech import load_energy_table
from arch.units import SmTensorCore
from arch.workloads import expand
from experiments.cli import main
from sim import simulate_workload


@pytest.fixture(scope="module")
def mx_decode():
    acc = load_accelerator("mx_tensor_core")
    return acc, simulate_workload(expand("llama-2-7b", "decode", weight_format="nvfp4",
                                         kv_format="mxfp8_e4m3"), acc)


def test_energy_breakdown_shows_compute_scales_quantizer_sram_and_dram_apart(mx_decode):
    _, result = mx_decode
    parts = result.energy_pj
    for component in ("mx_pe", "mx_scale", "mx_quant", "weight_sram", "input_sram", "dram"):
        assert parts[component] > 0, component
    assert math.isclose(sum(parts.values()), result.total_energy_pj)


def test_mx_compute_is_priced_from_gate_level_runs_and_dram_as_hbm(mx_decode):
    acc, result = mx_decode
    table = acc.energy
    for key in ("mx_pe.mac_nvfp4", "mx_scale.block_nvfp4", "mx_quant.element_mxfp8_e4m3",
                "mx_pe.mac_mxint8", "mx_scale.block_mxfp8_e4m3"):
        entry = table.entries[key]
        assert entry.source.startswith(("gate-level", "stand-in")) and entry.node_nm == 130, key
        assert entry.fmax_mhz > 0
    assert table.entries["mx_scale.block_nvfp4"].energy_pj != table.entries[
        "mx_scale.block_mxfp4"].energy_pj  # UE4M3 multiply path vs E8M0 exponent add
    dram_bits = sum(op.actions.get(f"dram.{kind}_bit", 0) for op in result.ops
                    for kind in ("read", "write"))
    assert result.energy_pj["dram"] == pytest.approx(dram_bits * 3.59, rel=1e-6)


def test_the_estimates_are_gone_from_the_mx_design():
    acc = load_accelerator("mx_tensor_core")
    calibrated = load_energy_table("sky130_calibrated")
    assert all(e.source.startswith(("gate-level", "stand-in")) for e in calibrated.entries.values())
    # every block-scaled action is priced by the calibrated table; the 45 nm estimates price
    # only the FP16/BF16 path, which has no unit in RTL
    merged = acc.energy
    for scheme in (s for s in acc.unit.rates if s not in ("fp16", "bf16")):
        for key in (f"mx_pe.mac_{scheme}", f"mx_scale.block_{scheme}", f"mx_quant.element_{scheme}"):
            assert merged.entries[key] == calibrated.entries[key], key
    assert merged.entries["mx_pe.mac_fp16"].source.startswith("estimate")


def test_a_unit_that_cannot_close_timing_is_flagged(capsys):
    assert main(["simulate", "mx_tensor_core", "llama-2-7b", "--phase", "decode",
                 "--weight-format", "mxfp4", "--kv-format", "mxfp8_e4m3"]) == 0
    out = capsys.readouterr().out
    assert "timing: mx_pe.mac_mxfp4: fmax" in out and "< clock 1800 MHz" in out
    assert "energy by component (pJ): dram" in out and "mx_quant" in out and "mx_scale" in out


def test_every_builtin_design_has_a_real_area_and_names_what_it_lacks():
    for name in ACCELERATORS:
        acc = load_accelerator(name)
        assert set(acc.area_missing) <= set(acc.area_parts_mm2), name
        if isinstance(acc.unit, SmTensorCore):  # GPU dies: no area model, every part named missing
            assert set(acc.area_missing) == set(acc.area_parts_mm2), name
            continue
        assert acc.area_mm2 > 0, name
    mx = load_accelerator("mx_tensor_core")
    assert mx.area_parts_mm2["mx_pe"] == pytest.approx(64 * mx.unit.dot_unit_area_um2 / 1e6)


def test_design_areas_are_the_committed_synthesis_rows():
    from rtl_models import physical

    rows = {r["name"]: r for r in physical.load()["rows"]}
    mx = load_accelerator("mx_tensor_core").unit
    assert mx.dot_unit_area_um2 == rows["dot_mxfp8_e4m3_exact"]["area_um2"]
    systolic = load_accelerator("systolic_32x32_ws").unit
    assert systolic.pe_area_um2 == rows["pim_mac_fp16_bf16"]["area_um2"]
