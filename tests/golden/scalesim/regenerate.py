"""Regenerate the SCALE-Sim v3 golden compute-cycle table.

This script only *runs* SCALE-Sim v3 (``python -m scalesim.scale``) as a subprocess from a
separate interpreter (``--scalesim-python``); it neither contains nor imports any SCALE-Sim
code. SCALE-Sim is not a project dependency. Set it up once with::

    python3 -m venv /tmp/scalesim-venv
    /tmp/scalesim-venv/bin/pip install 'scalesim==3.0.0' 'numpy<2'

and then::

    python tests/golden/scalesim/regenerate.py \\
        --scalesim-python /tmp/scalesim-venv/bin/python \\
        --out tests/golden/data/scalesim_v3_compute_cycles.csv

Mapping of our GEMM onto SCALE-Sim's inputs
-------------------------------------------
Our convention is ``out[M, N] = A[M, K] @ B[K, N]`` with A = activations (M tokens) and
B = weights (K x N).

SCALE-Sim's GEMM topology (``-i gemm``) is a CSV with a header line and one row per layer
``name, M, N, K,`` (the trailing comma is required: the parser drops the last field). It
turns the row into a convolution with IFMAP ``M x K``, a ``1 x K`` filter, 1 channel and ``N``
filters, i.e. its IFMAP operand matrix is ``M x K`` (= our A), its filter operand matrix is
``K x N`` (= our B, the weights) and its OFMAP is ``M x N``. So our (M, N, K) go *unchanged*
into SCALE-Sim's (M, N, K) columns, and our ``SystolicArray(rows=R, cols=C)`` is
``ArrayHeight = R``, ``ArrayWidth = C``; ``dataflow`` is passed as ``Dataflow = ws|os|is``.

Inside SCALE-Sim the dataflows place the operands as follows (Sr = spatial rows,
Sc = spatial columns, T = temporal length):

* ws: filter/weights stationary.  Sr = K -> array rows,  Sc = N -> array cols,  T = M
* os: output stationary.          Sr = M -> array rows,  Sc = N -> array cols,  T = K
* is: input/activations stationary. Sr = K -> array rows, Sc = M -> array cols, T = N

Which number is recorded
------------------------
COMPUTE_REPORT.csv has the columns ``LayerID, Total Cycles (incl. prefetch), Total Cycles,
Stall Cycles, Overall Util %, Mapping Efficiency %, Compute Util %``. ``Total Cycles`` is the
cycle of the last OFMAP write of the demand trace *including* memory stall cycles
(``Stall Cycles`` is the part due to SRAM/DRAM stalls); ``Total Cycles (incl. prefetch)``
additionally spans the DRAM prefetch of the operands and the final OFMAP drain to DRAM. We
record ``compute_cycles = Total Cycles - Stall Cycles`` and run in ``InterfaceBandwidth = CALC``
(bandwidth-estimation mode: SRAM reads never stall) with 64 MiB SRAMs, and assert that
``Stall Cycles == 0``, so ``compute_cycles`` equals the reported ``Total Cycles``. Sparsity,
Ramulator traces and custom layouts are off.

The cases cover dataflows ws/os/is; arrays 1x1, 2x2, 4x4, 8x8, 16x16, 32x32, 4x16, 16x4, 8x32,
32x8; GEMM dimensions smaller than, equal to, multiples and non-multiples of the array;
GEMV-like shapes (M = 1); and the reference case M=256, N=128, K=256 on a 32x32 ws array
(SCALE-Sim: 11,199 cycles), with its two permutations (N and K swapped, M and N swapped) to
show which order reproduces that figure.  Every case runs in its own SCALE-Sim process.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import csv
import math
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ARRAYS: list[tuple[int, int]] = [
    (1, 1), (2, 2), (4, 4), (8, 8), (16, 16), (32, 32), (4, 16), (16, 4), (8, 32), (32, 8),
]
DATAFLOWS = ("ws", "os", "is")
DIM_VALUES = (1, 3, 7, 8, 9, 31, 33, 64, 100, 128)
# Upper bound on the predicted length of SCALE-Sim's demand trace (its main loop runs once per
# trace line, ~15k lines/s) for the randomly drawn cases, to keep the whole run short.
MAX_RANDOM_TRACE_LINES = 12_000
MAX_MNK = 1_000_000
SEED = 20240611

SRAM_KB = 65536

CONFIG_TEMPLATE = """\
[general]
run_name = golden

[run_presets]
InterfaceBandwidth = CALC
UseRamulatorTrace = False

[architecture_presets]
ArrayHeight = {rows}
ArrayWidth = {cols}
ifmapsramszkB = {sram_kb}
filtersramszkB = {sram_kb}
ofmapsramszkB = {sram_kb}
IfmapOffset = 0
FilterOffset = 100000000
OfmapOffset = 200000000
Dataflow = {dataflow}
ReadRequestBuffer = 32
WriteRequestBuffer = 32

[layout]
IfmapCustomLayout = False
FilterCustomLayout = False
IfmapSRAMBankBandwidth = 10
IfmapSRAMBankNum = 10
IfmapSRAMBankPort = 2
FilterSRAMBankBandwidth = 10
FilterSRAMBankNum = 10
FilterSRAMBankPort = 2

[sparsity]
SparsitySupport = False
SparseRep = ellpack_block
OptimizedMapping = False
BlockSize = 8
RandomNumberGeneratorSeed = 40
"""

OUT_COLUMNS = [
    "m", "n", "k", "rows", "cols", "dataflow", "compute_cycles", "scalesim_version",
    "stall_cycles", "total_cycles_incl_prefetch", "overall_util_pct", "mapping_efficiency_pct",
    "compute_util_pct", "sim_wall_s", "tag",
]


def _trace_lines(m: int, n: int, k: int, rows: int, cols: int, dataflow: str) -> int:
    """Rough size of SCALE-Sim's OFMAP demand trace, used only to budget the run time."""
    if dataflow == "ws":
        return math.ceil(k / rows) * math.ceil(n / cols) * (2 * rows + cols + m)
    if dataflow == "os":
        return math.ceil(m / rows) * math.ceil(n / cols) * (rows + cols + k)
    return math.ceil(k / rows) * math.ceil(m / cols) * (2 * rows + cols + n)


def build_cases() -> list[dict]:
    """The deterministic case list: structured shapes per (array, dataflow) + seeded random."""
    rng = random.Random(SEED)
    cases: list[dict] = []
    seen: set[tuple] = set()

    def add(m: int, n: int, k: int, r: int, c: int, df: str, tag: str) -> None:
        key = (m, n, k, r, c, df)
        if key not in seen:
            seen.add(key)
            cases.append(dict(m=m, n=n, k=k, rows=r, cols=c, dataflow=df, tag=tag))

    # Reference case and its permutations.
    add(256, 128, 256, 32, 32, "ws", "reference")
    add(256, 256, 128, 32, 32, "ws", "reference_perm_nk")
    add(128, 256, 256, 32, 32, "ws", "reference_perm_mn")

    for r, c in ARRAYS:
        for df in DATAFLOWS:
            # Which GEMM dims sit on the array rows / cols, and which one is temporal.
            if df == "ws":
                spatial = ("k", "n")
                temporal = "m"
            elif df == "os":
                spatial = ("m", "n")
                temporal = "k"
            else:
                spatial = ("k", "m")
                temporal = "n"

            def shape(row_dim: int, col_dim: int, t: int, spatial=spatial, temporal=temporal):
                d = {spatial[0]: row_dim, spatial[1]: col_dim, temporal: t}
                return d["m"], d["n"], d["k"]

            t_len = 9 if r * c >= 64 else 5
            # Exactly the array size.
            add(*shape(r, c, t_len), r, c, df, "exact_fit")
            # Smaller than the array in both spatial dims (degenerates to 1 on tiny arrays).
            add(*shape(max(1, r // 2 - 1), max(1, c // 2 + 1), 3), r, c, df, "smaller")
            # Multiples of the array.
            add(*shape(2 * r, 3 * c, 7), r, c, df, "multiple")
            # Non-multiples (one above a multiple, one below).
            add(*shape(2 * r + 1, c - 1 if c > 1 else 3, 8), r, c, df, "non_multiple")
            # GEMV (M = 1).
            kk = 3 * r + 1
            nn = 2 * c + 3
            add(1, nn, kk, r, c, df, "gemv")

    # Seeded random draws from DIM_VALUES for every (array, dataflow), within the budget.
    for r, c in ARRAYS:
        for df in DATAFLOWS:
            drawn = 0
            tries = 0
            while drawn < 2 and tries < 1000:
                tries += 1
                m, n, k = (rng.choice(DIM_VALUES) for _ in range(3))
                if m * n * k > MAX_MNK:
                    continue
                if _trace_lines(m, n, k, r, c, df) > MAX_RANDOM_TRACE_LINES:
                    continue
                before = len(cases)
                add(m, n, k, r, c, df, "random")
                drawn += len(cases) - before
    return cases


def scalesim_version(python: str) -> str:
    out = subprocess.run(
        [python, "-c", "import importlib.metadata as md; print(md.version('scalesim'))"],
        check=True, capture_output=True, text=True,
    )
    return out.stdout.strip()


def parse_compute_report(path: Path) -> dict[str, str]:
    with path.open(newline="") as fh:
        rows = [[cell.strip() for cell in row] for row in csv.reader(fh) if row]
    header = rows[0]
    values = rows[1]
    return {h: v for h, v in zip(header, values, strict=False) if h}


def run_case(case: dict, python: str, workdir: Path) -> dict:
    m, n, k = case["m"], case["n"], case["k"]
    r, c, df = case["rows"], case["cols"], case["dataflow"]
    case_dir = workdir / f"{df}_{r}x{c}_m{m}_n{n}_k{k}"
    case_dir.mkdir(parents=True)
    cfg = case_dir / "scale.cfg"
    cfg.write_text(CONFIG_TEMPLATE.format(rows=r, cols=c, dataflow=df, sram_kb=SRAM_KB))
    topo = case_dir / "gemm.csv"
    # Header + one layer; SCALE-Sim drops the last comma-separated field, hence the trailing ','.
    topo.write_text(f"Layer, M, N, K,\ngemm, {m}, {n}, {k},\n")
    layout = case_dir / "layout.csv"  # required by the CLI, unused with custom layouts off
    layout.write_text("Layer name,\n")
    results = case_dir / "results"
    cmd = [python, "-m", "scalesim.scale", "-c", str(cfg), "-t", str(topo), "-l", str(layout),
           "-p", str(results), "-i", "gemm"]
    env = dict(os.environ, TQDM_DISABLE="1")
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=case_dir, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - t0
    report_path = results / "golden" / "COMPUTE_REPORT.csv"
    if proc.returncode != 0 or not report_path.exists():
        raise RuntimeError(
            f"SCALE-Sim failed for {case}: rc={proc.returncode}\n"
            f"{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}"
        )
    rep = parse_compute_report(report_path)
    total = int(rep["Total Cycles"])
    stalls = int(rep["Stall Cycles"])
    if stalls != 0:
        raise RuntimeError(f"unexpected memory stalls ({stalls}) for {case}")
    return dict(
        case,
        compute_cycles=total - stalls,
        stall_cycles=stalls,
        total_cycles_incl_prefetch=int(rep["Total Cycles (incl. prefetch)"]),
        overall_util_pct=float(rep["Overall Util %"]),
        mapping_efficiency_pct=float(rep["Mapping Efficiency %"]),
        compute_util_pct=float(rep["Compute Util %"]),
        sim_wall_s=round(wall, 3),
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scalesim-python", required=True,
                    help="python interpreter of a venv with scalesim==3.0.0 installed")
    ap.add_argument("--out", required=True, type=Path, help="output CSV")
    ap.add_argument("--jobs", type=int, default=1, help="parallel SCALE-Sim processes")
    ap.add_argument("--limit", type=int, default=None, help="only the first N cases (debug)")
    ap.add_argument("--keep-tmp", action="store_true", help="keep the SCALE-Sim work dir")
    args = ap.parse_args(argv)

    version = scalesim_version(args.scalesim_python)
    cases = build_cases()
    if args.limit is not None:
        cases = cases[: args.limit]
    print(f"SCALE-Sim {version}: {len(cases)} cases", flush=True)

    tmp = tempfile.mkdtemp(prefix="scalesim_golden_")
    workdir = Path(tmp)
    t_start = time.perf_counter()
    results: list[dict | None] = [None] * len(cases)
    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            futs = {pool.submit(run_case, case, args.scalesim_python, workdir): i
                    for i, case in enumerate(cases)}
            for done, fut in enumerate(concurrent.futures.as_completed(futs), 1):
                i = futs[fut]
                res = fut.result()
                results[i] = res
                print(f"[{done}/{len(cases)}] {res['dataflow']} {res['rows']}x{res['cols']} "
                      f"M={res['m']} N={res['n']} K={res['k']}: {res['compute_cycles']} cycles "
                      f"({res['sim_wall_s']:.2f} s)", flush=True)
    finally:
        if args.keep_tmp:
            print(f"work dir kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    elapsed = time.perf_counter() - t_start

    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=OUT_COLUMNS, lineterminator="\n")
        writer.writeheader()
        for res in results:
            assert res is not None
            writer.writerow({**res, "scalesim_version": version})
    print(f"wrote {len(results)} rows to {args.out} in {elapsed:.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
