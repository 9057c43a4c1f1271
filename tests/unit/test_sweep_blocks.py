"""The sweep's block path (experiments.grid + experiments.blocks) against the scalar reference
(experiments.blocks.evaluate_point, one sim.simulate per point), the Pareto front against brute
force, and batched writes."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from arch.units import MXTensorCore
from experiments.blocks import block_of_points, evaluate_block, evaluate_point
from experiments.grid import plan_sweep
from experiments.points import enumerate_points
from experiments.spec import spec_from_dict
from experiments.store import ResultStore
from experiments.sweep import pareto_mask
from sim.accuracy import gemm_accuracy

EVERY_FAMILY = {
    "schema_version": 1, "name": "every",
    "workload": {"model": "opt-1.3b", "context": 64},
    "designs": [
        {"base": "systolic_32x32_ws", "axes": {"unit.rows": [8, 64], "weight_format": ["fp16", "mxfp4"]}},
        {"base": "mx_tensor_core", "axes": {"unit.cols": [4, 8], "weight_format": ["mxfp4", "nvfp4", "fp16"],
                                            "kv_format": ["mxfp8_e4m3"]}},
        {"base": "bitmod_ant", "axes": {"weight_format": ["int4_group", "bitmod3"]}},
        {"base": "bitmod_bitmod",
         "axes": {"weight_format": ["bitmod3"], "dram.bandwidth_bytes_per_s": [1e10]}},
        {"base": "duplex", "axes": {"pim.units": [16, 32], "weight_format": ["fp16", "mxfp4"]}},
        {"base": "h100", "axes": {}},
        {"base": "lutllm_v80", "axes": {"units": [8, 16]}},
    ],
    "axes": {"workload.phase": ["decode", "prefill"]},
    "qsnr": {"rows": 8, "cols": 128},
}


def _block_rows(spec) -> tuple[pd.DataFrame, pd.DataFrame]:
    results = [evaluate_block(b, spec.qsnr) for b in plan_sweep(spec, block_size=3).blocks]
    return (pd.concat([r[0] for r in results]).set_index("point_id"),
            pd.concat([r[1] for r in results if len(r[1])]))


def _same(a, b) -> bool:
    if isinstance(a, float | np.floating) or isinstance(b, float | np.floating):
        a, b = float(a if a is not None else math.nan), float(b if b is not None else math.nan)
        return (math.isnan(a) and math.isnan(b)) or a == pytest.approx(b, rel=1e-9)
    return a == b


def test_blocks_plan_the_points_the_typed_enumeration_gives():
    spec = spec_from_dict(EVERY_FAMILY)
    points, skipped = enumerate_points(spec)
    plan = plan_sweep(spec, block_size=3)
    ids = [pid for block in plan.blocks for pid in block.point_ids]
    assert sorted(ids) == sorted(p.point_id for p in points) and len(set(ids)) == len(ids)
    assert (plan.points, plan.skipped) == (len(points), skipped) and skipped == 2 + 4
    # skipped: bitmod_ant x bitmod3, duplex x mxfp4 (the MX core has an FP16 path)
    assert sorted(s for b in plan.blocks for s in b.seqs) == list(range(len(points)))


def test_block_rows_equal_the_scalar_rows_on_every_family():
    spec = spec_from_dict(EVERY_FAMILY)
    rows, ops = _block_rows(spec)
    assert set(rows["family"]) == {"systolic", "mx_tensor_core", "bitserial", "logic_pim", "fpga_lut"}
    for point in enumerate_points(spec)[0]:
        ref = evaluate_point(point, spec.qsnr)
        assert ref.status == "ok", ref.error
        got = rows.loc[point.point_id]
        for column, value in ref.row.items():
            assert _same(got[column], value), (point.base, column, got[column], value)
        mine = ops[ops.point_id == point.point_id].sort_values("op_index")
        assert mine["cycles"].tolist() == [op["cycles"] for op in ref.ops]
        np.testing.assert_allclose(mine["energy_pj"], [op["energy_pj"] for op in ref.ops], rtol=1e-9)
        extra = [c for c in got.index if c.startswith("energy_") and c not in ref.row]
        assert all(got[c] == 0 or pd.isna(got[c]) for c in extra)


def test_mx_qsnr_follows_the_accumulator():
    spec = spec_from_dict({"schema_version": 1, "name": "acc", "base": "mx_tensor_core",
                           "workload": {"model": "opt-1.3b", "weight_format": "mxfp8_e4m3",
                                        "kv_format": "mxfp8_e4m3"},
                           "axes": {"unit.accumulator": ["exact_fp32", "tensor_core_h100"]},
                           "qsnr": {"rows": 8, "cols": 1024}})
    rows, _ = _block_rows(spec)
    qsnr = rows.set_index("axis:unit.accumulator")["qsnr_db"]
    for name in ("exact_fp32", "tensor_core_h100"):
        unit = MXTensorCore(rows=1, cols=1, accumulator=name)
        assert qsnr[name] == gemm_accuracy(unit, "mxfp8_e4m3", k=1024, rows=8).qsnr_db
    assert qsnr["exact_fp32"] != qsnr["tensor_core_h100"]


def test_a_failing_block_is_failed_rows_and_the_store_keeps_blocks_once(tmp_path):
    spec = spec_from_dict({"schema_version": 1, "name": "f", "base": "systolic_32x32_ws",
                           "axes": {"unit.rows": [8, 16]}, "qsnr": {"rows": 8, "cols": 128}})
    block = plan_sweep(spec).blocks[0]
    from dataclasses import replace
    broken = replace(block, workload=replace(block.workload, context=10**6))
    rows, ops = evaluate_block(broken, spec.qsnr)
    assert rows["status"].tolist() == ["failed"] * 2 and "context" in rows["error"][0] and not len(ops)
    good_rows, good_ops = evaluate_block(block, spec.qsnr)
    with ResultStore(tmp_path / "s.sqlite") as store:
        assert store.put_block(good_rows, good_ops) == 2 and store.put_block(good_rows, good_ops) == 0
        assert len(store) == 2 and store.finished_ids() == set(block.point_ids)
        assert len(store.ops_frame()) == len(good_ops)
        assert store.get(block.point_ids[1]).row["design"] == "systolic 16x32 ws"


def test_points_proposed_twice_become_one_block_row():
    spec = spec_from_dict(EVERY_FAMILY)
    points = enumerate_points(spec)[0][:3]
    blocks = block_of_points(points + points[:1])
    assert sum(len(b) for b in blocks) == 3


@pytest.mark.parametrize(("k", "levels"), [(2, 40), (3, 40), (3, 5000), (4, 40)])
def test_pareto_mask_equals_brute_force(k, levels):
    rng = np.random.default_rng(k * levels)
    values = rng.random((3000, k))
    values[:, -1] = 1.5 - values[:, :-1].sum(axis=1) / (k - 1) + 0.2 * values[:, -1]  # a trade-off
    values = np.round(values * levels)  # ties and duplicates (few distinct values at 40)
    brute = np.array([not np.any(np.all(values <= v, axis=1) & np.any(values < v, axis=1)) for v in values])
    assert pareto_mask(values, block=64).tolist() == brute.tolist()
    assert brute.sum() > 5
