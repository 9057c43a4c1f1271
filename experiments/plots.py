"""Plots of stored sweep results: pure functions of ``results.parquet`` / ``ops.parquet`` frames.

    >>> paths = plot_all(pd.read_parquet("DIR/results.parquet"),      # doctest: +SKIP
    ...                  pd.read_parquet("DIR/ops.parquet"), Path("DIR/plots"))

Each ``*_figure`` takes frames and returns a matplotlib Figure (Agg backend, nothing shown);
:func:`save` writes it as PNG and SVG and closes it. Figures read only stored columns, so a
report can be rebuilt from the files alone. They show feasible points only (ok and within
the spec's constraints; the Pareto plot adds the infeasible ones in gray, labelled so), in
the units of the tables (seconds, picojoules). A cloud of more points than a scatter can show
(:data:`CLOUD_POINTS`) is drawn as a 2-D histogram of all of them (log-spaced bins, darker =
more points) with the exact Pareto points on top, and the legend says so; point markers are
rasterized inside the SVG, so a million-point sweep gives a small file. Saving is
deterministic: the same frames give byte-identical PNG and SVG files (no date, a fixed SVG id
salt).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.collections  # noqa: E402
import matplotlib.colors  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

__all__ = ["energy_breakdown_figure", "latency_per_op_figure", "pareto_figure", "plot_all",
           "qsnr_figure", "roofline_figure", "save"]

_SCENARIO = ["model", "phase", "batch", "context"]
_MARKERS = "osD^vP*X"
CLOUD_POINTS = 3000  # more points than this in one cloud: a 2-D histogram instead of markers


def _where(frame: pd.DataFrame, mask) -> pd.DataFrame:
    """The rows of ``mask``; ``frame`` itself when that is every row (no copy of a big frame)."""
    mask = np.asarray(mask, bool)
    return frame if mask.all() else frame[mask]


def _only(frame: pd.DataFrame, columns, prefix: str = "energy_") -> pd.DataFrame:
    """The columns a figure reads (those present; and every ``prefix``...``_pj`` one), so that
    the groups it cuts a million rows into copy only those."""
    wanted = set(columns) | {"status", "feasible", "pareto", *_SCENARIO}
    return frame[[c for c in frame.columns if c in wanted or c.startswith(prefix) and c.endswith("_pj")]]


def _ok(frame: pd.DataFrame) -> pd.DataFrame:
    return _where(frame, frame["status"] == "ok") if len(frame) else frame


def _feasible(frame: pd.DataFrame) -> pd.DataFrame:
    frame = _ok(frame)
    return _where(frame, frame["feasible"].astype(bool)) if "feasible" in frame and len(frame) else frame


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


def _cloud(ax, x, y, label: str, color=None, marker: str = "o", **style) -> None:
    """Points (x, y) on log axes: markers when there are few, else a 2-D histogram of all of
    them (log-spaced bins, counts on a log scale), so no point is left out of the picture."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    keep = (x > 0) & (y > 0) & np.isfinite(x) & np.isfinite(y)
    x, y = x[keep], y[keep]
    if len(x) <= CLOUD_POINTS:
        ax.scatter(x, y, color=color, marker=marker, label=label, rasterized=True, **style)
        return
    bins = [np.geomspace(v.min(), v.max() * (1 + 1e-9), 80) if v.max() > v.min() else
            np.array([v.min() / 1.01, v.min() * 1.01]) for v in (x, y)]
    counts, xs, ys = np.histogram2d(x, y, bins=bins)
    rgb = matplotlib.colors.to_rgb(color or "gray")
    cmap = matplotlib.colors.LinearSegmentedColormap.from_list("cloud", [(*rgb, 0.15), (*rgb, 0.95)])
    ax.pcolormesh(xs, ys, np.ma.masked_equal(counts.T, 0), cmap=cmap, rasterized=True,
                  norm=matplotlib.colors.LogNorm(vmin=1, vmax=max(2, counts.max())))
    ax.scatter([], [], color=rgb, marker="s", label=f"{label}: 2-D histogram of {len(x):,} points")


def _grid(count: int, width: float = 6.0, height: float = 4.5):
    cols = min(2, max(1, count))
    rows = max(1, -(-count // cols))
    fig, axes = plt.subplots(rows, cols, figsize=(width * cols, height * rows), squeeze=False)
    for ax in axes.flat[count:]:
        ax.set_visible(False)
    return fig, list(axes.flat)


def _width(frame: pd.DataFrame) -> float:
    """Inches per panel: wider where clouds may be histograms, whose legends sit beside them."""
    return 9.5 if len(frame) > CLOUD_POINTS else 6.0


def _legend(ax) -> None:
    """The legend: beside a panel holding a 2-D histogram (finding the emptiest corner of one
    is slow and seldom finds any), inside otherwise."""
    if any(isinstance(c, matplotlib.collections.QuadMesh) for c in ax.collections):
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    else:
        ax.legend(fontsize=7)


def _front_2d(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Rows on the lower-left staircase of (x, y), in x order: each beats every y before it."""
    order = np.lexsort((y, x))
    ys = y[order]
    best_before = np.concatenate([[np.inf], np.minimum.accumulate(ys)[:-1]])
    return order[ys < best_before]


def _plain_log_ticks(ax) -> None:
    for axis in (ax.xaxis, ax.yaxis):
        axis.set_minor_formatter(matplotlib.ticker.NullFormatter())


def pareto_figure(frame: pd.DataFrame):
    """Latency vs energy per workload scenario; the stored Pareto points are highlighted."""
    frame = _only(frame, ["family", "design", "latency_s", "energy_pj"], prefix="-")
    scenarios = _scenarios(_ok(frame))
    fig, axes = _grid(len(scenarios), width=_width(frame))
    for ax, (title, everything) in zip(axes, scenarios, strict=False):
        feasible = everything["feasible"] if "feasible" in everything else np.ones(len(everything), bool)
        feasible = np.asarray(feasible, bool)
        group, rest = _where(everything, feasible), everything[~feasible]
        _cloud(ax, rest.latency_s, rest.energy_pj, "infeasible (constraints)", "lightgray", "x", s=14)
        for i, (family, rows) in enumerate(group.groupby("family" if "family" in group else "design",
                                                         sort=False)):
            _cloud(ax, rows.latency_s, rows.energy_pj, family, f"C{i}", _MARKERS[i % len(_MARKERS)],
                   s=18, alpha=0.55)
        best = group[group["pareto"]] if "pareto" in group else group.iloc[:0]
        ax.scatter(best.latency_s, best.energy_pj, s=70, facecolors="none", rasterized=len(best) > 500,
                   edgecolors="black", linewidths=1.2,
                   label=f"Pareto set (all objectives; exact, {len(best):,} points)")
        front = group.iloc[_front_2d(group.latency_s.to_numpy(), group.energy_pj.to_numpy())]
        ax.step(front.latency_s, front.energy_pj, where="post", color="black", lw=0.8,
                alpha=0.6, label="latency-energy front")
        ax.set(xscale="log", yscale="log", xlabel="latency (s)", ylabel="energy (pJ)", title=title)
        _plain_log_ticks(ax)
        ax.grid(True, which="both", alpha=0.3)
        _legend(ax)
    fig.tight_layout()
    return fig


def _showcase(frame: pd.DataFrame, limit: int = 12) -> pd.DataFrame:
    """Rows worth a bar: the Pareto set, else the lowest-EDP points (at most ``limit``)."""
    chosen = frame[frame["pareto"]] if "pareto" in frame and frame["pareto"].any() else frame
    return chosen.nsmallest(limit, "edp_j_s")


def energy_breakdown_figure(frame: pd.DataFrame):
    """Stacked energy per component (the ``energy_<c>_pj`` columns) of the showcased points."""
    frame = _only(frame, ["edp_j_s", "design", "weight_format", "unit_rows", "unit_cols"])
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
    frame = _feasible(_only(frame, ["family", "arithmetic_intensity_macs_per_byte", "attained_macs_per_s",
                                    "peak_macs_per_s", "dram_bandwidth_bytes_per_s"], prefix="-"))
    families = list(frame.groupby("family", sort=False)) if len(frame) else []
    fig, axes = _grid(len(families), width=_width(frame))
    for ax, (family, rows) in zip(axes, families, strict=False):
        ai = rows["arithmetic_intensity_macs_per_byte"].to_numpy(float)
        xs = np.geomspace(max(ai.min() / 4, 1e-2), ai.max() * 4, 200)
        roofs = rows[["peak_macs_per_s", "dram_bandwidth_bytes_per_s"]].drop_duplicates()
        for peak, bw in roofs.nlargest(6, "peak_macs_per_s").itertuples(index=False):
            ax.plot(xs, np.minimum(peak, bw * xs), color="gray", lw=0.8, alpha=0.7)
        for i, (phase, sub) in enumerate(rows.groupby("phase")):
            _cloud(ax, sub["arithmetic_intensity_macs_per_byte"], sub["attained_macs_per_s"], phase, f"C{i}",
                   s=14, alpha=0.6)
        ax.set(xscale="log", yscale="log", xlabel="arithmetic intensity (MAC / DRAM byte)",
               ylabel="attained MAC/s", title=f"{family}: roofs (gray) = min(peak, bandwidth x AI)")
        ax.grid(True, which="both", alpha=0.3)
        _legend(ax)
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
    ok = _ok(frame)  # filtered once: each figure's own filter then keeps every row, copying none
    feasible = _feasible(ok)
    if not len(feasible):
        return {}
    figures = {"pareto": lambda: pareto_figure(ok),
               "energy_breakdown": lambda: energy_breakdown_figure(feasible),
               "roofline": lambda: roofline_figure(feasible),
               **({"latency_per_op": lambda: latency_per_op_figure(feasible, ops)} if len(ops) else {}),
               "qsnr_vs_bits": lambda: qsnr_figure(feasible)}
    return {name: save(make(), out_dir, name) for name, make in figures.items()}
