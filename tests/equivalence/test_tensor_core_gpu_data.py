"""The tensor-core model against real H100 and B200 outputs, bit for bit, on every row.

The vectors (from north-numerical-computing/MATLAB-tensor-core, BSD 2-Clause) live outside
the repository: in ``$BITPLANE_TENSORCORE_DATA`` if set, else in
``shared/data/tensorcore`` beside the checkout. Each case folder holds a_*.txt and b_*.txt
(k fp32 hex patterns per line), c_*_fp32.txt and d_*_fp32.txt (32-character binary).
For FP8 on the H100 the GPU ran with c = 0, so the c file is not used there.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from numerics._tensor_core import tensor_core_dot

DATA_ENV = "BITPLANE_TENSORCORE_DATA"
FOLDER_FORMATS = {"E4M3": "fp8_e4m3fn", "E5M2": "fp8_e5m2", "fp16": "fp16", "bf16": "bf16"}
CASES = [(gpu, folder) for gpu in ("H100", "B200") for folder in FOLDER_FORMATS]


def data_root() -> Path:
    default = Path(__file__).resolve().parents[3] / "shared" / "data" / "tensorcore"
    return Path(os.environ.get(DATA_ENV) or default)


def read_bits(path: Path, base: int) -> np.ndarray:
    """uint32 bit patterns, one row per line (hex words or 32-character binary strings)."""
    rows = [[int(word, base) for word in line.split()] for line in path.read_text().splitlines()]
    return np.array(rows, dtype=np.uint32)


def load_case(gpu: str, folder: str):
    """(a, b, c, d bits): a and b float32 (n, k), c float32 (n,), d uint32 (n,)."""
    case = data_root() / gpu / folder
    if not case.is_dir():
        pytest.skip(f"GPU validation data not found at {case} (set {DATA_ENV})")
    a = read_bits(case / f"a_{gpu}_{folder}.txt", 16).view(np.float32)
    b = read_bits(case / f"b_{gpu}_{folder}.txt", 16).view(np.float32)
    c = read_bits(case / f"c_{gpu}_fp32.txt", 2)[:, 0].view(np.float32)
    d = read_bits(case / f"d_{gpu}_fp32.txt", 2)[:, 0]
    if gpu == "H100" and folder in ("E4M3", "E5M2"):
        c = np.zeros_like(c)
    return a, b, c, d


def describe_row(a, b, c, expected, got) -> str:
    words = " ".join(f"{x:08x}" for x in a.view(np.uint32))
    other = " ".join(f"{x:08x}" for x in b.view(np.uint32))
    return (f"a = {words}\nb = {other}\nc = {c.view(np.uint32):032b} ({c!r})\n"
            f"expected {expected:032b} ({expected.view(np.float32)!r})\n"
            f"got      {got:032b} ({got.view(np.float32)!r})")  # fmt: skip


@pytest.mark.parametrize(("gpu", "folder"), CASES, ids=[f"{g}-{f}" for g, f in CASES])
def test_model_matches_gpu_bit_for_bit(gpu, folder):
    a, b, c, expected = load_case(gpu, folder)
    got = tensor_core_dot(a, b, c, gpu.lower(), FOLDER_FORMATS[folder]).view(np.uint32)
    bad = np.flatnonzero(got != expected)
    if bad.size:
        i = bad[0]
        pytest.fail(
            f"{gpu} {folder}: {bad.size} of {len(expected)} rows differ; first is row {i}:\n"
            + describe_row(a[i], b[i], c[i], expected[i], got[i])
        )
