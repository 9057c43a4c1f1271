"""GEMM throughput predicted by the GPU tensor-core model against published measurements.

``reproduce(out_dir)`` writes ``gemm_validation.csv`` (one row per measured GEMM: the
measured and predicted TFLOPS, the relative error, the bound and the tiling the model
chose), ``gemm_validation.png`` (predicted against measured) and
``gemm_validation_summary.md`` (the error table, the share within 15 %, and the GEMMs
outside it by name). The measurements and their sources are in
``experiments/papers/data/gemm_measurements.yaml``; the designs they run on
(``arch/data/accelerators/h800.yaml``) are built from the GPUs' published configuration,
and nothing in them is fitted to these figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from arch import load_accelerator, unsupported  # noqa: E402
from arch.config import from_dict, load_yaml  # noqa: E402
from arch.workloads import format_bits  # noqa: E402
from experiments.plots import save_png  # noqa: E402
from sim import simulate_gemm  # noqa: E402

MEASUREMENTS = Path(__file__).parent / "data" / "gemm_measurements.yaml"
TOLERANCE = 0.15
COLUMNS = ["set", "table", "groups", "m", "n", "k", "measured_tflops", "predicted_tflops", "error", "within",
           "bound", "mapping"]


@dataclass(frozen=True)
class MeasuredGemm:
    table: str
    groups: int
    m: int
    n: int
    k: int
    tflops: float


@dataclass(frozen=True)
class MeasurementSet:
    name: str
    design: str
    a_format: str
    b_format: str
    a_scale_block: int
    b_scale_block: int
    out_bits: int
    source: str
    gemms: tuple[MeasuredGemm, ...]


@dataclass(frozen=True)
class _File:
    schema_version: int
    sets: tuple[MeasurementSet, ...]


def load_sets(path: Path = MEASUREMENTS) -> tuple[MeasurementSet, ...]:
    return from_dict(_File, load_yaml(path), source=str(path)).sets


def _bits(fmt: str, scale_block: int) -> float:
    """Element bits plus an FP32 scale per ``scale_block`` elements."""
    return format_bits(fmt) + 32 / scale_block


def predict(s: MeasurementSet, g: MeasuredGemm) -> dict:
    """One measured GEMM against the model: a row of :data:`COLUMNS`."""
    acc = load_accelerator(s.design)
    reason = unsupported(acc, s.b_format, s.a_format, s.b_format)  # the one support check
    if reason is not None:
        raise ValueError(f"measurement set {s.name}: {reason}")
    op = simulate_gemm(g.m, g.n, g.k, acc, a_format=s.a_format, b_format=s.b_format,
                       a_bits=_bits(s.a_format, s.a_scale_block), b_bits=_bits(s.b_format, s.b_scale_block),
                       out_bits=s.out_bits, repeats=g.groups, concurrent=g.groups)
    predicted = 2.0 * g.m * g.n * g.k * g.groups / (op.cycles / acc.clock_hz) / 1e12
    error = predicted / g.tflops - 1
    return {"set": s.name, "table": g.table, "groups": g.groups, "m": g.m, "n": g.n, "k": g.k,
            "measured_tflops": g.tflops, "predicted_tflops": predicted, "error": error,
            "within": abs(error) <= TOLERANCE, "bound": op.bound, "mapping": op.mapping}


def results(path: Path = MEASUREMENTS) -> pd.DataFrame:
    return pd.DataFrame([predict(s, g) for s in load_sets(path) for g in s.gemms], columns=COLUMNS)


def _plot(table: pd.DataFrame, path: Path) -> Path:
    fig, ax = plt.subplots(figsize=(5.5, 5))
    for bound, group in table.groupby("bound"):
        ax.scatter(group.measured_tflops, group.predicted_tflops, label=f"{bound}-bound (model)", s=18)
    top = 1.05 * float(max(table.measured_tflops.max(), table.predicted_tflops.max()))
    ax.plot([0, top], [0, top], color="grey", lw=0.8)
    ax.fill_between([0, top], [0, top * (1 - TOLERANCE)], [0, top * (1 + TOLERANCE)], color="grey",
                    alpha=0.15, label=f"within {TOLERANCE:.0%}")
    ax.set(xlabel="measured TFLOPS", ylabel="predicted TFLOPS", xlim=(0, top), ylim=(0, top),
           title="GEMM throughput: model vs measurement")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return save_png(fig, path, dpi=110)


def _summary(table: pd.DataFrame) -> str:
    sources = {s.name: s.source for s in load_sets()}
    shown = table.assign(error=table.error.map(lambda e: f"{e:+.1%}"),
                         predicted_tflops=table.predicted_tflops.round(0))
    outside = table[~table.within]
    lines = ["# GEMM throughput: predicted vs measured", "",
             *[f"- `{name}`: {src}" for name, src in sources.items()], "",
             f"Within {TOLERANCE:.0%}: {int(table.within.sum())} of {len(table)} GEMMs.", "",
             shown.drop(columns=["within"]).to_markdown(index=False), "",
             f"## Outside {TOLERANCE:.0%}", ""]
    lines += [f"- {r.set} {r.table} {r.groups} x {r.m}x{r.n}x{r.k}: {r.error:+.1%} "
              f"({r.bound}-bound in the model)" for r in outside.itertuples()]
    lines += ["", "The model counts tiles, waves, shared-memory stages, DRAM traffic at a sustained 85 % of "
              "peak and MMA issue at 80 % (AttAcc's derates). It leaves out per-tile pipeline fill and "
              "epilogue time, L2 bandwidth, the CUDA-core promotion of DeepGEMM's fine-grained scales, "
              "and kernel launch time; positive errors (the model faster than the GPU) point there.", ""]
    return "\n".join(lines)


def reproduce(out_dir: Path) -> list[Path]:
    out_dir = Path(out_dir)
    table = results()
    paths = [out_dir / "gemm_validation.csv"]
    table.to_csv(paths[0], index=False)
    paths.append(_plot(table, out_dir / "gemm_validation.png"))
    paths.append(out_dir / "gemm_validation_summary.md")
    paths[-1].write_text(_summary(table))
    return paths
