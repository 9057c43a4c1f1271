"""Evaluating a :class:`experiments.grid.Block`: one fleet run, then rows built as columns.

    >>> from experiments.grid import plan_sweep
    >>> from experiments.spec import spec_from_dict
    >>> spec = spec_from_dict({"schema_version": 1, "name": "t", "base": "systolic_32x32_ws",
    ...                        "axes": {"unit.rows": [16, 32]}, "qsnr": {"rows": 8, "cols": 128}})
    >>> points, ops = evaluate_block(plan_sweep(spec).blocks[0])
    >>> points["design"].tolist(), points["status"].tolist(), len(ops)
    (['systolic 16x32 ws', 'systolic 32x32 ws'], ['ok', 'ok'], 20)

The block's designs run through one :func:`sim.fleet.prepare` fleet, kept per design set
and reused for every workload that set meets in this process; what depends on a design
alone (its name, facts and QSNR) is computed once per design set and weight format. A block
whose evaluation raises becomes failed rows carrying the error, and the sweep goes on.
:func:`evaluate_point` is the scalar reference: the same rows from one :func:`sim.simulate`
per point (tests/unit/test_sweep_blocks.py holds the two equal on every family).
"""

from __future__ import annotations

import math
from dataclasses import asdict

import numpy as np
import pandas as pd
import pyarrow as pa

from arch import Accelerator
from arch.design import describe, family_of
from arch.workloads import format_bits
from sim import simulate
from sim.accuracy import design_qsnr_db
from sim.analytic import compute_actions
from sim.energy import timing_flags
from sim.fleet import gather, prepare
from sim.run import design_facts

from .grid import Block
from .points import DEFAULT_QSNR, DesignPoint, expanded
from .spec import QsnrSpec
from .store import PackedRows, PointRecord, pack_table

__all__ = ["block_of_points", "evaluate_block", "evaluate_block_packed", "evaluate_point"]


_CACHE: dict[tuple, object] = {}  # per process: what a design set yields, by (kind, block key, ...)


def _cached(key: tuple, make):
    """``make()`` once per ``key`` (designs are frozen, so a block key names its results)."""
    if key not in _CACHE:
        if len(_CACHE) >= 256:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[key] = make()
    return _CACHE[key]


def _area_missing(design) -> str:
    """The parts without a sourced or synthesized area (an accelerator's), or the whole design."""
    return ",".join(design.area_missing) if isinstance(design, Accelerator) else "whole design"


def _timing(design, weight_format: str) -> str:
    """Compute units priced by a table entry whose fmax is below the design's clock."""
    if not isinstance(design, Accelerator):
        return ""
    actions = compute_actions(design.unit, None, 1, 1, 1, 1, weight_format)
    return "; ".join(timing_flags(actions, design.energy, design.clock_hz))


def _design_columns(designs: tuple, weight_format: str, qsnr: QsnrSpec) -> dict[str, np.ndarray]:
    facts = [design_facts(d, weight_format) for d in designs]
    nan = lambda v: math.nan if v is None else v  # noqa: E731
    return {"unit_rows": np.array([nan(f.unit_rows) for f in facts], float),
            "unit_cols": np.array([nan(f.unit_cols) for f in facts], float),
            "clock_hz": np.array([f.clock_hz for f in facts]),
            "dram_bandwidth_bytes_per_s": np.array([f.memory_bandwidth_bytes_per_s for f in facts]),
            "area_mm2": np.array([nan(f.area_mm2) for f in facts], float),
            "area_missing": [_area_missing(d) for d in designs],
            "timing_flags": [_timing(d, weight_format) for d in designs],
            "peak_macs_per_s": np.array([f.peak_macs_per_s for f in facts]),
            "qsnr_db": np.array([design_qsnr_db(d, weight_format, qsnr.distribution, qsnr.rows, qsnr.cols,
                                                qsnr.seed) for d in designs])}


def _axis_columns(block: Block) -> dict[str, list]:
    axes = [axis for axis, _ in block.design_labels[0]] if block.design_labels else []
    values = list(zip(*([v for _, v in labels] for labels in block.design_labels), strict=True))
    return {f"axis:{axis}": list(column) for axis, column in zip(axes, values, strict=True)}


def _base_columns(block: Block) -> dict:
    names, families = _cached(("names", block.key), lambda: ([describe(d) for d in block.designs],
                                                             [family_of(d) for d in block.designs]))
    columns = {"point_id": list(block.point_ids), "seq": list(block.seqs), "design": names,
               "base": block.base, "family": families}
    columns |= _cached(("axes", block.key), lambda: _axis_columns(block))
    columns |= {f"axis:{axis}": value for axis, value in block.workload_labels}
    return columns | asdict(block.workload)


def _metrics(block: Block, workload, many, qsnr: QsnrSpec) -> dict:
    energy = {c: e.sum(axis=1) for c, e in sorted(many.energy_pj.items())}
    total, latency = sum(energy.values()), many.latency_s
    macs, dram_bytes = float(many.macs.sum()), many.dram_bytes.sum(axis=1)
    design = _cached(("design", block.key, workload.weight_format, qsnr),
                     lambda: _design_columns(block.designs, workload.weight_format, qsnr))
    tokens = workload.tokens
    with np.errstate(divide="ignore"):
        intensity = np.where(dram_bytes > 0, macs / np.where(dram_bytes > 0, dram_bytes, 1), math.inf)
    return {**{k: v for k, v in design.items() if k != "qsnr_db"},
            "weight_bits": format_bits(workload.weight_format), "cycles": many.total_cycles,
            "latency_s": latency, "energy_pj": total,
            **{f"energy_{c}_pj": e for c, e in energy.items()},
            "edp_j_s": total * 1e-12 * latency, "macs": macs, "dram_bytes": dram_bytes, "tokens": tokens,
            "tokens_per_s": tokens / latency, "energy_per_token_j": total * 1e-12 / tokens,
            "attained_macs_per_s": macs / latency, "arithmetic_intensity_macs_per_byte": intensity,
            "qsnr_db": design["qsnr_db"]}


def _ops(block: Block, many) -> pd.DataFrame:
    designs, ops = many.cycles.shape
    energy = sum(many.energy_pj.values())
    return pd.DataFrame({
        "op": many.op_names.ravel(), "repeats": np.tile(many.repeats, designs),
        "compute_cycles": many.compute_cycles.ravel(), "memory_cycles": many.memory_cycles.ravel(),
        "cycles": many.cycles.ravel(), "latency_s": (many.cycles / many.clock_hz[:, None]).ravel(),
        "bound": np.where(many.memory_cycles > many.compute_cycles, "memory", "compute").ravel(),
        "macs": np.tile(many.macs, designs), "dram_bytes": many.dram_bytes.ravel(),
        "energy_pj": energy.ravel(), "point_id": np.repeat(np.array(block.point_ids, object), ops),
        "op_index": np.tile(np.arange(ops), designs), "seq": np.repeat(np.array(block.seqs), ops)})


def _columns(block: Block, evaluate, qsnr: QsnrSpec, op_rows: bool) -> tuple[dict, pd.DataFrame]:
    """(the block's point rows as columns, a scalar standing for a whole column; its op rows)."""
    base = _base_columns(block)
    try:
        workload = expanded(block.workload)
        many = evaluate(workload)
        rows = base | _metrics(block, workload, many, qsnr) | {"status": "ok", "error": ""}
        return rows, _ops(block, many) if op_rows else pd.DataFrame()
    except Exception as exc:  # noqa: BLE001 - failed points are data, the sweep goes on
        return base | {"status": "failed", "error": f"{type(exc).__name__}: {exc}"}, pd.DataFrame()


def _rows(block: Block, evaluate, qsnr: QsnrSpec, op_rows: bool) -> tuple[pd.DataFrame, pd.DataFrame]:
    rows, ops = _columns(block, evaluate, qsnr, op_rows)
    return pd.DataFrame(rows), ops


def _arrow(value, count: int) -> pa.Array:
    """One column as Arrow, as ``pa.Table.from_pandas`` makes it from the block's DataFrame
    (NaN is null, text is large_string; a scalar fills the column)."""
    if isinstance(value, np.ndarray | list):
        array = pa.array(value, from_pandas=True)
    elif isinstance(value, float) and math.isnan(value):
        array = pa.nulls(count, pa.float64())
    else:
        array = pa.repeat(value, count)
    return array.cast(pa.large_string()) if pa.types.is_string(array.type) else array


def evaluate_block_packed(block: Block, qsnr: QsnrSpec = DEFAULT_QSNR, op_rows: bool = True) -> PackedRows:
    """:func:`evaluate_block`'s rows packed for the store, built as Arrow columns (no DataFrame)."""
    fleet = _cached(("fleet", block.key), lambda: prepare(block.designs))
    rows, ops = _columns(block, fleet.run, qsnr, op_rows)
    table = pa.table({name: _arrow(value, len(block)) for name, value in rows.items()})
    return pack_table(table, ops)


def evaluate_block(block: Block, qsnr: QsnrSpec = DEFAULT_QSNR,
                   op_rows: bool = True) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(one row per point, one row per point x op unless not ``op_rows``) of ``block``, through
    one :func:`sim.fleet.prepare` fleet; see the module docstring."""
    fleet = _cached(("fleet", block.key), lambda: prepare(block.designs))
    return _rows(block, fleet.run, qsnr, op_rows)


def evaluate_point(point: DesignPoint, qsnr: QsnrSpec = DEFAULT_QSNR) -> PointRecord:
    """The scalar reference: one :func:`sim.simulate` run, rows built as a block's are."""
    block = block_of_points([point])[0]
    rows, ops = _rows(block, lambda w: gather([simulate(point.design, w)]), qsnr, True)
    row = rows.iloc[0].to_dict()
    status, error = row.pop("status"), row.pop("error")
    row.pop("point_id"), row.pop("seq")
    ops_rows = ops.drop(columns=["point_id", "op_index", "seq"]).to_dict("records") if len(ops) else []
    return PointRecord(point.point_id, point.seq, status, error, row, ops_rows)



def block_of_points(points: list[DesignPoint]) -> list[Block]:
    """Typed points (e.g. a search's proposals) as blocks: one per base and workload, in order."""
    first: dict[str, DesignPoint] = {}
    for p in points:
        first.setdefault(p.point_id, p)
    groups: dict[tuple, list[DesignPoint]] = {}
    for p in first.values():
        axes = tuple(a for a, _ in p.labels)
        groups.setdefault((p.base, p.workload, type(p.design), axes), []).append(p)
    return [Block("points:" + ":".join(p.point_id for p in members), base, tuple(p.design for p in members),
                  tuple(p.labels for p in members), workload, (), tuple(p.point_id for p in members),
                  tuple(p.seq for p in members))
            for (base, workload, _, _), members in groups.items()]
