"""Shared settings of the RTL tests: explicit seed, CI vector count, simulator presence."""

from __future__ import annotations

import shutil

import pytest

SEED = 20_250_611
CI_VECTORS = 10_000


def need_simulator(sim: str) -> None:
    if sim == "icarus" and shutil.which("iverilog") is None:
        pytest.skip("Icarus Verilog (iverilog) is not installed")
