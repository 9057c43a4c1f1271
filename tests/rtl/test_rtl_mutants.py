"""The testbenches catch bugs in the RTL itself, not only in the models: each case copies
``rtl_models/hdl`` to a temporary folder, makes one small change to one unit's Verilog
and checks that the unchanged testbench reports mismatches (Icarus, a few thousand
vectors). A testbench that passed any of these would be a defect."""

from __future__ import annotations

import shutil

import pytest

import rtl_models.runner as runner
from rtl_models import check

from .conftest import SEED, need_simulator

# (unit, HDL file, text, replacement): each text occurs exactly once in its file.
RTL_BUGS = (
    ("elem_mul", "bp_elem_mul.sv", "(ia & zero_b) | (ib & zero_a)", "(ia & zero_b)"),
    ("mx_dot", "bp_block_dot.sv", "EW'({1'b0, xb}) - EW'(254)", "EW'({1'b0, xb}) - EW'(253)"),
    ("nvfp4_dot", "bp_block_dot.sv", "EW'(ka) + EW'(kb) - EW'(18)", "EW'(ka) + EW'(kb) - EW'(17)"),
    ("mxint8_dot", "bp_block_dot.sv", "for (int i = 0; i < K; i++) sum = sum + SUMW'(prod[i]);",
     "for (int i = 1; i < K; i++) sum = sum + SUMW'(prod[i]);"),
    ("mx_quantize", "bp_mx_quantize.sv", "round_bit & (rest | kept[0])", "round_bit & rest"),
    ("bitserial_pe", "bp_bitserial_pe.sv", "3'd7: begin m = 4'd3; h = 3'd2; end",
     "3'd7: begin m = 4'd3; h = 3'd3; end"),
    ("lmul", "bp_lmul.sv", "(total < MIN_NORMAL)", "(total <= MIN_NORMAL)"),
    ("lut_unit", "bp_lut_unit.sv", "for (int p = 0; p < P; p++)", "for (int p = 1; p < P; p++)"),
    ("pim_mac", "bp_pim_mac.sv", "(bf16 ? EW'(134) : EW'(25))", "(bf16 ? EW'(133) : EW'(25))"),
    ("pim_mac", "bp_to_fp32.sv", "round_bit & (rest | kept[0])", "round_bit & rest"),
    ("ivf_dot", "ivf_tree.sv", "s[i] = s[i] + s[i + step];", "s[i] = s[i] | s[i + step];"),
    ("ivf_dot", "ivf_scale.sv", "EW'(ka) + EW'(kb) - EW'(18)", "EW'(ka) + EW'(kb) - EW'(17)"),
    ("ivf_dot", "ivf_maxexp.sv", "t[i*TW +: TW] > top)", "t[i*TW +: TW-1] > top[TW-2:0])"),
    ("ivf_mix", "ivf_mix.sv", "sexp - EW'(2 * FRAC_INT)", "sexp - EW'(2 * FRAC_INT - 1)"),
    ("ivf_mix", "ivf_mix.sv", "AW'($signed(prod[gi*16 +: 16]))", "AW'(prod[gi*16 +: 16])"),
)


# Vectors a mutant run drives (on top of a unit's exhaustive rows): Icarus simulates the
# 32-lane mixed unit at about 20 blocks a second, and both of its mutants break most rows.
MUTANT_VECTORS = {"ivf_mix": 200}


@pytest.mark.parametrize("unit,path,text,bug", RTL_BUGS, ids=[f"{b[0]}:{b[1]}" for b in RTL_BUGS])
def test_testbench_catches_a_bug_in_the_rtl(unit, path, text, bug, tmp_path, monkeypatch):
    need_simulator("icarus")
    hdl = tmp_path / "hdl"
    shutil.copytree(runner.HDL_DIR, hdl)
    source = (hdl / path).read_text()
    assert source.count(text) == 1, f"{path} no longer holds {text!r} exactly once"
    (hdl / path).write_text(source.replace(text, bug))
    monkeypatch.setattr(runner, "HDL_DIR", hdl)
    r = check(unit, "icarus", MUTANT_VECTORS.get(unit, 2_000), SEED)
    print(f"{unit} with {bug!r} in {path}: {r.mismatches} mismatches; first: {r.first_mismatch}")
    assert r.mismatches > 0 and "expected" in (r.first_mismatch or "")
