"""Sweeps: a spec -> design points -> evaluated rows in a crash-safe store -> Parquet/CSV.

    >>> import numpy as np
    >>> pareto_mask(np.array([[1, 5], [2, 2], [3, 3], [5, 1]])).tolist()
    [True, True, False, True]

Points (typed design x workload pairs) are made and evaluated by :mod:`experiments.points`;
unsupported ones are skipped and counted. Each worker's chunk of finished points is
written in one store transaction: a killed sweep loses at most the chunks in flight, never
a committed point, and a rerun evaluates only what the store lacks.

Execution: in-process (``jobs=1``), a local process pool (default and cap: one worker per
CPU this process may run on),
or Dask (``dask="local:N"`` starts a LocalCluster of N single-threaded workers;
``dask="tcp://host:8786"`` joins a running scheduler whose workers have bitplane
installed). Every way gives the same rows: evaluation is a pure function of the point.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import sys
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
from tqdm import tqdm

from .blocks import block_of_points, evaluate_block, evaluate_block_packed, evaluate_point
from .errors import Interrupted, UserError
from .export import collect_metadata, export_tables
from .grid import Block, plan_sweep, spec_size
from .points import DesignPoint, enumerate_points
from .spec import OBJECTIVES, QsnrSpec, SweepSpec
from .store import PackedRows, ResultStore, pack_rows

__all__ = ["DesignPoint", "SweepOutcome", "available_cpus", "enumerate_points", "evaluate_point",
           "pareto_mask", "run_blocks", "run_points", "run_sweep"]

STORE_NAME = "results.sqlite"


def available_cpus() -> int:
    """CPUs this process may run on (its affinity mask where the OS has one)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


# --- execution -----------------------------------------------------------------------------

def block_size(points: int, workers: int) -> int:
    """Points per block: about eight blocks per worker, between 16 and 4096."""
    return max(16, min(4096, points // max(1, 8 * workers)))


def _subset(block: Block, keep: list[int]) -> Block:
    def pick(values: tuple) -> tuple:
        return tuple(values[i] for i in keep)
    return replace(block, key=f"{block.key}/{block.point_ids[keep[0]]}/{len(keep)}",
                   designs=pick(block.designs), design_labels=pick(block.design_labels),
                   point_ids=pick(block.point_ids), seqs=pick(block.seqs))


def _pending(blocks: list[Block], done: set[str]) -> list[Block]:
    """The blocks cut down to the points the store lacks (a cut block gets its own key)."""
    pending = []
    for block in blocks:
        keep = [i for i, pid in enumerate(block.point_ids) if pid not in done]
        if len(keep) == len(block):
            pending.append(block)
        elif keep:
            pending.append(_subset(block, keep))
    return pending


_SHIPPED: dict[str, tuple] = {}  # in a pool worker: a design set's (designs, labels), by block key


def _install(design_sets: dict[str, tuple]) -> None:
    _SHIPPED.update(design_sets)


def _evaluate_shipped(block: Block, qsnr: QsnrSpec, op_rows: bool) -> PackedRows:
    designs, labels = _SHIPPED[block.key]
    return evaluate_block_packed(replace(block, designs=designs, design_labels=labels), qsnr, op_rows)


def _local(blocks: list[Block], qsnr: QsnrSpec, op_rows: bool, jobs: int) -> Iterator[PackedRows]:
    """In this process, or in a pool whose workers get each design set once, when they start
    (inherited where processes fork), and then blocks without their designs: a design set
    meets every workload of the spec, and pickling it per block cost more than evaluating."""
    if jobs == 1 or len(blocks) <= 1:
        yield from (pack_rows(*evaluate_block(b, qsnr, op_rows)) for b in blocks)
        return
    sets = {b.key: (b.designs, b.design_labels) for b in blocks}
    pool = ProcessPoolExecutor(max_workers=jobs, initializer=_install, initargs=(sets,))
    try:
        futures = [pool.submit(_evaluate_shipped, replace(b, designs=(), design_labels=()), qsnr, op_rows)
                   for b in blocks]
        for future in as_completed(futures):
            yield future.result()
    finally:  # on Ctrl-C, do not wait for the queued chunks
        pool.shutdown(wait=True, cancel_futures=True)


def _dask(blocks: list[Block], qsnr: QsnrSpec, op_rows: bool, address: str) -> Iterator[tuple]:
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
        futures = client.map(evaluate_block_packed, blocks, qsnr=qsnr, op_rows=op_rows, pure=False)
        for future in dask_completed(futures):
            yield future.result()
            future.release()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def run_blocks(blocks: list[Block], store: ResultStore, qsnr: QsnrSpec, *, jobs: int | None = None,
               dask: str | None = None, quiet: bool = False, desc: str = "sweep",
               op_rows: bool = True) -> int:
    """Evaluate the points ``store`` lacks, committing each block as it arrives; returns how many ran.

    Ctrl-C ends with :class:`Interrupted` saying how many points are stored (each block is
    one transaction, so a rerun resumes without losing or repeating a point)."""
    todo = _pending(list(blocks), store.finished_ids())
    count = sum(len(b) for b in todo)
    if not todo:
        return 0
    jobs = min(jobs or available_cpus(), available_cpus())
    results = _dask(todo, qsnr, op_rows, dask) if dask else _local(todo, qsnr, op_rows, jobs)
    try:
        with tqdm(total=count, desc=desc, unit="pt", file=sys.stderr, disable=quiet or None,
                  mininterval=0.5, dynamic_ncols=True) as bar:
            for rows in results:
                store.put_packed(rows)
                bar.update(len(rows.point_ids))
    except KeyboardInterrupt:
        results.close()
        raise Interrupted(f"{len(store)} points are stored in {store.path} ({count} were to run); "
                          "run the same command again to resume") from None
    return count


def run_points(points: list[DesignPoint], store: ResultStore, qsnr: QsnrSpec, **options) -> int:
    """:func:`run_blocks` for typed points (a search's proposals); a point proposed twice in
    one call is evaluated once."""
    unique = list({p.point_id: p for p in points}.values())
    return run_blocks(block_of_points(unique), store, qsnr, **options)


# --- analysis of stored rows ---------------------------------------------------------------

def pareto_mask(values: np.ndarray, block: int = 256) -> np.ndarray:
    """Rows of ``values`` (n x k, every column minimized) that no other row dominates
    (equal rows do not dominate each other).

    Up to three objectives, one of them with few distinct values (the QSNR of a handful of
    formats), the front is found level by level of that objective with sorts and running
    minima (:func:`_front_by_levels`): ``O(n log n)``. Otherwise :func:`_front_blocked`."""
    values = np.asarray(values, float)
    if not len(values):
        return np.zeros(0, bool)
    k = values.shape[1]
    if k in (2, 3):
        distinct = [len(np.unique(values[:, j])) for j in range(k)] if k == 3 else [1]
        level = int(np.argmin(distinct))
        if k == 2 or distinct[level] <= 1024:
            rest = [j for j in range(k) if j != level] if k == 3 else [0, 1]
            levels = values[:, level] if k == 3 else np.zeros(len(values))
            return _front_by_levels(values[:, rest], levels)
    return _front_blocked(values, block)


def _weakly_dominated(points: np.ndarray, by: np.ndarray) -> np.ndarray:
    """Whether some row of ``by`` is <= each row of ``points`` in both columns."""
    if not len(by):
        return np.zeros(len(points), bool)
    order = np.argsort(by[:, 0], kind="stable")
    xs, best_y = by[order, 0], np.minimum.accumulate(by[order, 1])
    at = np.searchsorted(xs, points[:, 0], side="right") - 1
    return (at >= 0) & (best_y[np.maximum(at, 0)] <= points[:, 1])


def _dominated_within(points: np.ndarray) -> np.ndarray:
    """2-D dominance inside one set: in (x, y) order, a row is dominated when a row before
    its group of equal rows has y <= its y."""
    order = np.lexsort((points[:, 1], points[:, 0]))
    x, y = points[order, 0], points[order, 1]
    new = np.ones(len(x), bool)
    new[1:] = (x[1:] != x[:-1]) | (y[1:] != y[:-1])
    first = np.maximum.accumulate(np.where(new, np.arange(len(x)), 0))
    before = np.concatenate([[np.inf], np.minimum.accumulate(y)[:-1]])
    dominated = np.empty(len(x), bool)
    dominated[order] = before[first] <= y
    return dominated


def _front_by_levels(xy: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """Non-dominated rows of (x, y, level), visiting levels best first: a row is dominated by
    a survivor of a better level that is <= in x and y, or by a row of its own level in 2-D."""
    keep, better = np.zeros(len(xy), bool), np.empty((0, 2))
    for value in np.unique(levels):
        rows = np.flatnonzero(levels == value)
        points = xy[rows]
        alive = ~(_weakly_dominated(points, better) | _dominated_within(points))
        keep[rows] = alive
        better = np.concatenate([better, points[alive]])
    return keep


def _front_blocked(values: np.ndarray, block: int) -> np.ndarray:
    """Any number of objectives: rows in lexicographic order, so a row's dominators all come
    before it; each block is compared with the front so far and with itself (whatever a
    dominated row dominates, a front row dominates too): ``n x (front + block) x k`` work."""
    keep = np.zeros(len(values), bool)
    order = np.lexsort(values.T[::-1])
    ordered = values[order]
    front = np.empty((0, values.shape[1]))
    for start in range(0, len(ordered), block):
        rows = ordered[start:start + block]
        candidates = np.concatenate([front, rows])
        no_worse = np.all(candidates[None, :, :] <= rows[:, None, :], axis=2)
        better = np.any(candidates[None, :, :] < rows[:, None, :], axis=2)
        survivors = ~np.any(no_worse & better, axis=1)
        keep[order[start:start + block]] = survivors
        front = np.concatenate([front, rows[survivors]])
    return keep


SCENARIO = ("model", "phase", "batch", "context", "scope")


def _column(table: pa.Table, name: str) -> np.ndarray:
    """A column as numpy (nulls as NaN; absent: all NaN)."""
    if name not in table.column_names:
        return np.full(table.num_rows, np.nan)
    return table[name].to_numpy()


def _scenarios(table: pa.Table, rows: np.ndarray) -> list[np.ndarray]:
    """The given row positions grouped by workload scenario: fronts compare like with like (a
    whole layer is not the same work as its GEMMs; stores older than ``scope`` lack it)."""
    if not len(rows):
        return []
    keys = pd.DataFrame({c: _column(table, c)[rows] for c in SCENARIO})
    return [rows[i] for i in keys.groupby(list(SCENARIO), sort=False, dropna=False).indices.values()]


def annotate(table: pa.Table, spec: SweepSpec) -> pa.Table:
    """``table`` with ``feasible`` (ok and every constraint holds) and ``pareto`` (non-dominated
    on the spec's objectives among the feasible rows of the same model, phase, batch, context
    and scope) appended, computed on the columns as arrays."""
    feasible = (_column(table, "status") == "ok") if table.num_rows else np.zeros(0, bool)
    for c in spec.parsed_constraints:
        feasible &= np.asarray(c.holds(np.asarray(_column(table, c.column), float)), bool)
    signs = [1.0 if OBJECTIVES[o] == "minimize" else -1.0 for o in spec.objectives]
    values = np.column_stack([np.asarray(_column(table, o), float) for o in spec.objectives]) * signs
    pareto = np.zeros(table.num_rows, bool)
    for rows in _scenarios(table, np.flatnonzero(feasible & ~np.isnan(values).any(axis=1))):
        pareto[rows] = pareto_mask(values[rows])
    return table.append_column("feasible", pa.array(feasible)).append_column("pareto", pa.array(pareto))


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


def finish(store: ResultStore, spec: SweepSpec, out_dir: Path,
           extra_meta: dict | None = None) -> tuple[int, int, tuple[Path, ...]]:
    """Annotate the stored rows (feasible, pareto) and write the tables and metadata; returns
    (points stored, points failed, the files written)."""
    meta = store.meta() | (extra_meta or {})
    store.set_meta(extra_meta or {})
    table = annotate(store.table(), spec)
    failed = int((_column(table, "status") == "failed").sum()) if table.num_rows else 0
    return table.num_rows, failed, export_tables(table, store.ops_table(), Path(out_dir), meta)


def run_sweep(spec: SweepSpec, out_dir: Path, *, jobs: int | None = None, dask: str | None = None,
              quiet: bool = False) -> SweepOutcome:
    """Run (or resume) ``spec`` into ``out_dir``: the store, then results.parquet/csv and metadata."""
    workers = 1 if dask is None and jobs == 1 else (jobs or available_cpus())
    plan = plan_sweep(spec, block_size(spec_size(spec), workers))
    with open_store(out_dir, spec) as store:
        evaluated = run_blocks(list(plan.blocks), store, spec.qsnr, jobs=jobs, dask=dask, quiet=quiet,
                               op_rows=spec.op_rows)
        _, failed, paths = finish(store, spec, out_dir, {"skipped_unsupported": plan.skipped})
    return SweepOutcome(Path(out_dir), plan.points, evaluated, plan.skipped, failed, paths)
