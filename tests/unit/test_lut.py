"""FPGA LUT units: device data, resource fit with the binding resource, cycle arithmetic by hand."""

from __future__ import annotations

import textwrap
from dataclasses import replace

import pytest

from arch.config import ConfigError, FieldError
from arch.fpga import FPGAS, GPUS, load_fpga, load_gpu
from arch.units.fpga_lut import LutUnit, ResourceUse, fit, load_lut_design, max_units, unit_resources
from sim.lut import end_to_end, gpu_step_s, linear_load_bytes, lut_linear


@pytest.fixture(scope="module")
def acc():
    return load_lut_design("lutllm_v80")


def test_builtin_devices_load_with_sources():
    assert set(FPGAS) >= {"v80", "u280"} and set(GPUS) >= {"mi210", "a100"}
    v80, u280 = load_fpga("v80"), load_fpga("u280")
    assert (v80.luts, v80.dsps, v80.uram_blocks, v80.slrs) == (2_574_208, 10_848, 1_878, 3)
    assert v80.offchip_bandwidth_bytes_per_s == 820e9 and u280.offchip_bandwidth_bytes_per_s == 460e9
    assert (u280.bram36_blocks, u280.uram_blocks, u280.dsps) == (2016, 960, 9024)
    assert all(d.source and d.power_source for d in (v80, u280, load_gpu("mi210"), load_gpu("a100")))


def test_design_fits_v80_and_names_dsp_as_limit(acc):
    report = acc.fit()
    assert report.fits and report.binding == "dsp"
    assert report.describe().startswith("fits on v80: limited by dsp")


def test_too_many_units_do_not_fit_and_the_limit_is_named(acc):
    # 128 search DSPs a unit plus the attention engine's 256: 84 units need 11,008 of 10,848
    report = fit(acc.fpga, acc.unit, 84, acc.fixed)
    assert not report.fits and report.binding == "dsp"
    assert report.describe() == "does not fit on v80: limited by dsp (11,008 of 10,848, 101.5%)"


def test_binding_resource_follows_the_scarce_one(acc):
    # Narrow units holding many tables in URAM: 576 x 8 Kb = 4.5 Mb -> 16 URAM288 each;
    # 120 of them need 1,920 URAMs > 1,878 while their LUTs stay under the device's.
    uram_unit = replace(acc.unit, table_memory="uram", table_entry_bits=8, lookups_per_cycle=8,
                        search_lanes=1,
                        resident_tables=576)
    assert unit_resources(uram_unit, acc.fpga).uram == 16
    report = fit(acc.fpga, uram_unit, 120)
    assert report.binding == "uram" and not report.fits and report.utilization["lut"] < 1


def test_max_units_is_the_last_count_that_fits(acc):
    n = max_units(acc.fpga, acc.unit, acc.fixed)
    assert fit(acc.fpga, acc.unit, n, acc.fixed).fits and not fit(acc.fpga, acc.unit, n + 1, acc.fixed).fits


def test_unit_resources_by_hand():
    unit = LutUnit()  # 1,024 lanes of 8-bit entries, 16:1 muxes, 12-bit sums, 64 search lanes
    use = unit_resources(unit)
    mux = 1024 * 8 * 5  # ceil(15 / 3) = 5 LUT6 per bit of a 16:1 mux
    assert use.lut == mux + 1024 * 12 + 1024 * 4 + 64 * 96
    assert use.ff == 1024 * (8 + 12) + 64 * 64
    assert use.dsp == 64 * 2
    # tables: 24 x 64 x 16 x 8 = 196,608 bits -> 6 BRAM36 by capacity; ports: 2 rows of
    # 128 bits = 2 x 4 reads of 36 bits over 2 ports -> 4 blocks; capacity wins.
    assert use.bram == 6 and use.uram == 0
    # double-buffered: twice the tables (10.7 -> 11 blocks), and one port of each block
    # writes, so the 8 port reads need 8 blocks; capacity still wins.
    assert unit_resources(replace(unit, double_buffer=True)).bram == 11
    assert ResourceUse(1, 2, 3, 4, 5).times(2) + ResourceUse(lut=1) == ResourceUse(3, 4, 6, 8, 10)


def test_lutram_tables_by_hand(acc):
    # the design's tables: 24 x 64 x 16 x 4 bits = 98,304 bits -> 1,536 LUT6 as 64-bit LUTRAM
    unit = acc.unit
    in_lutram = unit_resources(unit, acc.fpga)
    in_bram = unit_resources(replace(unit, table_memory="bram"), acc.fpga)
    assert in_lutram.lut - in_bram.lut == 24 * 64 * 16 * 4 // 64
    assert (in_lutram.bram, in_lutram.uram) == (0, 0) and in_bram.bram > 0


def test_linear_cycles_by_hand(acc):
    # Decode, 2048 -> 2048: 1,024 input vectors of 2.
    r = lut_linear(1, 2048, 2048, acc)
    search = 1024 * 64 // (16 * 64)  # 64 cycles
    lookups = 1024 * 2048 // (16 * 512)  # 256 cycles
    tables = 1024 * 4 * 64 * 16 // 2  # bytes: 4 tables of 64 x 16 4-bit entries per position
    indices = 1024 * 2048 * 4 // 8
    codebooks = 1024 * 64 * 2 * 4
    assert linear_load_bytes(2048, 2048, acc) == tables + indices + codebooks
    loads = -(-(tables + indices + codebooks) // (16 * 64))  # 16 ports of 64 B a cycle
    expected = (search + lookups, loads, search + lookups + loads)
    assert (r.compute_cycles, r.memory_cycles, r.cycles) == expected
    assert r.bound == "memory"
    # Double-buffered, the loads hide the lookups: search + max(lookups, loads).
    db = replace(acc, unit=replace(acc.unit, double_buffer=True))
    assert lut_linear(1, 2048, 2048, db).cycles == search + loads


def test_prefill_reuses_tables(acc):
    one, many = lut_linear(1, 2048, 6144, acc), lut_linear(128, 2048, 6144, acc)
    assert many.memory_cycles == one.memory_cycles and many.compute_cycles > 100 * one.compute_cycles // 2


def test_energy_is_power_times_time(acc):
    r = lut_linear(1, 2048, 2048, acc)
    assert r.total_energy_pj == pytest.approx(acc.fpga.power_w * r.cycles / acc.clock_hz * 1e12)
    assert r.energy_pj["fpga_static"] == pytest.approx(22.036 * r.cycles / acc.clock_hz * 1e12)


def test_end_to_end_and_gpu_roofline(acc):
    run = end_to_end(acc, "qwen3-1.7b", 32, 16)
    assert run.latency_s == pytest.approx(run.prefill_s + 16 * run.decode_step_s)
    from arch.workloads import expand
    step = gpu_step_s(expand("qwen3-1.7b", "decode", 1, 32, "bf16", "bf16", "bf16"), load_gpu("mi210"))
    weights = 2 * (28 * (2 * 2048 * 2048 + 2 * 2048 * 1024 + 3 * 2048 * 6144) + 151936 * 2048)
    assert step == pytest.approx((weights + 2 * 28 * 8 * 128 * 32 * 2) / 1.6384e12)


def test_unit_validation_errors_name_the_field():
    with pytest.raises(FieldError, match="act_centroids: must be at least 2, not 1"):
        LutUnit(act_centroids=1)
    with pytest.raises(FieldError, match="lookups_per_cycle: must be a positive integer, not 0"):
        LutUnit(lookups_per_cycle=0)


def test_design_yaml_errors_are_one_line_with_file_line_field(tmp_path):
    path = tmp_path / "design.yaml"
    path.write_text(textwrap.dedent("""\
        schema_version: 1
        name: bad
        source: test
        device: v80
        clock_hz: 2.5e+8
        units: 4
        attention_macs_per_cycle: 64
        unit:
          act_centroids: 64
          table_memory: dram
        """))
    with pytest.raises(ConfigError) as err:
        load_lut_design(path)
    assert str(err.value) == f"{path}:10: unit.table_memory: must be one of bram, uram, lutram, not 'dram'"
    assert "\n" not in str(err.value)


def test_device_yaml_errors_are_one_line(tmp_path):
    text = (load_fpga.__globals__["_DATA"] / "v80.yaml").read_text().replace("dsps: 10848", "dsps: -1")
    path = tmp_path / "v80.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=r"v80\.yaml:\d+: dsps: must be a positive integer, not -1$"):
        load_fpga(path)
    with pytest.raises(ConfigError, match="unknown FPGA 'v81'; built-in: u280, v80"):
        load_fpga("v81")
