""""INT v.s. FP" (Chen et al., arXiv 2510.25602): integer vs floating-point block formats,
accuracy and hardware cost.

``reproduce(out_dir)`` writes ``int_vs_fp_qsnr.csv`` (QSNR of each scheme on Gaussian,
heavy-tailed and outlier tensors, with and without a Hadamard rotation),
``hardware.csv`` (per MAC: our SKY130 gate-level runs of the paper's datapaths, read from
``rtl_models/synth/sky130.json`` when it exists; the paper's own gate-count model, appendix
C / Table 6, with SKY130 cell factors; the paper's Table 5), ``int_vs_fp_qsnr.png`` and
``int_vs_fp_summary.md`` (our figures against the paper's claims: at 8 bits MXINT8 beats
MXFP8 in accuracy and cost; at 4 bits FP (MXFP4, NVFP4) usually wins; NVINT4 beats NVFP4
once a Hadamard rotation removes outliers; Table 5's energy and area ratios), and prints
the hardware ratios.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from experiments.papers.int_vs_fp_table import hardware_frame, ratio_frame  # noqa: E402
from experiments.plots import save_png  # noqa: E402
from experiments.tables import qsnr_pivot, qsnr_table  # noqa: E402

SCHEMES = ("mxint8", "mxfp8_e4m3", "mxfp8_e5m2", "mxint4", "mxfp4", "nvint4", "nvfp4")
BASES = ("gaussian", "laplace", "student_t3", "outliers")
DISTRIBUTIONS = tuple(d + rot for d in BASES for rot in ("", "+hadamard"))
SHAPE = (256, 1024)


def _claims(pivot: pd.DataFrame, ratios: pd.DataFrame) -> list[tuple[str, str, bool]]:
    q = pivot.drop(columns="bits")
    plain = [d for d in q.columns if "+" not in d]
    rotated = [d for d in q.columns if d.endswith("+hadamard")]
    int8_wins = [d for d in q.columns if q.loc["mxint8", d] > q.loc["mxfp8_e4m3", d]]
    fp4_wins = [d for d in plain if max(q.loc["mxfp4", d], q.loc["nvfp4", d]) > q.loc["nvint4", d]]
    nv_rot = [d for d in rotated if q.loc["nvint4", d] > q.loc["nvfp4", d]]
    energy = ratios[(ratios.ratio == "mxint8 / mxfp8_e4m3") & (ratios.quantity == "energy")].iloc[0]
    method = "gate-level" if pd.notna(energy["gate-level"]) else "analytic"
    return [
        ("8-bit: MXINT8 beats MXFP8 (E4M3) in QSNR", f"{len(int8_wins)}/{len(q.columns)} distributions",
         len(int8_wins) >= len(q.columns) - 1),
        ("4-bit: FP (MXFP4/NVFP4) usually beats INT (NVINT4) without rotation",
         f"{len(fp4_wins)}/{len(plain)} unrotated distributions", 2 * len(fp4_wins) >= len(plain)),
        ("NVINT4 beats NVFP4 after a Hadamard rotation",
         f"{len(nv_rot)}/{len(rotated)} rotated distributions", 2 * len(nv_rot) > len(rotated)),
        (f"8-bit hardware: MXINT8 cheaper than MXFP8 per MAC ({method})",
         f"energy ratio {energy[method]:.2f} (paper {energy['paper']:.2f})", energy[method] < 1),
    ]


def _plot(table: pd.DataFrame, path: Path) -> Path:
    fig, ax = plt.subplots(figsize=(10, 4.5))
    pivot = table.pivot(index="distribution", columns="scheme", values="qsnr_db").loc[list(DISTRIBUTIONS)]
    pivot[list(SCHEMES)].plot.bar(ax=ax, width=0.85)
    ax.set(ylabel="QSNR (dB)", xlabel="", title="INT vs FP block formats (blocks along the last axis)")
    ax.tick_params(axis="x", labelrotation=30)
    ax.legend(fontsize=7, ncol=4)
    fig.tight_layout()
    return save_png(fig, path, dpi=110)


def reproduce(out_dir: Path, shape: tuple[int, int] = SHAPE) -> list[Path]:
    out_dir = Path(out_dir)
    table = qsnr_table(SCHEMES, DISTRIBUTIONS, shape, seed=0)
    pivot = qsnr_pivot(table)
    hw = hardware_frame()
    ratios = ratio_frame(hw)
    paths = [out_dir / "int_vs_fp_qsnr.csv", out_dir / "hardware.csv"]
    table.to_csv(paths[0], index=False)
    hw.to_csv(paths[1], index=False)
    paths.append(_plot(table, out_dir / "int_vs_fp_qsnr.png"))
    hardware = _hardware_text(hw, ratios)
    print(hardware)
    lines = ["# INT v.s. FP (arXiv 2510.25602): our reproduction", "",
             f"QSNR in dB on seeded {shape[0]}x{shape[1]} tensors (seed 0; Hadamard blocks of 128).", "",
             pivot.to_markdown(), "", "## Claims", "", "| paper claim | ours | holds |", "|---|---|---|"]
    lines += [f"| {c} | {ours} | {'yes' if ok else 'NO'} |" for c, ours, ok in _claims(pivot, ratios)]
    lines += ["", hardware, ""]
    paths.append(out_dir / "int_vs_fp_summary.md")
    paths[-1].write_text("\n".join(lines))
    return paths


def _hardware_text(hw: pd.DataFrame, ratios: pd.DataFrame) -> str:
    gate = (hw.method == "gate-level").any()
    status = "from rtl_models/synth/sky130.json" if gate else \
        "not calibrated (rtl_models/synth/sky130.json is absent: run the physical-cost flow)"
    shown = ratios.rename(columns={"gate_level_vs_paper": "gate-level vs paper"})
    return "\n".join([
        "## Hardware (per MAC at matched throughput; hardware.csv has every unit and sub-block)", "",
        f"gate-level: {status}, multipliers mapped Booth/Wallace (Yosys `booth`, as commercial "
        "flows map them); gate-level array: the same units with Yosys's default array "
        "multipliers. analytic: the paper's Table 6 gate counts with SKY130 cell factors "
        "(experiments/papers/int_vs_fp_hw.py states each interpretation). paper: Table 5. "
        "ivf_mix_as_*: one mixed MXINT8/MXFP8 unit on each format's blocks.", "",
        shown.to_markdown(index=False, floatfmt=".3f")])
