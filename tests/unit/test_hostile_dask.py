"""A sweep on a real Dask cluster on 127.0.0.1 (a scheduler and two workers in their own
processes, as ``--dask tcp://...`` meets them), with one worker SIGKILLed mid-sweep: the
sweep finishes with every point stored exactly once and the rows of a local run."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

from experiments.spec import spec_from_dict
from experiments.sweep import enumerate_points, run_sweep

DASK = Path(sys.executable).parent / "dask"
# GPU designs timed as whole kernels (each GEMM's tiling searched): tens of ms a point, so 144
# points in chunks keep two workers busy for seconds and the kill lands mid-sweep (asserted
# below, not assumed; a systolic point takes well under a millisecond, too fast to catch).
SPEC = {"schema_version": 1, "name": "loopback", "base": "b200",
        "workload": {"model": "opt-1.3b", "context": 128},
        "axes": {"unit.sms": [16, 32, 48, 64, 80, 96, 112, 128],
                 "unit.smem_bytes_per_sm": [131072, 196608, 232448],
                 "dram.bandwidth_bytes_per_s": [2e12, 4e12, 8e12], "phase": ["decode", "prefill"]},
        "qsnr": {"rows": 8, "cols": 128}}
DEADLINE_S = 150


def _start(argv: list[str], log: Path) -> subprocess.Popen:
    env = {**os.environ, "DASK_DISTRIBUTED__WORKER__DAEMON": "False"}
    with log.open("w") as handle:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(argv, stdout=handle, stderr=subprocess.STDOUT, env=env,
                                start_new_session=True)


def _wait_for(predicate, what: str, timeout_s: float = 60) -> None:
    end = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def _stored(db: Path) -> int:
    if not db.is_file():
        return 0
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as con:
            return sum(con.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
                       for table in ("points", "block_points"))  # single points and whole blocks
    except sqlite3.Error:
        return 0


def _rows(out: Path) -> pd.DataFrame:
    return pd.read_parquet(out / "results.parquet").sort_values("point_id").reset_index(drop=True)


@pytest.fixture
def cluster(tmp_path):
    """(address, [worker processes]) of a scheduler and two no-nanny workers on 127.0.0.1."""
    file = tmp_path / "scheduler.json"
    procs = [_start([str(DASK), "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                     "--scheduler-file", str(file)], tmp_path / "scheduler.log")]
    try:
        _wait_for(lambda: file.is_file() and file.stat().st_size > 0, "the scheduler file")
        address = json.loads(file.read_text())["address"]
        assert address.startswith("tcp://127.0.0.1:")
        workers = [_start([str(DASK), "worker", address, "--host", "127.0.0.1", "--nthreads", "1",
                           "--no-nanny", "--no-dashboard", "--name", f"w{i}"], tmp_path / f"worker{i}.log")
                   for i in range(2)]
        procs += workers
        yield address, workers
    finally:
        for proc in reversed(procs):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)


def _workers_up(address: str, count: int) -> bool:
    from dask.distributed import Client
    with Client(address, timeout="10s") as client:
        return len(client.scheduler_info()["workers"]) >= count


def test_sweep_on_a_loopback_cluster_survives_a_killed_worker(tmp_path, cluster):
    address, workers = cluster
    _wait_for(lambda: _workers_up(address, 2), "two workers")
    spec = spec_from_dict(json.loads(json.dumps(SPEC)))
    total = len(enumerate_points(spec)[0])
    out, db = tmp_path / "cluster", tmp_path / "cluster" / "results.sqlite"
    outcome: dict = {}

    def sweep() -> None:
        try:
            outcome["result"] = run_sweep(spec, out, dask=address, quiet=True)
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            outcome["error"] = exc

    thread = threading.Thread(target=sweep, daemon=True)
    thread.start()
    _wait_for(lambda: _stored(db) > 0 or not thread.is_alive(), "the first stored points", DEADLINE_S)
    stored_at_kill = _stored(db)
    os.killpg(workers[0].pid, signal.SIGKILL)
    workers[0].wait(timeout=30)
    thread.join(DEADLINE_S)
    assert not thread.is_alive(), "the sweep did not finish after a worker was killed"
    assert "error" not in outcome, outcome.get("error")
    assert 0 < stored_at_kill < total, "the worker was not killed mid-sweep"
    result = outcome["result"]
    assert (result.points, result.failed) == (total, 0)

    with sqlite3.connect(db) as con:
        ids = [pid for table in ("points", "block_points")
               for (pid,) in con.execute(f"SELECT point_id FROM {table}")]
    assert len(ids) == len(set(ids)) == total

    local = run_sweep(spec, tmp_path / "local", jobs=1, quiet=True)
    assert local.points == total
    pd.testing.assert_frame_equal(_rows(tmp_path / "local"), _rows(out))
