"""Sweeps at layer scope: the spec field, support (skipped, counted), per-op rows and the plot."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, replace
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from arch import ConfigError
from experiments.grid import plan_sweep
from experiments.plots import latency_per_op_figure
from experiments.points import enumerate_points, workload_hash
from experiments.spec import WorkloadSpec, canonical_json, load_spec, spec_from_dict
from experiments.sweep import run_sweep

ROOT = Path(__file__).resolve().parents[2]
LAYERS = ROOT / "experiments" / "specs" / "layers.yaml"


def _spec(**changes) -> dict:
    return {"schema_version": 1, "name": "t", "base": ["systolic_32x32_ws", "duplex", "lutllm_v80"],
            "workload": {"model": "opt-1.3b", "context": 128, "scope": "layer"},
            "axes": {"phase": ["decode", "prefill"]}, "qsnr": {"rows": 8, "cols": 128}} | changes


def test_shipped_layer_spec_has_softmax_and_norm_rows_and_bars(tmp_path):
    spec = load_spec(LAYERS)
    assert spec.workload.scope == "layer"
    small = replace(spec, axes={"phase": ("decode", "prefill")}, designs=spec.designs[:1])
    outcome = run_sweep(small, tmp_path, jobs=1, quiet=True)
    assert outcome.failed == 0 and outcome.points > 0
    frame, ops = pd.read_parquet(tmp_path / "results.parquet"), pd.read_parquet(tmp_path / "ops.parquet")
    assert set(frame.scope) == {"layer"}
    names = set(ops.op)
    assert {"attn.softmax", "attn.norm", "mlp.norm", "mlp.act", "attn.rotary"} <= names
    vector = ops[ops.op.isin(["attn.softmax", "attn.norm"])]
    assert (vector.latency_s > 0).all() and (vector.macs == 0).all()
    # the report's per-op plot draws a bar for them
    fig = latency_per_op_figure(frame.assign(feasible=True), ops)
    labels = {t.get_text() for ax in fig.axes for t in ax.get_yticklabels()}
    plt.close(fig)
    assert {"attn.softmax", "attn.norm", "mlp.norm"} <= labels


def test_pim_and_lut_points_of_a_layer_sweep_are_skipped_and_counted():
    spec = spec_from_dict(_spec())
    points, skipped = enumerate_points(spec)
    assert skipped == 4 and {p.base for p in points} == {"systolic_32x32_ws"}
    assert plan_sweep(spec).skipped == 4  # the block planner counts the same


def test_scope_as_an_axis_keeps_families_competing_at_gemm_scope():
    spec = spec_from_dict(_spec(workload={"model": "opt-1.3b", "context": 128},
                                axes={"scope": ["gemm", "layer"], "phase": ["decode"]}))
    points, skipped = enumerate_points(spec)
    scopes = {(p.base, p.workload.scope) for p in points}
    assert ("duplex", "gemm") in scopes and ("systolic_32x32_ws", "layer") in scopes
    assert ("duplex", "layer") not in scopes and skipped == 2


def test_a_bad_scope_is_one_line_naming_the_field():
    with pytest.raises(ConfigError, match=r"workload\.scope: must be one of gemm, layer, not 'layers'"):
        spec_from_dict(_spec(workload={"model": "opt-1.3b", "scope": "layers"}))
    with pytest.raises(ConfigError, match=r"axes.*: must be one of gemm, layer, not 'all'"):
        spec_from_dict(_spec(axes={"scope": ["all"]}))


def test_gemm_scope_point_ids_are_those_of_stores_without_a_scope():
    gemm, layer = WorkloadSpec(), WorkloadSpec(scope="layer")
    before = {k: v for k, v in asdict(gemm).items() if k != "scope"}  # a WorkloadSpec had no scope
    assert workload_hash(gemm) == hashlib.sha256(canonical_json(before).encode()).hexdigest()
    assert workload_hash(layer) != workload_hash(gemm)
