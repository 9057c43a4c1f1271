"""Fast RTL checks without simulation: Verilator lint, field packing, stimulus and models."""

from __future__ import annotations

import os
import subprocess

import numpy as np
import pytest

from experiments.cli import main
from rtl_models import UNITS
from rtl_models._fields import Field, pack, unpack
from rtl_models.models import get_unit
from rtl_models.runner import HDL_DIR, _tool_env

from .conftest import SEED


@pytest.mark.parametrize("unit", list(UNITS))
def test_verilator_lint_is_clean(unit):
    u = UNITS[unit]
    cmd = ["verilator", "--lint-only", "-Wall", "--top-module", u.toplevel,
           *[str(HDL_DIR / s) for s in u.sources]]
    done = subprocess.run(cmd, env=os.environ | _tool_env("verilator"), capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stderr


def test_pack_and_unpack_round_trip():
    layout = (Field("a", 4, 3), Field("b", 8), Field("c", 1))
    fields = {"a": np.array([[1, 2, 15]]), "b": np.array([0xAB]), "c": np.array([1])}
    [word] = pack(layout, fields, 1)
    assert word == 0xF21 | (0xAB << 12) | (1 << 20)
    assert unpack(layout, word) == {"a": [1, 2, 15], "b": 0xAB, "c": 1}


@pytest.mark.parametrize("unit", list(UNITS))
def test_stimulus_is_seeded_and_the_mutant_differs(unit):
    u = get_unit(unit)
    one = u.stimulus(200, np.random.default_rng(SEED), False)
    two = u.stimulus(200, np.random.default_rng(SEED), False)
    bad = u.stimulus(200, np.random.default_rng(SEED), True)
    assert one.beats == two.beats and one.expected == two.expected
    assert one.beats == bad.beats and one.expected != bad.expected
    assert 0 < len(one.expected) <= len(one.beats)  # a write beat has no result


def test_unknown_unit_is_a_value_error():
    with pytest.raises(ValueError, match="unknown RTL unit 'nope'; known units: elem_mul"):
        get_unit("nope")


def test_cli_lists_units(capsys):
    assert main(["rtl-check", "--list"]) == 0
    assert capsys.readouterr().out.split() == list(UNITS)


def test_cli_rejects_an_unknown_unit(capsys):
    assert main(["rtl-check", "--unit", "nope"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("bitplane rtl-check: error: unknown unit 'nope'")
    assert err.count("\n") == 1


def test_cli_rejects_non_positive_vectors(capsys):
    assert main(["rtl-check", "--unit", "mx_dot", "--vectors", "0"]) == 2
    assert "argument --vectors: must be from 1 to 100,000,000, not 0" in capsys.readouterr().err


def test_cli_checks_one_unit(capsys):
    assert main(["rtl-check", "--unit", "mxint8_dot", "--sim", "icarus", "--vectors", "300",
                 "--seed", "3"]) == 0
    out = capsys.readouterr().out
    assert "mxint8_dot   icarus" in out and " 0 mismatches" in out


def test_combined_top_has_every_unit_with_its_port_widths():
    from rtl_models.runner import COMBINED_TOP, combined_top, port_widths

    text = combined_top(UNITS.values())
    assert text.count(f"module {COMBINED_TOP}") == 1
    for name, unit in UNITS.items():
        widths = port_widths(unit)
        assert widths["clk"] == widths["in_valid"] == widths["out_valid"] == 1
        assert f"  {unit.toplevel} u_{name} (.clk({name}_clk)," in text
        assert f"input logic [{widths['in_data'] - 1}:0] {name}_in_data" in text
    assert port_widths(UNITS["mx_dot"])["in_data"] == 3184  # 7 lanes of 2*32*W + 16


def test_a_wrapper_without_the_standard_ports_is_an_rtl_error(tmp_path, monkeypatch):
    import rtl_models.runner as runner
    from rtl_models import RtlError
    from rtl_models._unit import Unit

    (tmp_path / "tb_odd.sv").write_text(
        "module tb_odd #(parameter int N = 4) (\n  input logic clk,\n"
        "  input logic [N*2-1:0] data_in\n);\nendmodule\n")
    monkeypatch.setattr(runner, "HDL_DIR", tmp_path)
    odd = Unit("odd", "", "tb_odd", ("tb_odd.sv",), lambda *a: None)
    with pytest.raises(RtlError, match="wrapper ports must be clk, in_valid"):
        runner.port_widths(odd)


@pytest.mark.parametrize("sim", ["icarus", "verilator"])
def test_a_build_from_another_cocotb_installation_is_not_reused(sim, monkeypatch, tmp_path):
    # A Verilator binary links cocotb's VPI library by absolute path: a cached build from a
    # deleted virtual environment fails to load, so the cache key must name the installation.
    from rtl_models import runner

    target = runner.design(get_unit("elem_mul"), sim)
    here = runner._build_key(target, sim)
    monkeypatch.setattr(runner, "cocotb_lib_dir", lambda: tmp_path / "other-venv" / "libs")
    assert runner._build_key(target, sim) != here
