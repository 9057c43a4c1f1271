"""Strict configs: YAML and Python build the same frozen objects; every mistake is one line."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

import arch
from arch import (
    ACCELERATORS,
    TABLES,
    Accelerator,
    BitSerialArray,
    ConfigError,
    FieldError,
    MXTensorCore,
    SystolicArray,
    from_dict,
    load_accelerator,
    load_energy_table,
    load_yaml,
    to_dict,
)
from arch.tech import NOMINAL_VDD_V, EnergyEntry, scale_energy

GOOD = """\
schema_version: 1
name: tiny
clock_hz: 1.0e+9
unit: {type: systolic, rows: 4, cols: 4, dataflow: os}
weight_buffer: {name: weight_sram, size_bytes: 1024, price_as: sram_8kb}
input_buffer: {name: input_sram, size_bytes: 1024, price_as: sram_8kb}
output_buffer: {name: output_sram, size_bytes: 1024, price_as: sram_8kb}
dram: {bandwidth_bytes_per_s: 1.0e+9}
"""


def _write(tmp_path, text: str):
    path = tmp_path / "acc.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def _error(tmp_path, text: str) -> str:
    with pytest.raises(ConfigError) as info:
        load_accelerator(_write(tmp_path, text))
    message = str(info.value)
    assert "\n" not in message
    return message


def test_yaml_and_python_build_equal_objects(tmp_path):
    acc = load_accelerator(_write(tmp_path, GOOD))
    assert acc.unit == SystolicArray(rows=4, cols=4, dataflow="os")
    assert from_dict(Accelerator, to_dict(acc)) == acc


@pytest.mark.parametrize(("change", "expected"), [
    (("rows: 4", "rows: 0"), "acc.yaml:4: unit.rows: must be a positive integer, not 0"),
    (("rows: 4", "rows: four"), "acc.yaml:4: unit.rows: must be an integer, not 'four'"),
    (("dataflow: os", "dataflow: xy"), "acc.yaml:4: unit.dataflow: must be one of ws, os, is, not 'xy'"),
    (("type: systolic", "type: gpu"),
     "acc.yaml:4: unit.type: must be one of systolic, mx_tensor_core, bitserial"),
    (("clock_hz: 1.0e+9", "clock_hz: -1"), "acc.yaml:3: clock_hz: must be positive, not -1.0"),
    (("name: tiny", "name: tiny\ncolour: red"), "acc.yaml:3: colour: unknown field; allowed:"),
    (("name: tiny", "name: tiny\nname: other"), "acc.yaml:3: duplicate key 'name' (first at line 2)"),
    (("size_bytes: 1024, price_as: sram_8kb}\ninput", "size_bytes: -2}\ninput"),
     "acc.yaml:5: weight_buffer.size_bytes: must be a positive integer, not -2"),
    (("dram: {bandwidth_bytes_per_s: 1.0e+9}", ""), "acc.yaml:1: dram: missing required field"),
    (("unit: {", "unit: [{"), "acc.yaml:5: invalid YAML: expected ',' or ']'"),
])
def test_each_mistake_names_file_line_and_field(tmp_path, change, expected):
    assert expected in _error(tmp_path, GOOD.replace(*change, 1))


def test_missing_file_and_unknown_builtin(tmp_path):
    with pytest.raises(ConfigError, match="cannot read"):
        load_accelerator(tmp_path / "nope.yaml")
    with pytest.raises(ConfigError, match="unknown accelerator 'nope'; built-in: b200, bitmod_ant"):
        load_accelerator("nope")


def test_yaml_is_never_evaluated(tmp_path):
    path = tmp_path / "evil.yaml"
    path.write_text("x: !!python/object/apply:os.system ['true']\n")
    with pytest.raises(ConfigError, match="evil.yaml:1"):
        load_yaml(path)


def test_python_constructors_validate_too():
    with pytest.raises(FieldError, match="rows: must be a positive integer, not 0"):
        SystolicArray(rows=0, cols=4)
    with pytest.raises(FieldError, match="accumulator: must be one of exact_fp32"):
        MXTensorCore(rows=8, cols=8, accumulator="magic")
    with pytest.raises(FieldError, match="rates.mxfp5: unknown block scheme"):
        MXTensorCore(rows=8, cols=8, rates={"mxfp5": 1.0})
    with pytest.raises(FieldError, match="weight_types: must be drawn from"):
        BitSerialArray(rows=8, cols=8, weight_types=("fp5",))


@pytest.mark.parametrize("name", ACCELERATORS)
def test_every_builtin_design_loads_and_every_action_it_emits_is_priced(name):
    from arch.workloads import expand
    from sim import simulate_workload

    acc = load_accelerator(name)
    fmt = "mxfp8_e4m3" if isinstance(acc.unit, MXTensorCore) else "fp16"
    for scope in ("gemm", "layer"):
        workload = expand("opt-1.3b", "decode", weight_format=fmt, kv_format=fmt, scope=scope)
        result = simulate_workload(workload, acc)
        assert result.total_energy_pj > 0
        assert set(result.energy_pj) >= {acc.dram.name, acc.weight_buffer.name}
    assert acc.vector_unit.component in result.energy_pj


PIM_TABLES = sorted((Path(arch.__file__).parent / "data" / "pim" / "energy").glob("*.yaml"))


@pytest.mark.parametrize("name", [*TABLES, *PIM_TABLES])
def test_every_energy_number_has_a_source_and_node(name):
    table = load_energy_table(name)
    assert table.entries
    for entry in table.entries.values():
        assert entry.source.strip() and entry.node_nm in NOMINAL_VDD_V


def test_energy_table_entry_without_source_is_rejected(tmp_path):
    path = tmp_path / "t.yaml"
    path.write_text("name: t\nentries:\n  pe.mac: {energy_pj: 1.0, source: ' ', node_nm: 45}\n")
    with pytest.raises(ConfigError, match="t.yaml:3: entries.pe.mac.source: must cite where"):
        load_energy_table(path)


def test_node_scaling_rule():
    # E ~ L V^2: 45 nm 0.9 V -> 7 nm 0.7 V.
    assert scale_energy(1.0, 45, 7) == pytest.approx(7 / 45 * (0.7 / 0.9) ** 2)
    assert scale_energy(2.0, 28, 28) == 2.0
    table = load_energy_table("horowitz_45nm").scaled_to(7)
    assert "scaled 45 -> 7 nm" in table.entries["fp16_mult.op"].source
    with pytest.raises(FieldError, match="node_nm: must be one of"):
        scale_energy(1.0, 45, 3)


def test_node_scaling_starts_from_the_supply_the_energy_was_measured_at():
    # SKY130's typical corner is 1.8 V, not the 1.3 V nominal of a generic 130 nm process:
    # moving a gate-level SKY130 figure to 45 nm 0.9 V divides it by (1.8/0.9)^2 = 4, not 2.1.
    table = load_energy_table("sky130_calibrated")
    entry = table.entries["mx_pe.mac_mxfp8_e4m3"]
    assert entry.vdd_v == 1.8
    scaled = table.scaled_to(45).entries["mx_pe.mac_mxfp8_e4m3"]
    assert scaled.energy_pj == pytest.approx(entry.energy_pj * 45 / 130 * (0.9 / 1.8) ** 2)
    assert "130 nm at 1.8 V -> 45 nm" in scaled.source and scaled.vdd_v is None
    assert scale_energy(1.0, 130, 45) == pytest.approx(45 / 130 * (0.9 / NOMINAL_VDD_V[130]) ** 2)
    with pytest.raises(FieldError, match="vdd_v: must be a supply"):
        EnergyEntry(1.0, "x", 130, vdd_v=float("inf"))


def test_area_is_pe_array_plus_buffers_when_every_part_is_sourced():
    acc = load_accelerator("bitmod_bitmod")
    assert acc.unit.area_mm2 == pytest.approx(64 * 16 * 1507.7e-6)  # BitMoD's 1.544 mm^2 array
    assert acc.area_mm2 == pytest.approx(64 * 16 * 1507.7e-6 + 3 * 1.602)
    assert acc.area_missing == ()
    systolic = load_accelerator("systolic_32x32_ws")  # no buffer area: said, not dropped
    assert systolic.area_missing == ("weight_sram", "input_sram", "output_sram")
    assert systolic.area_mm2 == pytest.approx(systolic.unit.area_mm2)
    with pytest.raises(FieldError, match="pe_area_um2: must be positive"):
        SystolicArray(rows=2, cols=2, pe_area_um2=0.0)
