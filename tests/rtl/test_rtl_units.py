"""Equivalence: every RTL unit against its numerics model, on Icarus and Verilator.

Each design is built once per simulator (cached by content hash outside the tree, see
``rtl_models.runner``); the seed is explicit and printed with every result.
"""

from __future__ import annotations

import pytest

from rtl_models import SIMULATORS, UNITS, check

from .conftest import CI_VECTORS, SEED, need_simulator

# Icarus runs the 32-lane mixed INT/FP block dot (ivf_mix) at only about 20 blocks a second, so
# the default run drives it 500 mixed vectors on top of its 512 exhaustive rows (every code
# of both formats); Verilator takes the full count, and `-m slow` runs Icarus on it too.
DEFAULT_ICARUS_VECTORS = {"ivf_mix": 500}


def _vectors(unit: str, sim: str) -> int:
    return DEFAULT_ICARUS_VECTORS.get(unit, CI_VECTORS) if sim == "icarus" else CI_VECTORS


def _check(unit: str, sim: str, vectors: int) -> None:
    need_simulator(sim)
    r = check(unit, sim, vectors, SEED)
    print(f"{unit} on {sim}: seed {SEED}, {r.vectors} vectors, {r.mismatches} mismatches")
    assert r.vectors >= vectors
    assert r.ok, f"seed {SEED}: {r.mismatches} mismatches; first: {r.first_mismatch}"


@pytest.mark.parametrize("sim", SIMULATORS)
@pytest.mark.parametrize("unit", list(UNITS))
def test_unit_matches_model(unit, sim):
    _check(unit, sim, _vectors(unit, sim))


@pytest.mark.slow
@pytest.mark.parametrize("unit", list(DEFAULT_ICARUS_VECTORS))
def test_unit_matches_model_on_icarus_with_every_vector(unit):
    _check(unit, "icarus", CI_VECTORS)


@pytest.mark.parametrize("unit", list(UNITS))
def test_testbench_catches_a_one_bit_model_change(unit):
    """The same testbench, against a model with one deliberate one-ulp/one-bit change."""
    r = check(unit, "verilator", 1_000, SEED, mutant=True)
    print(f"{unit} mutant: {r.mismatches} mismatches; first: {r.first_mismatch}")
    assert r.mismatches > 0
    assert r.first_mismatch and "expected" in r.first_mismatch
