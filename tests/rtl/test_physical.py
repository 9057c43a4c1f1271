"""The physical flow (rtl_models.physical) against hand computations from the Liberty file,
its reaction to activity, the committed SKY130 results, and the calibrate command's errors."""

from __future__ import annotations

import gzip
import json
import re
import shutil
from pathlib import Path

import pytest

from experiments.cli import main
from rtl_models import physical, synth
from rtl_models.physical import _gatesim, _netlist, _sta
from rtl_models.power_operands import OPERANDS

LIB = physical.SKY130_LIBERTY
needs_tools = pytest.mark.skipif(
    not LIB.exists() or shutil.which("sta") is None or shutil.which("iverilog") is None,
    reason="needs ../shared/data/liberty, OpenSTA (sta) and Icarus (iverilog)")
POINTS = {p.name: p for p in synth.DESIGN_POINTS}


def _liberty_text() -> str:
    return gzip.decompress(LIB.read_bytes()).decode()


def _liberty_attr(text: str, cell: str, pattern: str) -> float:
    """An attribute read straight from the Liberty text (independent of our parser)."""
    start = text.index(f'cell ("{cell}")')
    return float(re.search(pattern, text[start:]).group(1))


TINY = """module tiny(a, y);
  input a; output y; wire a; wire y; wire n;
  sky130_fd_sc_hd__inv_1 u0 (.A(a), .Y(n));
  sky130_fd_sc_hd__nand2_1 u1 (.A(n), .B(a), .Y(y));
endmodule
"""


def _tiny_power(tmp_path: Path, activity: float):
    lib = physical.read_liberty(LIB)
    net = _netlist.parse_netlist(TINY)
    split = _netlist.cut(net, lib)
    (tmp_path / "cut.v").write_text(split.text)
    act = {p: (activity, 0.5) for p in split.port_of_net.values()}
    return _sta.power(lib.path, tmp_path / "cut.v", "tiny_cut", None, 10.0, split.loads_pf, act,
                      tmp_path), split


@needs_tools
def test_one_gate_switching_power_is_half_c_v2_f_from_the_liberty_capacitance(tmp_path):
    """The inverter drives one nand2 input: 0.5 C V^2 x transitions a second, C from the file."""
    text = _liberty_text()
    cap_pf = _liberty_attr(text, "sky130_fd_sc_hd__nand2_1", r'pin \("A"\) \{\s*capacitance : ([\d.]+)')
    volts = float(re.search(r"nom_voltage : ([\d.]+)", text).group(1))
    p, _ = _tiny_power(tmp_path, 0.4)
    expected_w = 0.5 * cap_pf * 1e-12 * volts**2 * 0.4 / 10e-9
    assert p.switching_w == pytest.approx(expected_w, rel=1e-4)
    assert p.internal_w > 0 and p.leakage_w > 0


@needs_tools
def test_a_deliberate_activity_change_moves_the_power(tmp_path):
    low, _ = _tiny_power(tmp_path, 0.1)
    high, _ = _tiny_power(tmp_path, 0.4)
    assert high.switching_w == pytest.approx(4 * low.switching_w, rel=1e-4)
    assert high.internal_w > 2 * low.internal_w
    assert high.leakage_w == pytest.approx(low.leakage_w, rel=0.2)


def test_vcd_reader_counts_transitions_and_time_high(tmp_path):
    vcd = tmp_path / "a.vcd"
    vcd.write_text("$timescale 1ps $end\n$scope module dut $end\n$var wire 1 ! x $end\n"
                   "$var wire 2 \" v [1:0] $end\n$upscope $end\n$enddefinitions $end\n"
                   "#10000\n$dumpvars\n0!\nb01 \"\n$end\n#15000\n1!\n#20000\nb10 \"\n"
                   "#25000\n0!\n#30000\nbx1 \"\n")
    act = _gatesim.read_vcd(vcd, cycles=3)  # 3 cycles of 10 ns from 10 ns
    # x: 0 -> 1 -> 0; v[0]: 1 -> 0 -> 1; v[1]: 0 -> 1 -> x (a change to x is no transition)
    assert act.toggles == pytest.approx({"x": 2 / 3, "v[0]": 2 / 3, "v[1]": 1 / 3})
    assert act.duty == pytest.approx({"x": 1 / 3, "v[0]": 2 / 3, "v[1]": 1 / 3})


@needs_tools
def test_cells_go_to_the_sub_block_of_their_instance_path():
    from rtl_models.physical._mapping import block_of

    lib = physical.read_liberty(LIB)
    assert lib.cells["sky130_fd_sc_hd__dfxtp_1"].sequential
    assert not lib.cells["sky130_fd_sc_hd__nand2_1"].sequential
    assert block_of("\\g_el[3].u_mul.u_a.c_12", False) == "element decode"
    assert block_of("\\g_el[3].u_mul.c_1", False) == "multipliers"
    assert block_of("\\g_exact.u_round.c_9", False) == "normalisation"
    assert block_of("\\g_ue4m3.u_sa.c_0", False) == "scale decode"
    assert block_of("c_7", False) == "top-level logic"
    assert block_of("\\g_lane[5].u_align.c_2", False) == "alignment"
    assert block_of("\\u_tree.c_40", False) == "adder tree"
    assert block_of("\\u_maxexp.c_1", False) == "exponent compare"
    assert block_of("\\u_scale.c_8", False) == "scale handling"
    assert block_of("\\u_scale.g_ue4m3.u_sa.c_0", False) == "scale decode"
    assert block_of("\\g_el[0].u_mul.c_3", True) == "registers"
    assert block_of("_4305_", False) == "netlist buffers"


def test_every_existing_unit_has_an_operand_stream_of_quantized_data():
    for point in synth.DESIGN_POINTS:
        ops = OPERANDS[point.unit](point, "outliers", 8, 3)
        assert all(len(v) == 8 and min(int(x) for x in v) >= 0 for v in ops.values()), point.name
    a = OPERANDS["elem_mul"](POINTS["mul_fp8_e4m3"], "gaussian", 512, 0)["a"]
    assert len(set(a.tolist())) < 200  # quantized codes of a gaussian, not uniform bytes


# ---------------------------------------------------------------- committed results

# Design points without a committed row yet, and why (remove a line once its row exists).
KNOWN_GAPS: dict[str, str] = {}  # design point -> why it has no row yet


def test_results_file_covers_every_unit_and_says_how_it_was_made():
    data = physical.load()
    assert data["library"] == "sky130_fd_sc_hd__tt_025C_1v80" and data["corner"] == "tt_025C_1v80"
    assert data["tools"]["yosys"].startswith("Yosys 0.70") and "OpenSTA" in data["tools"]["opensta"]
    keys = [physical.row_key(r["name"], physical.multipliers_of(r)) for r in data["rows"]]
    assert len(keys) == len(set(keys)), "one row per design point and multiplier mapping"
    by_name: dict[str, list[dict]] = {}
    for r in data["rows"]:
        assert physical.multipliers_of(r) in physical.MULTIPLIERS, r["name"]
        by_name.setdefault(r["name"], []).append(r)
    for point in synth.DESIGN_POINTS:
        if point.unit not in OPERANDS or point.name in KNOWN_GAPS:
            assert point.name not in by_name or point.name not in KNOWN_GAPS, \
                f"{point.name} has a row now: drop it from KNOWN_GAPS"
            continue
        assert by_name.get(point.name), f"{point.name}: no row, run calibrate"
        for row in by_name[point.name]:
            assert row["source_hash"] == synth.source_hash(point), f"{point.name}: rerun calibrate"
            assert row["area_um2"] == pytest.approx(sum(row["area_by_block_um2"].values()), abs=0.01)
            assert row["fmax_mhz"] >= row["clock_mhz"] > 0
            if row["method"] == "gate-level":
                assert set(row["energy_pj_per_op"]) == set(row["distributions"]) \
                    == set(physical.DEFAULT_DISTRIBUTIONS), f"{point.name}: {row['distributions']}"
                assert all(e > 0 for e in row["energy_pj_per_op"].values())


IVF = ("ivf_mxint8", "ivf_mxfp8_e4m3", "ivf_nvint4", "ivf_nvfp4")


def test_the_int_vs_fp_rows_split_into_the_papers_datapath_stages():
    """Area and energy of the ivf_* rows land in named stages, not in one top-level lump."""
    for row in physical.load()["rows"]:
        if not row["unit"].startswith("ivf_"):
            continue
        stages = {"multipliers", "adder tree", "scale handling", "normalisation"}
        if row["name"] != "ivf_mxint8" and row["name"] != "ivf_nvint4":
            stages |= {"alignment", "exponent compare"}  # FP lanes align to the max exponent
        assert stages <= set(row["area_by_block_um2"]), row["name"]
        assert stages <= set(row["energy_by_block_pj_per_op"]["gaussian"]), row["name"]
        assert row["area_by_block_um2"].get("top-level logic", 0) < 0.2 * row["area_um2"]


def test_the_int_vs_fp_points_have_both_multiplier_mappings():
    """The paper's flow maps multipliers Booth/Wallace; under that mapping (and only there,
    on SKY130) MXINT8 is smaller than MXFP8. Losing the mapping (the Booth rows made with
    array multipliers) would put the ratio back above 1."""
    rows = {physical.row_key(r["name"], physical.multipliers_of(r)): r for r in physical.load()["rows"]}
    for name in IVF:
        booth, array = rows[f"{name}+booth"], rows[name]
        assert booth["multipliers"] == "booth" and "multipliers" not in array
        assert booth["area_by_block_um2"] != array["area_by_block_um2"], name
    area = {k: rows[k]["area_um2"] for k in ("ivf_mxint8+booth", "ivf_mxfp8_e4m3+booth",
                                             "ivf_mxint8", "ivf_mxfp8_e4m3")}
    assert area["ivf_mxint8+booth"] < area["ivf_mxfp8_e4m3+booth"]
    assert area["ivf_mxint8"] > area["ivf_mxfp8_e4m3"]


@needs_tools
def test_booth_mapping_reaches_yosys_and_changes_the_multiplier(tmp_path):
    from rtl_models.physical._mapping import map_point

    lib = physical.read_liberty(LIB)
    cells = {}
    for mapping in ("array", "booth"):
        work = tmp_path / mapping
        work.mkdir()
        mapped = map_point(POINTS["mul_int8"], lib, work, mapping)
        assert ("synth -top bp_elem_mul -booth" in mapped.script) == (mapping == "booth")
        cells[mapping] = re.findall(r"^\s*(sky130_fd_sc_hd__\w+)\s", mapped.netlist.read_text(), re.M)
    assert sorted(cells["array"]) != sorted(cells["booth"])


def test_the_table_the_simulator_reads_is_the_one_the_results_give():
    from arch.tech import load_energy_table
    from experiments.calibration import table

    built = table(physical.load(), "sky130_calibrated")
    loaded = load_energy_table("sky130_calibrated")
    assert set(loaded.entries) == set(built["entries"])
    for key, entry in built["entries"].items():
        assert loaded.energy_pj(key) == pytest.approx(entry["energy_pj"]), key
        assert "gate-level" in loaded.entries[key].source or key.endswith("block_scale")


# ---------------------------------------------------------------- end to end (one unit)

@needs_tools
def test_calibrate_reproduces_the_committed_fp4_multiplier_row(tmp_path, capsys):
    assert main(["calibrate", "--point", "mul_fp4_e2m1", "--out", str(tmp_path)]) == 0
    [row] = json.loads((tmp_path / "sky130.json").read_text())["rows"]
    committed = {r["name"]: r for r in physical.load()["rows"]}["mul_fp4_e2m1"]
    skip = {"seconds", "simulator"}  # Icarus and the levelized simulator agree net for net
    assert {k: v for k, v in row.items() if k not in skip} == \
        {k: v for k, v in committed.items() if k not in skip}
    text = (tmp_path / "sky130_calibrated.yaml").read_text()
    assert "elem_mul.mac_mul_fp4_e2m1:" in text


@needs_tools
def test_area_is_the_liberty_areas_of_the_netlist_cells(tmp_path):
    """The flow's area is the netlist's cells summed from the Liberty text (read apart)."""
    from rtl_models.physical._mapping import map_point

    lib = physical.read_liberty(LIB)
    mapped = map_point(POINTS["lmul_fp8_e4m3"], lib, tmp_path)
    area = physical._area(_netlist.parse_netlist(mapped.netlist.read_text()), lib)
    text = _liberty_text()
    cells = re.findall(r"^\s*(sky130_fd_sc_hd__\w+)\s+\S+\s*\(", mapped.netlist.read_text(), re.M)
    areas = {c: _liberty_attr(text, c, r"area : ([\d.]+)") for c in set(cells)}
    assert area["cells"] == len(cells) > 50
    assert area["area_um2"] == pytest.approx(sum(areas[c] for c in cells), abs=1e-3)


@needs_tools
def test_operands_that_never_change_cost_only_leakage(monkeypatch):
    point = POINTS["mul_fp4_e2m1"]
    lib = physical.read_liberty(LIB)
    busy = physical.calibrate_point(point, lib, ("gaussian",), cycles=64)
    monkeypatch.setitem(OPERANDS, "elem_mul", lambda p, d, n, s: {
        "a": [3] * n, "b": [5] * n})
    idle = physical.calibrate_point(point, lib, ("gaussian",), cycles=64)
    assert idle["dynamic_pj_per_op"]["gaussian"] == 0
    assert busy["dynamic_pj_per_op"]["gaussian"] > 0.1


# ---------------------------------------------------------------- bad input: one line, exit 2

def _one_line_error(capsys, argv) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    return err


def test_missing_liberty_file(tmp_path, capsys):
    err = _one_line_error(capsys, ["calibrate", "--liberty", str(tmp_path / "no.lib"),
                                   "--out", str(tmp_path)])
    assert "no.lib: cannot read Liberty file" in err


def test_malformed_liberty_file(tmp_path, capsys):
    bad = tmp_path / "bad.lib"
    bad.write_text("library (x) {\n  cell (y) {\n")
    err = _one_line_error(capsys, ["calibrate", "--liberty", str(bad), "--out", str(tmp_path)])
    assert "bad.lib: not a Liberty file" in err


def test_gzip_that_is_not_gzip(tmp_path, capsys):
    bad = tmp_path / "bad.lib.gz"
    bad.write_text("library")
    assert "not a gzip file" in _one_line_error(
        capsys, ["calibrate", "--liberty", str(bad), "--out", str(tmp_path)])


def test_unknown_unit(capsys):
    err = _one_line_error(capsys, ["calibrate", "--units", "warp_core"])
    assert "unknown unit 'warp_core'; known units: bitserial_pe" in err


def test_unknown_multiplier_mapping(capsys):
    err = _one_line_error(capsys, ["calibrate", "--multipliers", "wallace"])
    assert "invalid choice: 'wallace' (choose from 'array', 'booth')" in err


@needs_tools
def test_unreachable_clock(tmp_path, capsys):
    err = _one_line_error(capsys, ["calibrate", "--point", "lmul_fp8_e4m3", "--clock-mhz", "50000",
                                   "--out", str(tmp_path)])
    assert "lmul_fp8_e4m3: cannot close timing at 50000 MHz" in err


@pytest.mark.slow
@needs_tools
@pytest.mark.parametrize("name", [n for n, p in POINTS.items() if p.unit in OPERANDS
                                  and n != "mul_fp4_e2m1"])
def test_calibration_regenerates_each_committed_row(name, tmp_path):
    rows = [r for r in physical.load()["rows"] if r["name"] == name]
    if not rows:
        pytest.skip(f"{name} has no committed row")
    for committed in rows:  # each multiplier mapping it has a row for
        mapping = physical.multipliers_of(committed)
        [row] = physical.run(tmp_path / f"{mapping}.json", [POINTS[name]],
                             cycles=committed["cycles"], multipliers=mapping)
        skip = {"seconds", "simulator"}  # a row made on Icarus regenerates levelized, equal
        assert {k: v for k, v in row.items() if k not in skip} == \
            {k: v for k, v in committed.items() if k not in skip}
