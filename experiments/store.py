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
a table. A sweep's blocks of points go in whole (:meth:`ResultStore.put_packed`): one row of
``blocks`` holds the block's points and their op rows as two lz4-compressed Arrow IPC streams,
made by the worker that evaluated them (:func:`pack_rows`), and ``block_points`` lists its point
ids. ``block_points`` has no index: a million random hashes in a B-tree cost a minute of
page writes; the store holds the one lock on its file, so it keeps the set of stored ids in
memory instead (read once, on first use) and refuses a point it holds. :meth:`ResultStore.table`
reads the rows back as one Arrow table. ``meta`` holds the store's metadata (versions, spec
hash, seed).

A store on disk defends itself: it holds an exclusive lock (``flock`` on
``<store>.lock``) while open, so a second run on the same folder stops with one line instead
of evaluating every point twice; and a file that is not a bitplane store (corrupt, truncated,
another program's database) is reported with what to do, never written over.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import sqlite3
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from .errors import UserError

__all__ = ["PackedRows", "PointRecord", "ResultStore", "pack_rows", "write_atomic", "write_csv"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS points (
    point_id TEXT PRIMARY KEY, seq INTEGER NOT NULL, status TEXT NOT NULL, error TEXT NOT NULL,
    row TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS ops (
    point_id TEXT NOT NULL, idx INTEGER NOT NULL, row TEXT NOT NULL, PRIMARY KEY (point_id, idx));
CREATE TABLE IF NOT EXISTS blocks (id INTEGER PRIMARY KEY, points BLOB NOT NULL, ops BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS block_points (point_id TEXT NOT NULL, block INTEGER NOT NULL);
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


@dataclass(frozen=True)
class PackedRows:
    """A block of evaluated points as the store keeps them: the ids, then the point rows and
    their op rows as lz4-compressed Arrow IPC streams (:func:`pack_rows`)."""

    point_ids: tuple[str, ...]
    points: bytes
    ops: bytes


def pack_rows(points: pd.DataFrame, ops: pd.DataFrame) -> PackedRows:
    """``points`` (one row per point, with a ``point_id`` column) and ``ops``, packed."""
    return PackedRows(tuple(points["point_id"].tolist()) if len(points) else (), _blob(points), _blob(ops))


def pack_table(points: pa.Table, ops: pd.DataFrame) -> PackedRows:
    """:func:`pack_rows` of point rows already in Arrow."""
    return PackedRows(tuple(points["point_id"].to_pylist()), _ipc(points), _blob(ops))


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
        self._ids: set[str] | None = None  # the stored point ids, read on first use
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
        db, new, known = self._db, 0, self._known()
        db.execute("BEGIN IMMEDIATE")
        try:
            for record in records:
                if record.point_id in known:
                    continue
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
        known.update(r.point_id for r in records)
        return new

    def put_block(self, points: pd.DataFrame, ops: pd.DataFrame) -> int:
        """Write a block of points (one row each, with ``point_id``, ``seq``, ``status`` and
        ``error`` columns) and their op rows in one transaction; points already stored (or
        repeated in the block) are dropped first. Returns how many were new."""
        points = points.drop_duplicates("point_id")
        points = points[~points["point_id"].isin(self._known())]
        if len(ops):
            ops = ops[ops["point_id"].isin(points["point_id"])].drop_duplicates(["point_id", "op_index"])
        return self._insert(pack_rows(points, ops))

    def put_packed(self, rows: PackedRows) -> int:
        """:meth:`put_block` for rows a worker packed: written as they come unless some point is
        stored already or repeated (then unpacked and cut first)."""
        ids = rows.point_ids
        if len(set(ids)) == len(ids) and self._known().isdisjoint(ids):
            return self._insert(rows)
        return self.put_block(_frame(rows.points), _frame(rows.ops))

    def _insert(self, rows: PackedRows) -> int:
        if not rows.point_ids:
            return 0
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            cur = db.execute("INSERT INTO blocks (points, ops) VALUES (?, ?)", (rows.points, rows.ops))
            db.executemany("INSERT INTO block_points VALUES (?, ?)",
                           [(pid, cur.lastrowid) for pid in rows.point_ids])
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        self._known().update(rows.point_ids)
        return len(rows.point_ids)

    def _known(self) -> set[str]:
        """The stored ids (this store holds the file's lock: nobody else adds any)."""
        if self._ids is None:
            self._ids = {pid for (pid,) in self._db.execute(
                "SELECT point_id FROM points UNION ALL SELECT point_id FROM block_points")}
        return self._ids

    def finished_ids(self) -> set[str]:
        return set(self._known())

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

    def table(self) -> pa.Table:
        """One row per stored point (ordered by ``seq``): its row plus point_id/status/error."""
        rows = [self._json(row, f"point {pid}") | {"point_id": pid, "seq": seq, "status": status,
                                                    "error": error}
                for pid, seq, status, error, row in self._db.execute(
                    "SELECT point_id, seq, status, error, row FROM points ORDER BY seq, point_id")]
        return _sorted([_arrow(pd.DataFrame(rows)), *self._blocks("points")], ["seq"])

    def frame(self) -> pd.DataFrame:
        """:meth:`table` as a DataFrame."""
        return self.table().to_pandas()

    def ops_table(self) -> pa.Table:
        """One row per stored op row (ordered by the point's ``seq``, then ``op_index``)."""
        rows = [self._json(row, f"op {idx} of {pid}") | {"point_id": pid, "op_index": idx, "seq": seq}
                for pid, idx, row, seq in self._db.execute(
                    "SELECT ops.point_id, idx, ops.row, seq FROM ops JOIN points USING (point_id)")]
        table = _sorted([_arrow(pd.DataFrame(rows)), *self._blocks("ops")], ["seq", "op_index"])
        return table.drop_columns(["seq"]) if "seq" in table.column_names else table

    def ops_frame(self) -> pd.DataFrame:
        return self.ops_table().to_pandas()

    def _blocks(self, column: str) -> list[pa.Table]:
        """The blocks' rows, one Arrow table per block."""
        return [pa.ipc.open_stream(blob).read_all()
                for (blob,) in self._db.execute(f"SELECT {column} FROM blocks ORDER BY id")]

    def meta(self) -> dict:
        rows = self._db.execute("SELECT key, value FROM meta")
        return {key: self._json(value, "meta") for key, value in rows}

    def set_meta(self, values: dict) -> None:
        self._db.execute("BEGIN IMMEDIATE")
        self._db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)",
                             [(k, json.dumps(v)) for k, v in values.items()])
        self._db.execute("COMMIT")


def _blob(frame: pd.DataFrame) -> bytes:
    return _ipc(pa.Table.from_pandas(frame, preserve_index=False))


def _ipc(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema, options=pa.ipc.IpcWriteOptions(compression="lz4")) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def _frame(blob: bytes) -> pd.DataFrame:
    return pa.ipc.open_stream(blob).read_all().to_pandas()


def _arrow(frame: pd.DataFrame) -> pa.Table:
    return pa.Table.from_pandas(frame, preserve_index=False)


def _sorted(tables: list[pa.Table], by: list[str]) -> pa.Table:
    """The tables joined (columns missing from some are null there), stably sorted by ``by``:
    ordered by their first row, which sorts the rows too when each table holds a run of
    ``by`` values no other table's run overlaps (a sweep's blocks); else row by row."""
    tables = sorted((t for t in tables if t.num_rows), key=lambda t: [t[c][0].as_py() for c in by])
    if not tables:
        return pa.table({})
    table = pa.concat_tables(tables, promote_options="permissive") if len(tables) > 1 else tables[0]
    keys = [table[c].to_numpy() for c in reversed(by)]
    order = np.lexsort(keys)
    return table if np.all(order[1:] > order[:-1]) else table.take(order)


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
