"""Systolic compute cycles against SCALE-Sim v3 runs (regenerate: tests/golden/scalesim/regenerate.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from arch import SystolicArray
from sim import compute_cycles, simulate_gemm
from sim.mapping import DATAFLOW_CODES

GOLDEN = pd.read_csv(Path(__file__).parent / "data" / "scalesim_v3_compute_cycles.csv")


def test_golden_file_covers_every_dataflow_and_shape_class():
    assert set(GOLDEN.dataflow) == {"ws", "os", "is"}
    assert len(GOLDEN) >= 200 and (GOLDEN.m == 1).sum() >= 30 and (GOLDEN.stall_cycles == 0).all()
    assert set(GOLDEN.scalesim_version.astype(str)) == {"3.0.0"}


def _case_id(r) -> str:
    return f"{r.m}x{r.n}x{r.k}-{r.rows}x{r.cols}-{r.dataflow}"


@pytest.mark.parametrize("row", list(GOLDEN.itertuples()), ids=_case_id)
def test_simulate_gemm_matches_scalesim(row):
    array = SystolicArray(rows=row.rows, cols=row.cols, dataflow=row.dataflow)
    result = simulate_gemm(row.m, row.n, row.k, array)
    assert result.compute_cycles == row.compute_cycles
    # SCALE-Sim's overall utilization is MACs / (PEs x its cycle count).
    assert result.utilization * 100 == pytest.approx(row.overall_util_pct, rel=1e-9)


def test_vectorized_model_matches_all_rows_at_once():
    codes = GOLDEN.dataflow.map(DATAFLOW_CODES).to_numpy()
    cycles = compute_cycles(*(GOLDEN[c].to_numpy() for c in ("m", "n", "k", "rows", "cols")), codes)
    np.testing.assert_array_equal(cycles, GOLDEN.compute_cycles.to_numpy())


def test_reference_case_from_the_issue():
    array = SystolicArray(rows=32, cols=32, dataflow="ws")
    assert simulate_gemm(256, 128, 256, array).compute_cycles == 11199
