"""Sweeps end to end: same rows in-process, in a pool and on Dask; SIGKILL and resume; failures;
search; reports."""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from experiments.cli import main
from experiments.report import build_report
from experiments.search import run_search
from experiments.spec import spec_from_dict
from experiments.store import ResultStore
from experiments.sweep import enumerate_points, evaluate_point, pareto_mask, run_sweep

ROOT = Path(__file__).resolve().parents[2]
SMALL = {"schema_version": 1, "name": "small", "base": ["systolic_32x32_ws", "mx_tensor_core"],
         "workload": {"model": "opt-1.3b", "context": 128, "kv_format": "mxfp8_e4m3"},
         "axes": {"unit.rows": [8, 16], "weight_format": ["fp16", "mxfp4", "mxint8"],
                  "phase": ["decode", "prefill"]},
         "constraints": ["latency_s <= 10"], "objectives": ["latency_s", "energy_pj", "qsnr_db"],
         "qsnr": {"rows": 8, "cols": 128}}
# 12,000 points in eight blocks of 1,500: a subprocess is mid-sweep after its first commit.
BIG = """schema_version: 1
name: big
base: systolic_32x32_ws
workload: {model: opt-1.3b, context: 128}
axes:
  unit.rows: [4, 8, 12, 16, 20, 24, 28, 32, 40, 48, 56, 64, 72, 80, 88, 96, 104, 112, 120, 128]
  unit.cols: [4, 8, 12, 16, 20, 24, 28, 32, 40, 48, 56, 64, 72, 80, 88, 96, 104, 112, 120, 128]
  dram.bandwidth_bytes_per_s: [1.6e+10, 3.2e+10, 6.4e+10]
  weight_buffer.size_bytes: [65536, 131072, 262144, 524288, 1048576, 2097152, 4194304, 8388608,
                             16777216, 33554432]
qsnr: {rows: 8, cols: 128}
"""
BIG_POINTS = 12000


def _rows(out: Path) -> pd.DataFrame:
    frame = pd.read_parquet(out / "results.parquet")
    return frame.sort_values("point_id").reset_index(drop=True)


def test_pool_and_dask_give_the_rows_of_an_in_process_run(tmp_path):
    spec = spec_from_dict(dict(SMALL))
    one = run_sweep(spec, tmp_path / "one", jobs=1, quiet=True)
    run_sweep(spec, tmp_path / "pool", jobs=2, quiet=True)
    run_sweep(spec, tmp_path / "dask", dask="local:2", quiet=True)
    assert one.points == 24 and one.skipped == 0 and one.failed == 0  # the MX core has an FP16 path
    reference = _rows(tmp_path / "one")
    for other in ("pool", "dask"):
        pd.testing.assert_frame_equal(reference, _rows(tmp_path / other))
    assert reference["pareto"].any() and reference["point_id"].is_unique


def test_sigkilled_sweep_resumes_without_loss_or_duplicates(tmp_path):
    spec_path = tmp_path / "big.yaml"
    spec_path.write_text(BIG)
    killed = tmp_path / "killed"
    code = ("import sys; from experiments.cli import main; "
            f"sys.exit(main(['sweep', {str(spec_path)!r}, '--out', {str(killed)!r}, '--jobs', '1', "
            "'--quiet', '--no-report']))")
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    db, stored, deadline = killed / "results.sqlite", 0, time.monotonic() + 60
    while stored < 20 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.02)
        if db.exists():
            try:
                with sqlite3.connect(db) as con:
                    stored = con.execute("SELECT COUNT(*) FROM block_points").fetchone()[0]
            except sqlite3.OperationalError:
                pass
    with contextlib.suppress(ProcessLookupError):
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    with ResultStore(db) as store:
        partial = len(store)
    assert 20 <= partial < BIG_POINTS, "the sweep must have been killed midway"
    assert main(["sweep", str(spec_path), "--out", str(killed), "--jobs", "1", "--quiet", "--no-report"]) == 0
    assert main(["sweep", str(spec_path), "--out", str(tmp_path / "whole"), "--jobs", "1", "--quiet",
                 "--no-report"]) == 0
    resumed, whole = _rows(killed), _rows(tmp_path / "whole")
    assert len(resumed) == BIG_POINTS and resumed["point_id"].is_unique
    pd.testing.assert_frame_equal(resumed, whole)


def test_failed_point_is_recorded_and_the_sweep_goes_on(tmp_path):
    spec = spec_from_dict(dict(SMALL))
    points, _ = enumerate_points(spec)
    broken = replace(points[0], seq=99, workload=replace(points[0].workload, context=10**6))
    record = evaluate_point(broken)
    assert record.status == "failed" and "context" in record.error and record.ops == []
    with ResultStore(tmp_path / "s.sqlite") as store:
        assert store.put(record) and not store.put(record)
        assert store.frame().loc[0, "status"] == "failed"


def test_other_spec_in_same_folder_is_refused(tmp_path, capsys):
    run_sweep(spec_from_dict(dict(SMALL)), tmp_path, jobs=1, quiet=True)
    other = tmp_path / "other.yaml"
    other.write_text(BIG)
    assert main(["sweep", str(other), "--out", str(tmp_path), "--quiet"]) == 2
    assert "holds results of another spec" in capsys.readouterr().err


def test_pareto_mask():
    values = [[1, 5], [2, 2], [3, 3], [5, 1], [1, 5]]
    assert pareto_mask(values).tolist() == [True, True, False, True, True]  # equal rows do not dominate


def test_search_and_report(tmp_path):
    spec = spec_from_dict(dict(SMALL) | {"sampling": {"seed": 3}})
    outcome = run_search(spec, tmp_path, trials=12, population=4, jobs=1, quiet=True)
    frame = pd.read_parquet(tmp_path / "results.parquet")
    assert outcome.points == len(frame) > 0 and frame["pareto"].any()
    paths = build_report(tmp_path)
    html = (tmp_path / "report.html").read_text()
    assert "data:image/png;base64," in html and "http" not in html.replace("http-equiv", "")
    assert (tmp_path / "plots" / "pareto.svg").is_file() and (tmp_path / "summary.md") in paths


def test_int_vs_fp_reproduction_writes_summary(tmp_path):
    from experiments.papers.int_vs_fp import reproduce
    paths = reproduce(tmp_path, shape=(32, 256))
    summary = (tmp_path / "int_vs_fp_summary.md").read_text()
    assert len(paths) == 4 and "MXINT8 beats MXFP8" in summary and "| 8/8 distributions | yes |" in summary


def test_area_objective_and_budget(tmp_path):
    """BitMoD designs carry sourced areas; the area budget constrains and area is an objective."""
    from experiments.cli import main as cli

    spec = tmp_path / "area.yaml"
    spec.write_text(
        "schema_version: 1\nname: area\nbase: bitmod_bitmod\n"
        "workload: {model: opt-1.3b, phase: decode, batch: 1, context: 128, weight_format: bitmod3}\n"
        "axes:\n  unit.rows: [16, 32, 64, 128]\n"
        "constraints: ['area_mm2 <= 6.5']\nobjectives: [latency_s, area_mm2]\n")
    out = tmp_path / "out"
    assert cli(["sweep", str(spec), "--out", str(out), "--quiet", "--no-report"]) == 0
    frame = pd.read_parquet(out / "results.parquet").sort_values("unit_rows")
    expected = frame.unit_rows * 16 * 1507.7e-6 + 3 * 1.602
    assert np.allclose(frame.area_mm2, expected)
    assert list(frame.feasible) == [True, True, True, False]  # 128 rows exceed 6.5 mm^2
    assert frame[frame.pareto].area_mm2.min() == pytest.approx(expected.min())
