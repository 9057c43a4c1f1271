"""Sweeps: a spec -> design points -> evaluated rows in a crash-safe store -> Parquet/CSV.

    >>> from experiments.spec import spec_from_dict
    >>> spec = spec_from_dict({"schema_version": 1, "name": "t", "base": "systolic_32x32_ws",
    ...                        "axes": {"unit.rows": [16, 32], "phase": ["decode", "prefill"]}})
    >>> points, skipped = enumerate_points(spec)
    >>> len(points), points[0].workload["phase"], points[0].accelerator["unit"]["rows"]
    (4, 'decode', 16)

A design point is an accelerator (its plain-data form after the axes' overrides) plus the
workload fields; its ``point_id`` is the sha256 of the canonical JSON of both. Points whose
format the unit cannot run (an MX tensor core without a rate for the weight or KV format)
are skipped at enumeration and counted, not evaluated: a spec keeps them out by giving
such a family its own format axis under ``designs``. A point whose evaluation raises is
stored as failed with its error, and the sweep goes on.

Execution: in-process (``jobs=1``), a local process pool (default: one worker per core),
or Dask (``dask="local:N"`` starts a LocalCluster of N single-threaded workers;
``dask="tcp://host:8786"`` joins a running scheduler whose workers have bitplane
installed). Every way gives the same rows: evaluation is a pure function of the point.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import math
import os
import sqlite3
import sys
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

import numerics
from arch import Accelerator, from_dict, to_dict
from arch.units import MXTensorCore
from arch.workloads import expand, format_bits
from numerics.formats import IntFormat
from sim import simulate_workload
from sim.energy import timing_flags
from sim.geometry import geometry

from .errors import UserError
from .spec import OBJECTIVES, WORKLOAD_AXES, QsnrSpec, SweepSpec, _base_dict, apply_overrides, canonical_json
from .store import PointRecord, ResultStore, collect_metadata, export_tables

__all__ = ["DesignPoint", "SweepOutcome", "enumerate_points", "evaluate_chunk", "evaluate_point",
           "pareto_mask", "run_points", "run_sweep"]

STORE_NAME = "results.sqlite"
DEFAULT_QSNR = QsnrSpec()


@dataclass(frozen=True)
class DesignPoint:
    """One design point x workload, as plain data (it travels to worker processes)."""

    seq: int
    design: str
    accelerator: dict
    workload: dict
    labels: dict

    @property
    def point_id(self) -> str:
        return point_id(self.accelerator, self.workload)


def point_id(accelerator: dict, workload: dict) -> str:
    text = canonical_json({"accelerator": accelerator, "workload": workload})
    return hashlib.sha256(text.encode()).hexdigest()


# --- enumeration ---------------------------------------------------------------------------

@lru_cache(maxsize=4096)
def _canonical_accelerator(base: str, overrides: tuple[tuple[str, Any], ...]) -> str:
    data = apply_overrides(_base_dict(base), dict(overrides))
    return canonical_json(to_dict(from_dict(Accelerator, data, source=base)))


def make_point(spec: SweepSpec, design_index: int, values: dict[str, Any], seq: int) -> DesignPoint:
    """The point of design ``design_index`` with axis ``values`` (axis name -> value)."""
    design = spec.designs[design_index]
    arch = tuple((k, v) for k, v in values.items() if k not in WORKLOAD_AXES)
    acc = json.loads(_canonical_accelerator(design.base, arch))
    workload = asdict(spec.workload) | {k: v for k, v in values.items() if k in WORKLOAD_AXES}
    return DesignPoint(seq, design.base, acc, workload, dict(arch))


def supported(point: DesignPoint) -> bool:
    """False where the unit has no datapath for the point's formats (skipped, not failed)."""
    unit = point.accelerator["unit"]
    if unit.get("type") == MXTensorCore.TYPE:
        rates = unit["rates"]
        return point.workload["weight_format"] in rates and point.workload["kv_format"] in rates
    return True


def _grid_indices(spec: SweepSpec, sizes: list[int]) -> Iterable[int]:
    total = sum(sizes)
    if spec.sampling.method == "grid":
        return range(total)
    rng = np.random.default_rng(spec.sampling.seed)
    return sorted(int(i) for i in rng.choice(total, size=min(spec.sampling.count, total), replace=False))


def _decode(index: int, names: list[str], axes: dict) -> dict[str, Any]:
    values = {}
    for name in reversed(names):  # the last axis varies fastest, as itertools.product
        index, digit = divmod(index, len(axes[name]))
        values[name] = axes[name][digit]
    return {name: values[name] for name in names}


def enumerate_points(spec: SweepSpec) -> tuple[list[DesignPoint], int]:
    """The spec's distinct, supported points in order, and how many unsupported were skipped."""
    axes = [spec.design_axes(i) for i in range(len(spec.designs))]
    sizes = [math.prod(len(v) for v in a.values()) for a in axes]
    starts = list(itertools.accumulate([0, *sizes]))
    points, seen, skipped = [], set(), 0
    for index in _grid_indices(spec, sizes):
        design = int(np.searchsorted(starts, index, side="right")) - 1
        values = _decode(index - starts[design], list(axes[design]), axes[design])
        point = make_point(spec, design, values, len(points))
        if not supported(point):
            skipped += 1
        elif point.point_id not in seen:
            seen.add(point.point_id)
            points.append(point)
    return points, skipped


# --- evaluation (runs in workers) ----------------------------------------------------------

def _accelerator(data: dict) -> Accelerator:
    return from_dict(Accelerator, data, source="<design point>")


@lru_cache(maxsize=256)
def _workload(model, phase, batch, context, weight_format, activation_format, kv_format):
    return expand(model, phase, batch, context, weight_format, activation_format, kv_format)


@lru_cache(maxsize=128)
def weight_qsnr_db(fmt: str, qsnr: QsnrSpec) -> float:
    """QSNR (dB) of ``fmt`` on the spec's seeded test tensor (element formats: per-tensor scale)."""
    x = numerics.test_tensor(qsnr.distribution, (qsnr.rows, qsnr.cols), qsnr.seed)
    if fmt in numerics.SCHEMES:
        return float(numerics.scheme_error(x, fmt).qsnr_db)
    element = numerics.get_format(fmt)
    scale = element.max_value / float(np.max(np.abs(x))) if isinstance(element, IntFormat) else 1.0
    return float(numerics.qsnr_db(x, element.quantize(x * scale) / scale))


def _base_row(point: DesignPoint) -> dict:
    unit = point.accelerator["unit"]
    return {"design": point.design, "accelerator": point.accelerator["name"], "family": unit.get("type"),
            "unit_rows": unit.get("rows"), "unit_cols": unit.get("cols"),
            "clock_hz": point.accelerator["clock_hz"],
            "dram_bandwidth_bytes_per_s": point.accelerator["dram"]["bandwidth_bytes_per_s"],
            **{f"axis:{k}": v for k, v in point.labels.items()}, **point.workload}


def _metrics(acc: Accelerator, workload, result, qsnr: QsnrSpec) -> dict:
    energy_pj = result.total_energy_pj
    latency = result.latency_s
    dram_bytes = sum(op.dram_bytes for op in result.ops)
    bits = format_bits(workload.weight_format)
    peak = geometry(acc.unit, workload.weight_format, bits).peak_macs_per_cycle * acc.clock_hz
    area = acc.area_mm2  # of the parts with a figure; area_missing names the others
    return {"weight_bits": bits, "cycles": result.cycles, "latency_s": latency, "energy_pj": energy_pj,
            "area_mm2": area, "area_missing": ",".join(acc.area_missing),
            "timing_flags": "; ".join(timing_flags({k for op in result.ops for k in op.actions},
                                                   acc.energy, acc.clock_hz)),
            **{f"energy_{c}_pj": v for c, v in sorted(result.energy_pj.items())},
            "edp_j_s": energy_pj * 1e-12 * latency, "macs": result.macs, "dram_bytes": dram_bytes,
            "tokens": workload.tokens, "tokens_per_s": workload.tokens / latency,
            "energy_per_token_j": energy_pj * 1e-12 / workload.tokens,
            "peak_macs_per_s": peak, "attained_macs_per_s": result.macs / latency,
            "arithmetic_intensity_macs_per_byte": result.macs / dram_bytes if dram_bytes else math.inf,
            "qsnr_db": weight_qsnr_db(workload.weight_format, qsnr)}


def _op_rows(result) -> list[dict]:
    return [{"op": op.name, "repeats": op.repeats, "compute_cycles": op.compute_cycles,
             "memory_cycles": op.memory_cycles, "cycles": op.cycles, "latency_s": op.cycles / result.clock_hz,
             "bound": op.bound, "macs": op.macs, "dram_bytes": op.dram_bytes, "energy_pj": op.total_energy_pj}
            for op in result.ops]


def evaluate_point(point: DesignPoint, qsnr: QsnrSpec = DEFAULT_QSNR) -> PointRecord:
    """Simulate one point analytically; any exception becomes a failed record with its error."""
    row = _base_row(point)
    try:
        acc = _accelerator(point.accelerator)
        workload = _workload(*(point.workload[k] for k in WORKLOAD_AXES))
        result = simulate_workload(workload, acc)
        row |= _metrics(acc, workload, result, qsnr)
    except Exception as exc:  # noqa: BLE001 - a failed point is data, the sweep goes on
        return PointRecord(point.point_id, point.seq, "failed", f"{type(exc).__name__}: {exc}", row)
    return PointRecord(point.point_id, point.seq, "ok", "", row, _op_rows(result))


def evaluate_chunk(points: list[DesignPoint], qsnr: QsnrSpec = DEFAULT_QSNR) -> list[PointRecord]:
    return [evaluate_point(p, qsnr) for p in points]


# --- execution -----------------------------------------------------------------------------

def _chunks(points: list, workers: int) -> list[list]:
    size = max(1, min(32, len(points) // max(1, 4 * workers)))
    return [points[i:i + size] for i in range(0, len(points), size)]


def _local(chunks: list, qsnr: QsnrSpec, jobs: int) -> Iterator[list[PointRecord]]:
    if jobs == 1 or len(chunks) <= 1:
        yield from (evaluate_chunk(c, qsnr) for c in chunks)
        return
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(evaluate_chunk, c, qsnr) for c in chunks]
        for future in as_completed(futures):
            yield future.result()


def _dask(chunks: list, qsnr: QsnrSpec, address: str) -> Iterator[list[PointRecord]]:
    from dask.distributed import Client, LocalCluster
    from dask.distributed import as_completed as dask_completed
    cluster = None
    if address.startswith("local:"):
        workers = address.partition(":")[2]
        if not workers.isdigit() or int(workers) < 1:
            raise UserError(f"--dask local:N needs a positive worker count, not {address!r}")
        cluster = LocalCluster(n_workers=int(workers), threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=logging.ERROR)
    try:
        client = Client(cluster or address, timeout="20s")
    except (OSError, TimeoutError) as exc:
        if cluster is not None:
            cluster.close()
        raise UserError(f"cannot reach Dask scheduler {address}: {exc}") from None
    try:
        futures = client.map(evaluate_chunk, chunks, qsnr=qsnr, pure=False)
        for future in dask_completed(futures):
            yield future.result()
            future.release()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def run_points(points: list[DesignPoint], store: ResultStore, qsnr: QsnrSpec, *, jobs: int | None = None,
               dask: str | None = None, quiet: bool = False, desc: str = "sweep") -> int:
    """Evaluate the points ``store`` lacks and commit each as it arrives; returns how many ran."""
    done = store.finished_ids()
    todo = [p for p in points if p.point_id not in done]
    if not todo:
        return 0
    jobs = jobs or os.cpu_count() or 1
    chunks = _chunks(todo, 1 if dask is None and jobs == 1 else jobs)
    results = _dask(chunks, qsnr, dask) if dask else _local(chunks, qsnr, jobs)
    with tqdm(total=len(todo), desc=desc, unit="pt", file=sys.stderr, disable=quiet or None,
              mininterval=0.5, dynamic_ncols=True) as bar:
        for records in results:
            for record in records:
                store.put(record)
            bar.update(len(records))
    return len(todo)


# --- analysis of stored rows ---------------------------------------------------------------

def pareto_mask(values: np.ndarray) -> np.ndarray:
    """Rows of ``values`` (n x k, every column minimized) that no other row dominates."""
    values = np.asarray(values, float)
    keep = np.ones(len(values), bool)
    for i in range(len(values)):
        if keep[i]:
            others = values[keep]
            dominated = np.all(others <= values[i], axis=1) & np.any(others < values[i], axis=1)
            if dominated.any():
                keep[i] = False
    return keep


SCENARIO = ("model", "phase", "batch", "context")


def _scenarios(frame) -> list:
    """Index labels of the rows of each workload scenario: fronts compare like with like."""
    if not len(frame):
        return []
    return [group.index for _, group in frame.groupby(list(SCENARIO), sort=False)]


def annotate(frame, spec: SweepSpec):
    """``feasible`` (ok and every constraint holds) and ``pareto`` (non-dominated on the spec's
    objectives among the feasible rows of the same model, phase, batch and context)."""
    frame = frame.copy()
    feasible = np.array(frame["status"] == "ok", bool) if len(frame) else np.zeros(0, bool)
    for c in spec.parsed_constraints:
        column = frame[c.column] if c.column in frame else np.full(len(frame), np.nan)
        feasible &= np.asarray(c.holds(np.asarray(column, float)), bool)
    frame["feasible"] = feasible
    pareto = np.zeros(len(frame), bool)
    signs = [1.0 if OBJECTIVES[o] == "minimize" else -1.0 for o in spec.objectives]
    known = ~frame[list(spec.objectives)].isna().any(axis=1).to_numpy() if len(frame) else feasible
    for rows in _scenarios(frame[feasible & known]):
        values = frame.loc[rows, list(spec.objectives)].to_numpy(float) * signs
        pareto[frame.index.get_indexer(rows)] = pareto_mask(values)
    frame["pareto"] = pareto
    return frame


@dataclass(frozen=True)
class SweepOutcome:
    out_dir: Path
    points: int
    evaluated: int
    skipped: int
    failed: int
    paths: tuple[Path, ...]


def open_store(out_dir: Path, spec: SweepSpec, kind: str = "sweep") -> ResultStore:
    """The store of ``out_dir`` for ``spec``; refuses a folder that holds another spec's results."""
    try:
        Path(out_dir).mkdir(parents=True, exist_ok=True)
        store = ResultStore(Path(out_dir) / STORE_NAME)
    except (OSError, sqlite3.Error) as exc:
        raise UserError(f"cannot open a result store in {out_dir}: {exc}") from None
    meta = collect_metadata(spec, kind)
    held = store.meta().get("spec_hash")
    if held is not None and held != meta["spec_hash"]:
        store.close()
        raise UserError(f"{out_dir} holds results of another spec (hash {held[:12]}, this one "
                        f"{meta['spec_hash'][:12]}); choose another --out")
    store.set_meta(meta)
    return store


def finish(store: ResultStore, spec: SweepSpec, out_dir: Path, extra_meta: dict | None = None):
    """Annotate the stored rows (feasible, pareto) and write the tables and metadata."""
    meta = store.meta() | (extra_meta or {})
    store.set_meta(extra_meta or {})
    frame = annotate(store.frame(), spec)
    return frame, export_tables(frame, store.ops_frame(), Path(out_dir), meta)


def run_sweep(spec: SweepSpec, out_dir: Path, *, jobs: int | None = None, dask: str | None = None,
              quiet: bool = False) -> SweepOutcome:
    """Run (or resume) ``spec`` into ``out_dir``: the store, then results.parquet/csv and metadata."""
    points, skipped = enumerate_points(spec)
    with open_store(out_dir, spec) as store:
        evaluated = run_points(points, store, spec.qsnr, jobs=jobs, dask=dask, quiet=quiet)
        frame, paths = finish(store, spec, out_dir, {"skipped_unsupported": skipped})
    failed = int((frame["status"] == "failed").sum()) if len(frame) else 0
    return SweepOutcome(Path(out_dir), len(points), evaluated, skipped, failed, paths)
