"""Time the tensor-core model on the eight GPU validation cases (target: 5000 rows < 1 s).

    python -m benchmarks.bench_tensor_core [--repeats 20]      (from the repository root)

Prints, per case, the best of ``--repeats`` runs of ``tensor_core_dot`` on all rows, as
rows per second and seconds per 5000 rows, and the ratio to a plain float64 numpy dot
(``einsum`` plus c) on the same arrays. The data folder is found as in
tests/equivalence/test_tensor_core_gpu_data.py ($BITPLANE_TENSORCORE_DATA, else
shared/data/tensorcore beside the checkout).
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np

from numerics._tensor_core import tensor_core_dot

FOLDER_FORMATS = {"E4M3": "fp8_e4m3fn", "E5M2": "fp8_e5m2", "fp16": "fp16", "bf16": "bf16"}
ROWS_REPORTED = 5000


def data_root() -> Path:
    default = Path(__file__).resolve().parents[2] / "shared" / "data" / "tensorcore"
    return Path(os.environ.get("BITPLANE_TENSORCORE_DATA") or default)


def read_words(path: Path, base: int) -> np.ndarray:
    rows = [[int(word, base) for word in line.split()] for line in path.read_text().splitlines()]
    return np.array(rows, dtype=np.uint32)


def load_case(case: Path, gpu: str, folder: str):
    a = read_words(case / f"a_{gpu}_{folder}.txt", 16).view(np.float32)
    b = read_words(case / f"b_{gpu}_{folder}.txt", 16).view(np.float32)
    c = read_words(case / f"c_{gpu}_fp32.txt", 2)[:, 0].view(np.float32)
    return a, b, c


def best_seconds(function, arguments: tuple, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function(*arguments)
        times.append(time.perf_counter() - start)
    return min(times)


def numpy_dot(a64, b64, c64):
    return np.einsum("ij,ij->i", a64, b64) + c64


def bench_case(root: Path, gpu: str, folder: str, repeats: int) -> str:
    a, b, c = load_case(root / gpu / folder, gpu, folder)
    model_args = (a, b, c, gpu.lower(), FOLDER_FORMATS[folder])
    model_s = best_seconds(tensor_core_dot, model_args, repeats)
    numpy_args = (a.astype(np.float64), b.astype(np.float64), c.astype(np.float64))
    numpy_s = best_seconds(numpy_dot, numpy_args, repeats)
    rows = len(c)
    return (f"{gpu + ' ' + folder:<12}{rows:>6}{a.shape[1]:>4}{rows / model_s:>12,.0f}"
            f"{model_s * ROWS_REPORTED / rows:>13.4f}{numpy_s:>11.6f}"
            f"{model_s / numpy_s:>8.0f}x")  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20, help="runs per case (best is kept)")
    args = parser.parse_args()
    root = data_root()
    if not root.is_dir():
        print(f"GPU validation data not found at {root} (set BITPLANE_TENSORCORE_DATA)")
        return 1
    print(f"{'case':<12}{'rows':>6}{'k':>4}{'rows/s':>12}{'s/5000 rows':>13}"
          f"{'numpy s':>11}{'ratio':>8}")  # fmt: skip
    for gpu in ("H100", "B200"):
        for folder in FOLDER_FORMATS:
            print(bench_case(root, gpu, folder, args.repeats))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
