"""Paper reproductions evaluate designs through the one support check (arch.support): an
unsupported combination is the same error there as in sim.simulate."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from arch import load_design, unsupported
from arch.workloads import expand
from experiments.papers import bitmod, gemm_validation
from sim import simulate


def test_bitmod_reproduction_names_the_formats_its_pes_run():
    for profile in bitmod.PROFILES.values():
        for design in profile.designs:
            for fmt in design.weight_formats:
                assert unsupported(load_design(design.accelerator), fmt, "fp16", "fp16") is None


def test_bitmod_reproduction_refuses_what_simulate_refuses():
    ant = next(d for d in bitmod.DESIGNS if d.name == "ant")
    wrong = replace(ant, weight_formats=("bitmod3", "bitmod3"))
    with pytest.raises(ValueError) as simulated:
        simulate(load_design("bitmod_ant"), expand("opt-1.3b", "decode", weight_format="bitmod3"))
    for attention in ("kv-cache", "paper-figure"):
        with pytest.raises(ValueError) as reproduced:
            bitmod.evaluate(wrong, 0, "decode", attention)
        assert str(reproduced.value) == str(simulated.value)


def test_gemm_validation_refuses_an_operand_pair_the_design_lacks():
    sets = gemm_validation.load_sets()
    wrong = replace(sets[0], b_format="int4_group", a_format="int4_group")
    reason = unsupported(load_design(wrong.design), "int4_group", "int4_group", "int4_group")
    assert reason is not None
    with pytest.raises(ValueError, match=re.escape(f"measurement set {wrong.name}: {reason}")):
        gemm_validation.predict(wrong, wrong.gemms[0])
