"""The result store of a sweep: one SQLite file in WAL mode, one transaction per batch of points.

    >>> store = ResultStore(":memory:")
    >>> store.put(PointRecord("ab12", 0, "ok", "", {"latency_s": 0.5}, [{"op": "mlp.up"}]))
    True
    >>> store.finished_ids(), store.frame().latency_s.tolist()
    ({'ab12'}, [0.5])

A design point x workload is keyed by its ``point_id`` (sha256 of its full configuration),
so a point is written at most once: re-running a sweep skips what is stored, and a sweep
killed at any instant (SIGKILL included) loses only the points it had not committed. Each
point's row and its per-op rows go in the same transaction, and a sweep commits a worker's
whole chunk of points at once (:meth:`ResultStore.put_many`). Rows are kept as JSON (columns vary
by hardware family: one energy column per component); :meth:`ResultStore.frame` makes them
a table. ``meta`` holds the store's metadata (versions, spec hash, seed).

A store on disk defends itself: it holds an exclusive lock (``flock`` on
``<store>.lock``) while open, so a second run on the same folder stops with one line instead
of evaluating every point twice; and a file that is not a bitplane store (corrupt, truncated,
another program's database) is reported with what to do, never written over.
"""

from __future__ import annotations

import errno
import fcntl
import importlib.metadata
import json
import os
import platform
import sqlite3
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from .errors import UserError

__all__ = ["PointRecord", "ResultStore", "collect_metadata", "export_tables", "write_atomic", "write_csv"]

# Packages whose versions go with every store (results depend on them).
_PACKAGES = ("numpy", "numba", "pandas", "pyarrow", "pyyaml", "simpy", "matplotlib", "optuna", "dask",
             "distributed")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS points (
    point_id TEXT PRIMARY KEY, seq INTEGER NOT NULL, status TEXT NOT NULL, error TEXT NOT NULL,
    row TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS ops (
    point_id TEXT NOT NULL, idx INTEGER NOT NULL, row TEXT NOT NULL, PRIMARY KEY (point_id, idx));
CREATE TABLE IF NOT EXISTS blocks (id INTEGER PRIMARY KEY, points BLOB NOT NULL, ops BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS block_points (point_id TEXT PRIMARY KEY, block INTEGER NOT NULL);
"""


@dataclass(frozen=True)
class PointRecord:
    """One evaluated design point: ``status`` is "ok" or "failed" (then ``error`` says why)."""

    point_id: str
    seq: int
    status: str
    error: str
    row: dict
    ops: list[dict] = field(default_factory=list)


_COLUMNS = {"meta": ["key", "value"], "points": ["point_id", "seq", "status", "error", "row"],
            "ops": ["point_id", "idx", "row"]}


class DirectoryLock:
    """An exclusive, non-blocking ``flock`` on ``path``; released on close or when the process dies."""

    def __init__(self, path: Path, what: str):
        self.path = Path(path)
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            holder = os.pread(self._fd, 64, 0).decode(errors="replace").strip() or "unknown"
            os.close(self._fd)
            if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                raise
            raise UserError(f"{what} is in use by another bitplane run (pid {holder}); wait for it "
                            "to finish or choose another --out") from None
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, f"{os.getpid()}\n".encode(), 0)

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)  # closing the descriptor drops the flock
            self._fd = -1


def _corrupt(path: str | Path, problem: object) -> UserError:
    return UserError(f"{path} is not a readable bitplane result store ({problem}); move it away "
                     "(its points will be evaluated again) or choose another --out")


class ResultStore:
    """Crash-safe store of :class:`PointRecord` (see the module docstring)."""

    def __init__(self, path: str | Path):
        self.path = path
        self._lock = None if str(path) == ":memory:" else DirectoryLock(Path(f"{path}.lock"), str(path))
        try:
            self._db = sqlite3.connect(str(path), isolation_level=None, timeout=30)
            self._open()
        except sqlite3.DatabaseError as exc:
            self._release()
            raise _corrupt(path, exc) from None
        except BaseException:
            self._release()
            raise

    def _open(self) -> None:
        # Read-only checks first: a file that is not our store is never written to.
        found = self._db.execute("PRAGMA quick_check").fetchone()[0]
        if found != "ok":
            raise sqlite3.DatabaseError(found)
        for table, columns in _COLUMNS.items():
            have = [row[1] for row in self._db.execute(f"PRAGMA table_info({table})")]
            if have and have != columns:
                raise sqlite3.DatabaseError(f"table {table} has columns {have}, not {columns}")
        self._db.execute("PRAGMA journal_mode=WAL")
        # NORMAL in WAL mode: a committed point survives the process dying (power loss may
        # drop the last few commits, never corrupt the file).
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)

    def _release(self) -> None:
        db = getattr(self, "_db", None)
        if db is not None:
            db.close()
        if self._lock is not None:
            self._lock.close()

    def close(self) -> None:
        self._release()

    def __enter__(self) -> ResultStore:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def put(self, record: PointRecord) -> bool:
        """Write one point and its ops atomically; False if that point was already stored."""
        return self.put_many([record]) == 1

    def put_many(self, records: list[PointRecord]) -> int:
        """Write points and their ops in one transaction (all or none); points already stored
        are left as they are. Returns how many were new."""
        db, new = self._db, 0
        db.execute("BEGIN IMMEDIATE")
        try:
            for record in records:
                cur = db.execute("INSERT OR IGNORE INTO points VALUES (?, ?, ?, ?, ?)",
                                 (record.point_id, record.seq, record.status, record.error,
                                  json.dumps(record.row)))
                if cur.rowcount:
                    new += 1
                    db.executemany("INSERT INTO ops VALUES (?, ?, ?)",
                                   [(record.point_id, i, json.dumps(op)) for i, op in enumerate(record.ops)])
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return new

    def put_block(self, points: pd.DataFrame, ops: pd.DataFrame) -> int:
        """Write a block of points (one row each, with ``point_id``, ``seq``, ``status`` and
        ``error`` columns) and their op rows in one transaction, as two Arrow blobs; points
        already stored are dropped first. Returns how many were new."""
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            points = points.drop_duplicates("point_id")
            held = self._held(points["point_id"].tolist())
            if held:
                points = points[~points["point_id"].isin(held)]
            if len(ops):
                ops = ops[ops["point_id"].isin(points["point_id"])].drop_duplicates(["point_id", "op_index"])
            if len(points):
                cur = db.execute("INSERT INTO blocks (points, ops) VALUES (?, ?)",
                                 (_blob(points), _blob(ops)))
                db.executemany("INSERT INTO block_points VALUES (?, ?)",
                               [(pid, cur.lastrowid) for pid in points["point_id"].tolist()])
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return len(points)

    def _held(self, ids: list[str]) -> set[str]:
        found = set()
        for start in range(0, len(ids), 900):  # SQLite's limit on bound parameters
            part = ids[start:start + 900]
            marks = ",".join("?" * len(part))
            for table in ("points", "block_points"):
                found |= {pid for (pid,) in self._db.execute(
                    f"SELECT point_id FROM {table} WHERE point_id IN ({marks})", part)}
        return found

    def finished_ids(self) -> set[str]:
        return {pid for (pid,) in self._db.execute(
            "SELECT point_id FROM points UNION ALL SELECT point_id FROM block_points")}

    def get(self, point_id: str) -> PointRecord | None:
        found = self._db.execute("SELECT point_id, seq, status, error, row FROM points WHERE point_id = ?",
                                 (point_id,)).fetchone()
        if found is not None:
            pid, seq, status, error, row = found
            return PointRecord(pid, seq, status, error, json.loads(row))
        block = self._db.execute("SELECT points FROM blocks JOIN block_points ON blocks.id = "
                                 "block_points.block WHERE point_id = ?", (point_id,)).fetchone()
        if block is None:
            return None
        row = _frame(block[0]).set_index("point_id").loc[point_id].to_dict()
        return PointRecord(point_id, int(row.pop("seq")), row.pop("status"), row.pop("error"), row)

    def __len__(self) -> int:
        return self._db.execute("SELECT (SELECT COUNT(*) FROM points) + (SELECT COUNT(*) FROM block_points)"
                                ).fetchone()[0]

    def _json(self, text: str, where: str) -> dict:
        try:
            value = json.loads(text)
        except (TypeError, ValueError) as exc:
            raise _corrupt(self.path, f"{where} is not JSON: {exc}") from None
        if where != "meta" and not isinstance(value, dict):
            raise _corrupt(self.path, f"{where} is not a JSON object")
        return value

    def frame(self) -> pd.DataFrame:
        """One row per stored point (ordered by ``seq``): its row plus point_id/status/error."""
        rows = [self._json(row, f"point {pid}") | {"point_id": pid, "seq": seq, "status": status,
                                                    "error": error}
                for pid, seq, status, error, row in self._db.execute(
                    "SELECT point_id, seq, status, error, row FROM points ORDER BY seq, point_id")]
        return _sorted([pd.DataFrame(rows), *self._blocks("points")], ["seq"])

    def ops_frame(self) -> pd.DataFrame:
        rows = [self._json(row, f"op {idx} of {pid}") | {"point_id": pid, "op_index": idx, "seq": seq}
                for pid, idx, row, seq in self._db.execute(
                    "SELECT ops.point_id, idx, ops.row, seq FROM ops JOIN points USING (point_id)")]
        frame = _sorted([pd.DataFrame(rows), *self._blocks("ops")], ["seq", "op_index"])
        return frame.drop(columns="seq", errors="ignore")

    def _blocks(self, column: str) -> list[pd.DataFrame]:
        """The blocks' rows as one frame (Arrow tables joined before one conversion)."""
        tables = [pa.ipc.open_stream(blob).read_all()
                  for (blob,) in self._db.execute(f"SELECT {column} FROM blocks ORDER BY id")]
        tables = [t for t in tables if t.num_rows]
        return [pa.concat_tables(tables, promote_options="permissive").to_pandas()] if tables else []

    def meta(self) -> dict:
        rows = self._db.execute("SELECT key, value FROM meta")
        return {key: self._json(value, "meta") for key, value in rows}

    def set_meta(self, values: dict) -> None:
        self._db.execute("BEGIN IMMEDIATE")
        self._db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)",
                             [(k, json.dumps(v)) for k, v in values.items()])
        self._db.execute("COMMIT")


def _blob(frame: pd.DataFrame) -> bytes:
    table = pa.Table.from_pandas(frame, preserve_index=False)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema, options=pa.ipc.IpcWriteOptions(compression="lz4")) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def _frame(blob: bytes) -> pd.DataFrame:
    return pa.ipc.open_stream(blob).read_all().to_pandas()


def _sorted(frames: list[pd.DataFrame], by: list[str]) -> pd.DataFrame:
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame()
    frame = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
    if len(by) == 1 and frame[by[0]].is_monotonic_increasing:
        return frame
    return frame.sort_values(by, kind="stable").reset_index(drop=True)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_atomic(path: Path, write) -> Path:
    """Call ``write(tmp_path)`` then rename onto ``path``: readers never see half a file.

    The file gets the mode a plain ``open`` would give it (0666 less the umask, so 0644
    usually), not mkstemp's 0600: results are as readable as the plots beside them."""
    path = Path(path)
    if path.exists() and not path.is_file():  # /dev/null, /dev/stdout, a FIFO: never replace those
        write(path)
        return path
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=path.suffix)
    os.close(fd)
    try:
        write(Path(tmp))
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def write_csv(frame: pd.DataFrame, path: Path | None) -> None:
    """Write ``frame`` to ``path`` atomically; OS problems are one UserError line."""
    if path is None:
        return
    if path.parent.exists() and not path.parent.is_dir():
        raise UserError(f"cannot write {path}: {path.parent} is not a folder")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, lambda tmp: frame.to_csv(tmp, index=False))
    except OSError as exc:
        raise UserError(f"cannot write {path}: {exc.strerror or exc}") from None
    print(f"wrote {path}")


# --- metadata and exports ------------------------------------------------------------------

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


def _parquet(frame: pd.DataFrame, meta: dict):
    def write(tmp: Path) -> None:
        table = pa.Table.from_pandas(frame, preserve_index=False)
        schema_meta = (table.schema.metadata or {}) | {b"bitplane": json.dumps(meta, default=str).encode()}
        pq.write_table(table.replace_schema_metadata(schema_meta), tmp)
    return write


def _csv(frame: pd.DataFrame):
    def write(tmp: Path) -> None:  # Arrow's writer: a million rows in seconds, not minutes
        pacsv.write_csv(pa.Table.from_pandas(frame, preserve_index=False), tmp)
    return write


def export_tables(frame: pd.DataFrame, ops: pd.DataFrame, out_dir: Path, meta: dict) -> tuple[Path, ...]:
    """results.parquet/.csv (one row per point x workload), ops.parquet, pareto.csv, metadata.json."""
    out_dir = Path(out_dir)
    paths = (
        write_atomic(out_dir / "results.parquet", _parquet(frame, meta)),
        write_atomic(out_dir / "results.csv", _csv(frame)),
        write_atomic(out_dir / "ops.parquet", _parquet(ops, meta)),
        write_atomic(out_dir / "pareto.csv",
                     lambda p: frame[frame.get("pareto", pd.Series(False, index=frame.index))]
                     .to_csv(p, index=False)),
        write_atomic(out_dir / "metadata.json",
                     lambda p: p.write_text(json.dumps(meta, indent=1, default=str) + "\n")),
    )
    return paths
