"""Plots of stored sweep results: pure functions of ``results.parquet`` / ``ops.parquet`` frames.

    >>> paths = plot_all(pd.read_parquet("DIR/results.parquet"),      # doctest: +SKIP
    ...                  pd.read_parquet("DIR/ops.parquet"), Path("DIR/plots"))

Each ``*_figure`` takes frames and returns a matplotlib Figure (Agg backend, nothing shown);
:func:`save` writes it as PNG and SVG and closes it. Figures read only stored columns, so a
report can be rebuilt from the files alone. They show feasible points only (ok and within
the spec's constraints; the Pareto plot adds the infeasible ones in gray, labelled so), in
the units of the tables (seconds, picojoules). Saving is deterministic: the same frames give
byte-identical PNG and SVG files (no date, a fixed SVG id salt).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

__all__ = ["energy_breakdown_figure", "latency_per_op_figure", "pareto_figure", "plot_all",
           "qsnr_figure", "roofline_figure", "save"]

_SCENARIO = ["model", "phase", "batch", "context"]
_MARKERS = "osD^vP*X"


def _ok(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[frame["status"] == "ok"] if len(frame) else frame


def _feasible(frame: pd.DataFrame) -> pd.DataFrame:
    frame = _ok(frame)
    return frame[frame["feasible"].astype(bool)] if "feasible" in frame and len(frame) else frame


def _scenarios(frame: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    if not len(frame):
        return []
    scope = "scope" in frame  # stores written before sweeps had a scope have no such column
    groups = frame.groupby(_SCENARIO + ["scope"] * scope, sort=False)
    return [(f"{k[0]} {k[1]} (batch {k[2]}, context {k[3]}{f', {k[4]} scope' if scope else ''})", g)
            for k, g in groups]


def point_label(row) -> str:
    """A short name of a design point: accelerator, weight format, array shape."""
    shape = f" {int(row['unit_rows'])}x{int(row['unit_cols'])}" if pd.notna(row.get("unit_rows")) else ""
    return f"{row['design']} {row['weight_format']}{shape}"


def _thin(rows: pd.DataFrame, limit: int = 3000) -> pd.DataFrame:
    """At most about ``limit`` evenly spaced rows to draw (a million markers say no more than
    a few thousand, and would make a 100 MB SVG); the Pareto rows are drawn separately."""
    step = -(-len(rows) // limit)
    return rows.iloc[::step] if step > 1 else rows


def _grid(count: int, width: float = 6.0, height: float = 4.5):
    cols = min(2, max(1, count))
    rows = max(1, -(-count // cols))
    fig, axes = plt.subplots(rows, cols, figsize=(width * cols, height * rows), squeeze=False)
    for ax in axes.flat[count:]:
        ax.set_visible(False)
    return fig, list(axes.flat)


def _front_2d(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    order = np.lexsort((y, x))
    best, keep = np.inf, []
    for i in order:
        if y[i] < best:
            best = y[i]
            keep.append(i)
    return np.array(keep, int)


def _plain_log_ticks(ax) -> None:
    for axis in (ax.xaxis, ax.yaxis):
        axis.set_minor_formatter(matplotlib.ticker.NullFormatter())


def pareto_figure(frame: pd.DataFrame):
    """Latency vs energy per workload scenario; the stored Pareto points are highlighted."""
    scenarios = _scenarios(_ok(frame))
    fig, axes = _grid(len(scenarios))
    for ax, (title, everything) in zip(axes, scenarios, strict=False):
        feasible = everything["feasible"] if "feasible" in everything else np.ones(len(everything), bool)
        group, rest = everything[feasible], everything[~feasible]
        rest = _thin(rest)
        ax.scatter(rest.latency_s, rest.energy_pj, s=14, color="lightgray", marker="x",
                   label="infeasible (constraints)")
        for i, (family, rows) in enumerate(group.groupby("family" if "family" in group else "design",
                                                         sort=False)):
            rows = _thin(rows)
            ax.scatter(rows.latency_s, rows.energy_pj, s=18, alpha=0.55,
                       marker=_MARKERS[i % len(_MARKERS)], label=family)
        best = group[group["pareto"]] if "pareto" in group else group.iloc[:0]
        ax.scatter(best.latency_s, best.energy_pj, s=70, facecolors="none",
                   edgecolors="black", linewidths=1.2, label="Pareto set (all objectives)")
        front = group.iloc[_front_2d(group.latency_s.to_numpy(), group.energy_pj.to_numpy())]
        ax.step(front.latency_s, front.energy_pj, where="post", color="black", lw=0.8,
                alpha=0.6, label="latency-energy front")
        ax.set(xscale="log", yscale="log", xlabel="latency (s)", ylabel="energy (pJ)", title=title)
        _plain_log_ticks(ax)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def _showcase(frame: pd.DataFrame, limit: int = 12) -> pd.DataFrame:
    """Rows worth a bar: the Pareto set, else the lowest-EDP points (at most ``limit``)."""
    chosen = frame[frame["pareto"]] if "pareto" in frame and frame["pareto"].any() else frame
    return chosen.nsmallest(limit, "edp_j_s")


def energy_breakdown_figure(frame: pd.DataFrame):
    """Stacked energy per component (the ``energy_<c>_pj`` columns) of the showcased points."""
    scenarios = _scenarios(_feasible(frame))
    fig, axes = _grid(len(scenarios), width=7.0)
    columns = [c for c in frame.columns if c.startswith("energy_") and c.endswith("_pj") and c != "energy_pj"]
    for ax, (title, group) in zip(axes, scenarios, strict=False):
        rows = _showcase(group)
        bottom = np.zeros(len(rows))
        for column in columns:
            values = rows[column].fillna(0).to_numpy()
            if values.any():
                ax.bar(range(len(rows)), values, bottom=bottom, label=column[7:-3])
                bottom += values
        ax.set_xticks(range(len(rows)), [point_label(r) for _, r in rows.iterrows()], rotation=60,
                      ha="right", fontsize=6)
        ax.set(ylabel="energy (pJ)", title=title)
        ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def roofline_figure(frame: pd.DataFrame):
    """Attained MAC/s vs arithmetic intensity (MAC/byte of DRAM), one panel per hardware family,
    with the compute and bandwidth roofs of the family's designs."""
    frame = _feasible(frame)
    families = list(frame.groupby("family", sort=False)) if len(frame) else []
    fig, axes = _grid(len(families))
    for ax, (family, rows) in zip(axes, families, strict=False):
        ai = rows["arithmetic_intensity_macs_per_byte"].to_numpy(float)
        xs = np.geomspace(max(ai.min() / 4, 1e-2), ai.max() * 4, 200)
        roofs = rows[["peak_macs_per_s", "dram_bandwidth_bytes_per_s"]].drop_duplicates()
        for peak, bw in roofs.nlargest(6, "peak_macs_per_s").itertuples(index=False):
            ax.plot(xs, np.minimum(peak, bw * xs), color="gray", lw=0.8, alpha=0.7)
        for phase, sub in rows.groupby("phase"):
            sub = _thin(sub)
            ax.scatter(sub["arithmetic_intensity_macs_per_byte"], sub["attained_macs_per_s"], s=14,
                       alpha=0.6, label=phase)
        ax.set(xscale="log", yscale="log", xlabel="arithmetic intensity (MAC / DRAM byte)",
               ylabel="attained MAC/s", title=f"{family}: roofs (gray) = min(peak, bandwidth x AI)")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def latency_per_op_figure(frame: pd.DataFrame, ops: pd.DataFrame):
    """Latency per op of the lowest-latency feasible point of each base design, per scenario."""
    scenarios = _scenarios(_feasible(frame))
    fig, axes = _grid(len(scenarios), width=7.0)
    for ax, (title, group) in zip(axes, scenarios, strict=False):
        base = "base" if "base" in group else "design"
        best = group.loc[group.groupby(base, sort=False)["latency_s"].idxmin()]
        names = list(dict.fromkeys(ops.loc[ops.point_id.isin(best.point_id), "op"])) if len(ops) else []
        width = 0.8 / max(1, len(best))
        for i, (_, row) in enumerate(best.iterrows()):
            mine = ops[ops.point_id == row["point_id"]].set_index("op")["latency_s"]
            ax.barh(np.arange(len(names)) + i * width, [mine.get(n, 0.0) for n in names],
                    height=width, label=point_label(row))
        ax.set_yticks(np.arange(len(names)) + 0.4 - width / 2, names, fontsize=7)
        ax.set(xscale="log", xlabel="latency (s, all layers)", title=title)
        ax.legend(fontsize=6)
    fig.tight_layout()
    return fig


def qsnr_figure(frame: pd.DataFrame):
    """QSNR (dB) of each weight format against its storage bits per element."""
    table = _feasible(frame)[["weight_format", "weight_bits", "qsnr_db"]].drop_duplicates("weight_format")
    fig, ax = plt.subplots(figsize=(6, 4.5))
    finite = table[np.isfinite(table.qsnr_db)]
    ax.scatter(finite.weight_bits, finite.qsnr_db)
    for row in finite.itertuples():
        ax.annotate(row.weight_format, (row.weight_bits, row.qsnr_db), fontsize=7,
                    textcoords="offset points", xytext=(4, 2))
    ax.set(xlabel="bits per element (incl. scales)", ylabel="QSNR (dB)",
           title="weight formats: accuracy cost vs storage")
    ax.grid(True, alpha=0.3)
    fig.tight_layout()
    return fig


def save(fig, out_dir: Path, name: str) -> list[Path]:
    """Write ``name``.png and ``name``.svg into ``out_dir`` and close the figure."""
    from .store import write_atomic
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [out_dir / f"{name}.png", out_dir / f"{name}.svg"]
    try:
        with plt.rc_context({"svg.hashsalt": "bitplane"}):
            write_atomic(paths[0], lambda tmp: fig.savefig(tmp, dpi=110, format="png",
                                                           metadata={"Software": None}))
            write_atomic(paths[1], lambda tmp: fig.savefig(tmp, format="svg", metadata={"Date": None}))
    finally:
        plt.close(fig)
    return paths


def save_png(fig, path: Path, dpi: int = 110) -> Path:
    """Write ``fig`` to ``path`` as a PNG (atomically, with no date or software stamp, so two
    identical runs give identical files) and close it."""
    from .store import write_atomic
    try:
        write_atomic(path, lambda tmp: fig.savefig(tmp, dpi=dpi, format="png", metadata={"Software": None}))
    finally:
        plt.close(fig)
    return path


def plot_all(frame: pd.DataFrame, ops: pd.DataFrame, out_dir: Path) -> dict[str, list[Path]]:
    """Every plot of a sweep: name -> [png, svg] (none when no point is feasible)."""
    if not len(_feasible(frame)):
        return {}
    figures = {"pareto": lambda: pareto_figure(frame),
               "energy_breakdown": lambda: energy_breakdown_figure(frame),
               "roofline": lambda: roofline_figure(frame),
               **({"latency_per_op": lambda: latency_per_op_figure(frame, ops)} if len(ops) else {}),
               "qsnr_vs_bits": lambda: qsnr_figure(frame)}
    return {name: save(make(), out_dir, name) for name, make in figures.items()}
