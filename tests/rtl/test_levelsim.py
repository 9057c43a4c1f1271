"""The levelized gate-level simulator (Liberty cell functions) against Icarus running the
library's own cell models on the same mapped netlists: every net's activity must agree."""

from __future__ import annotations

import dataclasses
import shutil

import numpy as np
import pytest

from experiments.cli import main
from rtl_models import physical, synth
from rtl_models.physical import _gatesim, _levelsim, _netlist
from rtl_models.physical._mapping import map_point
from rtl_models.power_operands import OPERANDS

LIB = physical.SKY130_LIBERTY
needs_tools = pytest.mark.skipif(
    not LIB.exists() or shutil.which("iverilog") is None,
    reason="needs ../shared/data/liberty and Icarus (iverilog)")
POINTS = {p.name: p for p in synth.DESIGN_POINTS}


def _both(name: str, cycles: int, tmp_path, lib=None):
    lib = lib or physical.read_liberty(LIB)
    mapped = map_point(POINTS[name], lib, tmp_path)
    netlist = _netlist.parse_netlist(mapped.netlist.read_text())
    operands = OPERANDS[POINTS[name].unit](POINTS[name], "student_t3", cycles + 1, 3)
    return (_levelsim.simulate(netlist, lib, operands),
            _gatesim.simulate(netlist, mapped.netlist, operands, tmp_path), netlist)


def _connected(netlist) -> set[str]:
    return {net for inst in netlist.instances for _, net in inst.pins}


@needs_tools
@pytest.mark.parametrize("name, cycles", [("mul_int8", 120), ("dot_nvfp4_exact", 24)])
def test_levelized_activity_equals_icarus_on_every_net(name, cycles, tmp_path):
    fast, icarus, netlist = _both(name, cycles, tmp_path)
    nets = _connected(netlist)
    assert fast.cycles == icarus.cycles == cycles
    assert sum(icarus.toggles[n] for n in nets) > 50  # the data moves the netlist
    for net in nets:
        assert (fast.toggles[net], fast.duty[net]) == \
            pytest.approx((icarus.toggles.get(net, 0.0), icarus.duty.get(net, 0.0)), abs=1e-12), net


@needs_tools
def test_a_wrong_cell_function_is_seen_by_the_comparison(tmp_path):
    """Swap the and/or sense of one common cell's function: activity no longer agrees."""
    lib = physical.read_liberty(LIB)
    mapped = map_point(POINTS["mul_int8"], lib, tmp_path)
    netlist = _netlist.parse_netlist(mapped.netlist.read_text())
    used = {i.cell for i in netlist.instances}
    victim = next(c for c in sorted(used) if "&" in lib.cells[c].pins[-1].function
                  or any("&" in p.function for p in lib.cells[c].pins))
    cell = lib.cells[victim]
    pins = tuple(dataclasses.replace(p, function=p.function.replace("&", "|")) for p in cell.pins)
    broken = dataclasses.replace(lib, cells={**lib.cells, victim: dataclasses.replace(cell, pins=pins)})
    operands = OPERANDS["elem_mul"](POINTS["mul_int8"], "gaussian", 61, 0)
    good = _levelsim.simulate(netlist, lib, operands)
    bad = _levelsim.simulate(netlist, broken, operands)
    assert good.toggles != bad.toggles


def test_functions_outside_the_liberty_grammar_are_refused():
    with pytest.raises(_gatesim.GateSimError, match="not supported"):
        _levelsim._python("A ? B : C", {"A", "B", "C"})
    with pytest.raises(_gatesim.GateSimError, match="not an input"):
        _levelsim._python("A & Q", {"A"})
    p = {"A": np.array([0, 1, 1], bool), "B": np.array([1, 1, 0], bool)}
    consts = {"k0": np.zeros(3, bool), "k1": np.ones(3, bool)}
    code = _levelsim._python("!(A*B) + (A^B)", {"A", "B"})
    assert list(eval(code, consts, {"p": p})) == [True, False, True]  # noqa: S307
    assert list(eval(_levelsim._python("(A&B)", {"A", "B"}), consts, {"p": p})) == [False, True, False]  # noqa: S307


@needs_tools
def test_a_netlist_with_flip_flops_goes_to_icarus(tmp_path):
    lib = physical.read_liberty(LIB)
    text = ("module r(clk, d, q); input clk; input d; output q; wire clk; wire d; wire q;\n"
            "  sky130_fd_sc_hd__dfxtp_1 f (.CLK(clk), .D(d), .Q(q));\nendmodule\n")
    netlist = _netlist.parse_netlist(text)
    assert not _levelsim.is_combinational(netlist, lib)
    with pytest.raises(_gatesim.GateSimError, match="combinational netlists only"):
        _levelsim.simulate(netlist, lib, {"clk": [0, 1], "d": [1, 0]})


@needs_tools
def test_a_user_liberty_without_cell_models_still_gets_combinational_energy(tmp_path, capsys):
    """--liberty without --cell-models: the levelized simulator needs only the Liberty file,
    and gives the committed row's energy (made on Icarus with the cell models)."""
    lib = tmp_path / "user.lib.gz"
    lib.write_bytes(LIB.read_bytes())  # the same library, as a user would pass it
    out = tmp_path / "calib"
    assert main(["calibrate", "--liberty", str(lib), "--point", "mul_fp4_e2m1", "--out", str(out),
                 "--node-nm", "130"]) == 0
    [row] = [r for r in physical.load(next(out.glob("*.json")))["rows"]]
    committed = {r["name"]: r for r in physical.load()["rows"]}["mul_fp4_e2m1"]
    assert row["method"] == "gate-level" and row["simulator"].startswith("levelized")
    assert row["energy_pj_per_op"] == committed["energy_pj_per_op"]
