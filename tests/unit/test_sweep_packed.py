"""The pool workers' path (rows built as Arrow columns and packed where they are computed)
against evaluate_block's DataFrames, and the store's packed writes: no point twice, rows read
back in seq order whatever order the blocks arrived in."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pyarrow as pa

from experiments.blocks import evaluate_block, evaluate_block_packed
from experiments.grid import plan_sweep
from experiments.spec import spec_from_dict
from experiments.store import ResultStore, pack_rows

from .test_sweep_blocks import EVERY_FAMILY


def _unpack(blob: bytes) -> pd.DataFrame:
    return pa.ipc.open_stream(blob).read_all().to_pandas()


def test_packed_rows_equal_the_dataframe_rows_on_every_family():
    spec = spec_from_dict(EVERY_FAMILY)
    blocks = plan_sweep(spec, block_size=3).blocks
    families = set()
    for block in blocks:
        rows, ops = evaluate_block(block, spec.qsnr)
        packed = evaluate_block_packed(block, spec.qsnr)
        assert packed.point_ids == block.point_ids
        reference = _unpack(pack_rows(rows, ops).points)
        pd.testing.assert_frame_equal(_unpack(packed.points), reference)
        pd.testing.assert_frame_equal(_unpack(packed.ops), _unpack(pack_rows(rows, ops).ops))
        families |= set(reference["family"])
    assert families == {"systolic", "mx_tensor_core", "bitserial", "logic_pim", "fpga_lut"}


def test_a_failing_block_packs_failed_rows():
    spec = spec_from_dict({"schema_version": 1, "name": "f", "base": "systolic_32x32_ws",
                           "axes": {"unit.rows": [8, 16]}, "qsnr": {"rows": 8, "cols": 128}})
    block = plan_sweep(spec).blocks[0]
    broken = replace(block, workload=replace(block.workload, context=10**6))
    rows = _unpack(evaluate_block_packed(broken, spec.qsnr).points)
    assert rows["status"].tolist() == ["failed"] * 2 and "context" in rows["error"][0]


def test_store_keeps_each_point_once_and_reads_blocks_back_in_seq_order(tmp_path):
    spec = spec_from_dict(EVERY_FAMILY)
    blocks = plan_sweep(spec, block_size=3).blocks
    assert [s for b in blocks for s in b.seqs] == list(range(sum(len(b) for b in blocks)))
    with ResultStore(tmp_path / "s.sqlite") as store:
        for block in reversed(blocks):  # as a pool may finish them
            assert store.put_packed(evaluate_block_packed(block, spec.qsnr)) == len(block)
        again = evaluate_block_packed(blocks[0], spec.qsnr)
        assert store.put_packed(again) == 0
        cut = replace(blocks[1], point_ids=(blocks[1].point_ids[0], "new"), seqs=(blocks[1].seqs[0], 999),
                      designs=blocks[1].designs[:1] * 2, design_labels=blocks[1].design_labels[:1] * 2)
        assert store.put_packed(evaluate_block_packed(cut, spec.qsnr)) == 1  # only "new" is new
        frame = store.frame()
    assert frame["point_id"].is_unique and len(frame) == sum(len(b) for b in blocks) + 1
    assert frame["seq"].tolist() == sorted(frame["seq"]) and frame["seq"].iloc[-1] == 999
    with ResultStore(tmp_path / "s.sqlite") as store:  # reopened: the ids come from the file
        assert store.put_packed(again) == 0 and len(store) == len(frame)
