"""Equivalence: every RTL unit against its numerics model, on Icarus and Verilator.

Each design is built once per simulator (cached by content hash outside the tree, see
``rtl_models.runner``); the seed is explicit and printed with every result.
"""

from __future__ import annotations

import pytest

from rtl_models import SIMULATORS, UNITS, check

from .conftest import CI_VECTORS, SEED, need_simulator


@pytest.mark.parametrize("sim", SIMULATORS)
@pytest.mark.parametrize("unit", list(UNITS))
def test_unit_matches_model(unit, sim):
    need_simulator(sim)
    r = check(unit, sim, CI_VECTORS, SEED)
    print(f"{unit} on {sim}: seed {SEED}, {r.vectors} vectors, {r.mismatches} mismatches")
    assert r.vectors >= CI_VECTORS
    assert r.ok, f"seed {SEED}: {r.mismatches} mismatches; first: {r.first_mismatch}"


@pytest.mark.parametrize("unit", list(UNITS))
def test_testbench_catches_a_one_bit_model_change(unit):
    """The same testbench, against a model with one deliberate one-ulp/one-bit change."""
    r = check(unit, "verilator", 1_000, SEED, mutant=True)
    print(f"{unit} mutant: {r.mismatches} mismatches; first: {r.first_mismatch}")
    assert r.mismatches > 0
    assert r.first_mismatch and "expected" in r.first_mismatch
