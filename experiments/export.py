"""A finished sweep's files: results.parquet/.csv, ops.parquet, pareto.csv and metadata.json.

    >>> import pyarrow as pa
    >>> table = pa.table({"point_id": ["ab12"], "latency_s": [0.5], "pareto": [True]})
    >>> [p.name for p in export_tables(table, pa.table({}), Path("out"), {})]   # doctest: +SKIP
    ['results.parquet', 'results.csv', 'ops.parquet', 'pareto.csv', 'metadata.json']

The tables arrive as Arrow tables (the store keeps its rows as Arrow) and are written from
those columns directly: no per-row Python object, no round trip through pandas for the big
files. ``results.csv`` is written for sweeps of up to :data:`CSV_ROWS` points: a million
rows of text take longer to format than the whole sweep takes to run, and say nothing the
Parquet file does not (metadata.json says when it was left out, and why). Every file is
written atomically (:func:`experiments.store.write_atomic`); the
Parquet files carry the metadata (versions, git sha, spec hash, seed) in their schema.
"""

from __future__ import annotations

import importlib.metadata
import json
import platform
import subprocess
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from .store import write_atomic

__all__ = ["CSV_ROWS", "collect_metadata", "export_tables", "git_sha"]

CSV_ROWS = 100_000  # results.csv up to this many rows; results.parquet always

# Packages whose versions go with every store (results depend on them).
_PACKAGES = ("numpy", "numba", "pandas", "pyarrow", "pyyaml", "simpy", "matplotlib", "optuna", "dask",
             "distributed")


def _version(package: str) -> str | None:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def git_sha() -> str | None:
    """The commit of the bitplane checkout this runs from, when it is a git checkout."""
    root = Path(__file__).resolve().parents[1]
    try:
        done = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True,
                              text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() or None if done.returncode == 0 else None


def collect_metadata(spec, kind: str = "sweep") -> dict:
    """What a store says about how its rows were made (versions, git sha, spec hash, seed)."""
    from arch import to_dict

    from .spec import spec_hash
    return {"kind": kind, "bitplane_version": _version("bitplane"), "git_sha": git_sha(),
            "spec_name": spec.name, "spec_hash": spec_hash(spec), "seed": spec.sampling.seed,
            "objectives": list(spec.objectives), "constraints": list(spec.constraints),
            "python": platform.python_version(),
            "packages": {p: _version(p) for p in _PACKAGES}, "spec": to_dict(spec)}


def _parquet(table: pa.Table, meta: dict):
    def write(tmp: Path) -> None:  # the blocks' pandas schema notes would describe other columns
        pq.write_table(table.replace_schema_metadata({b"bitplane": json.dumps(meta, default=str).encode()}),
                       tmp)
    return write


def _pareto(table: pa.Table):
    def write(tmp: Path) -> None:  # a few rows: pandas' CSV dialect, as before
        chosen = table.filter(table["pareto"]) if "pareto" in table.column_names else table.slice(0, 0)
        chosen.to_pandas().to_csv(tmp, index=False)
    return write


def export_tables(table: pa.Table, ops: pa.Table, out_dir: Path, meta: dict) -> tuple[Path, ...]:
    """results.parquet and .csv (one row per point x workload; the CSV up to :data:`CSV_ROWS` rows),
    ops.parquet, pareto.csv, metadata.json."""
    out_dir, csv = Path(out_dir), table.num_rows <= CSV_ROWS
    if not csv:
        meta = meta | {"results_csv": f"not written: {table.num_rows} rows (more than {CSV_ROWS}); "
                                      "results.parquet holds every row"}
    return (
        write_atomic(out_dir / "results.parquet", _parquet(table, meta)),
        *([write_atomic(out_dir / "results.csv", lambda tmp: pacsv.write_csv(table, tmp))] if csv else []),
        write_atomic(out_dir / "ops.parquet", _parquet(ops, meta)),
        write_atomic(out_dir / "pareto.csv", _pareto(table)),
        write_atomic(out_dir / "metadata.json",
                     lambda p: p.write_text(json.dumps(meta, indent=1, default=str) + "\n")),
    )
