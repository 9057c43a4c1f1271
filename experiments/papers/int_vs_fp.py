""""INT v.s. FP" (arXiv 2510.25602): integer vs floating-point block formats, accuracy and cost.

``reproduce(out_dir)`` writes ``int_vs_fp_qsnr.csv`` (QSNR of each scheme on Gaussian,
heavy-tailed and outlier tensors, with and without a Hadamard rotation),
``int_vs_fp_hardware.csv`` (energy per MAC of the MX dot units from the energy tables, and
synthesized area when ``rtl_models/synth/results.json`` exists), ``int_vs_fp_qsnr.png`` and
``int_vs_fp_summary.md`` (our figures against the paper's claims, docs/sources.md [int-vs-fp]):
at 8 bits MXINT8 beats MXFP8; at 4 bits FP (MXFP4, NVFP4) usually wins; NVINT4 beats NVFP4
once a Hadamard rotation removes outliers.
"""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from arch.tech import load_energy_table  # noqa: E402
from experiments.tables import qsnr_pivot, qsnr_table  # noqa: E402

SCHEMES = ("mxint8", "mxfp8_e4m3", "mxfp8_e5m2", "mxint4", "mxfp4", "nvint4", "nvfp4")
BASES = ("gaussian", "laplace", "student_t3", "outliers")
DISTRIBUTIONS = tuple(d + rot for d in BASES for rot in ("", "+hadamard"))
SHAPE = (256, 1024)
SYNTH_RESULTS = Path(__file__).resolve().parents[2] / "rtl_models" / "synth" / "results.json"
_DOTS = {"mxint8": "dot_mxint8_exact", "mxfp8_e4m3": "dot_mxfp8_e4m3_exact", "mxfp4": "dot_mxfp4_exact",
         "nvfp4": "dot_nvfp4_exact"}


def hardware_table(synth_path: Path = SYNTH_RESULTS) -> tuple[pd.DataFrame, str]:
    """Energy per MAC (pJ, mx_estimates_45nm) and, if synthesized, dot-unit cells/LUTs; plus a note."""
    table = load_energy_table("mx_estimates_45nm")
    rows = [{"scheme": s, "energy_per_mac_pj": table.energy_pj(f"mx_pe.mac_{s}"),
             "energy_source": table.entries[f"mx_pe.mac_{s}"].source} for s in SCHEMES]
    frame = pd.DataFrame(rows)
    if not synth_path.is_file():
        return frame, f"no synthesis results ({synth_path} is absent): area not compared"
    synth = {r["name"]: r for r in json.loads(synth_path.read_text()).get("rows", [])}
    for column in ("generic_cells", "xilinx_lut", "xilinx_dsp"):
        frame[column] = [synth.get(_DOTS.get(s, ""), {}).get(column) for s in frame.scheme]
    return frame, (f"area from {synth_path.name} (Yosys generic cells, Xilinx LUTs and DSP48s "
                   "of one block-dot unit)")


def _claims(pivot: pd.DataFrame, hw: pd.DataFrame) -> list[tuple[str, str, bool]]:
    q = pivot.drop(columns="bits")
    plain = [d for d in q.columns if "+" not in d]
    rotated = [d for d in q.columns if d.endswith("+hadamard")]
    int8_wins = [d for d in q.columns if q.loc["mxint8", d] > q.loc["mxfp8_e4m3", d]]
    fp4_wins = [d for d in plain if max(q.loc["mxfp4", d], q.loc["nvfp4", d]) > q.loc["nvint4", d]]
    nv_rot = [d for d in rotated if q.loc["nvint4", d] > q.loc["nvfp4", d]]
    energy = hw.set_index("scheme").energy_per_mac_pj
    return [
        ("8-bit: MXINT8 beats MXFP8 (E4M3) in QSNR", f"{len(int8_wins)}/{len(q.columns)} distributions",
         len(int8_wins) >= len(q.columns) - 1),
        ("4-bit: FP (MXFP4/NVFP4) usually beats INT (NVINT4) without rotation",
         f"{len(fp4_wins)}/{len(plain)} unrotated distributions", 2 * len(fp4_wins) >= len(plain)),
        ("NVINT4 beats NVFP4 after a Hadamard rotation",
         f"{len(nv_rot)}/{len(rotated)} rotated distributions", 2 * len(nv_rot) > len(rotated)),
        ("8-bit hardware: MXINT8 cheaper than MXFP8 per MAC (our energy table)",
         f"{energy['mxint8']:.3f} vs {energy['mxfp8_e4m3']:.3f} pJ", energy["mxint8"] < energy["mxfp8_e4m3"]),
    ]


def _plot(table: pd.DataFrame, path: Path) -> Path:
    fig, ax = plt.subplots(figsize=(10, 4.5))
    pivot = table.pivot(index="distribution", columns="scheme", values="qsnr_db").loc[list(DISTRIBUTIONS)]
    pivot[list(SCHEMES)].plot.bar(ax=ax, width=0.85)
    ax.set(ylabel="QSNR (dB)", xlabel="", title="INT vs FP block formats (blocks along the last axis)")
    ax.tick_params(axis="x", labelrotation=30)
    ax.legend(fontsize=7, ncol=4)
    fig.tight_layout()
    try:
        fig.savefig(path, dpi=110)
    finally:
        plt.close(fig)
    return path


def reproduce(out_dir: Path, shape: tuple[int, int] = SHAPE) -> list[Path]:
    out_dir = Path(out_dir)
    table = qsnr_table(SCHEMES, DISTRIBUTIONS, shape, seed=0)
    pivot = qsnr_pivot(table)
    hw, hw_note = hardware_table()
    paths = [out_dir / "int_vs_fp_qsnr.csv", out_dir / "int_vs_fp_hardware.csv"]
    table.to_csv(paths[0], index=False)
    hw.to_csv(paths[1], index=False)
    paths.append(_plot(table, out_dir / "int_vs_fp_qsnr.png"))
    lines = ["# INT v.s. FP (arXiv 2510.25602): our reproduction", "",
             f"QSNR in dB on seeded {shape[0]}x{shape[1]} tensors (seed 0; Hadamard blocks of 128).", "",
             pivot.to_markdown(), "", "## Claims", "", "| paper claim | ours | holds |", "|---|---|---|"]
    lines += [f"| {c} | {ours} | {'yes' if ok else 'NO'} |" for c, ours, ok in _claims(pivot, hw)]
    lines += ["", "## Hardware", "", hw.drop(columns="energy_source").to_markdown(index=False), "",
              "Energies are first-order 45 nm estimates (arch/data/tech/mx_estimates_45nm.yaml); "
              f"{hw_note}.", ""]
    paths.append(out_dir / "int_vs_fp_summary.md")
    paths[-1].write_text("\n".join(lines))
    return paths
