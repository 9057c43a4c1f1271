"""``bitplane report DIR``: a self-contained HTML report and a markdown summary of a sweep.

    >>> build_report(Path("bitplane-results"))       # doctest: +SKIP
    [PosixPath('bitplane-results/report.html'), PosixPath('bitplane-results/summary.md'), ...]

Reads only the files a sweep wrote (``results.parquet``, ``ops.parquet``,
``metadata.json``); plots go to ``DIR/plots`` (PNG and SVG) and are embedded in the HTML
as base64 PNG, so the page needs no network and no other file. Every table and plot shows
feasible points only (ok and within every constraint of the spec); the facts say how many
points were feasible, and say plainly when none was. A file that cannot be read is one
UserError line saying how to rebuild it from the store.
"""

from __future__ import annotations

import base64
import html
import json
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from .errors import UserError
from .plots import plot_all
from .store import write_atomic

__all__ = ["build_report", "load_results"]

# The workload scenario (model ... scope) is shown because fronts are per scenario.
_TABLE_COLUMNS = ["design", "family", "weight_format", "unit_rows", "unit_cols", "dram_bandwidth_bytes_per_s",
                  "model", "phase", "batch", "context", "scope",
                  "latency_s", "energy_pj", "edp_j_s", "tokens_per_s", "qsnr_db"]
_CSS = ("body{font-family:sans-serif;max-width:1200px;margin:2em auto;color:#222}"
        "table{border-collapse:collapse;font-size:12px}td,th{border:1px solid #ccc;padding:2px 6px}"
        "th{background:#eee}img{max-width:100%}code{background:#f4f4f4}")


# Columns every results file has (a sweep writes them for failed points too).
_REQUIRED = ("point_id", "status", "design", "model", "phase", "batch", "context", "weight_format")
# Columns the tables and plots read from ok points.
_METRICS = ("family", "latency_s", "energy_pj", "edp_j_s", "weight_bits", "qsnr_db", "peak_macs_per_s",
            "attained_macs_per_s", "arithmetic_intensity_macs_per_byte", "dram_bandwidth_bytes_per_s")


def _unreadable(path: Path, problem: object) -> UserError:
    return UserError(f"{path}: not a readable sweep output ({' '.join(str(problem).split())[:200]}); "
                     f"rebuild it from the store with the same bitplane sweep or search command")


# Columns the report reads besides _REQUIRED, _METRICS and _TABLE_COLUMNS (and every
# energy_<component>_pj): a million-row sweep's other columns are not loaded at all.
_ALSO_READ = ("base", "feasible", "pareto", "error")


def _wanted(column: str) -> bool:
    return (column in (*_REQUIRED, *_METRICS, *_TABLE_COLUMNS, *_ALSO_READ)
            or column.startswith("energy_") and column.endswith("_pj"))


def _read_parquet(path: Path, columns=None) -> pd.DataFrame:
    try:
        if columns is not None:
            columns = [c for c in pq.ParquetDataset(path).schema.names if columns(c)]
        return pd.read_parquet(path, columns=columns)
    except (OSError, ValueError, TypeError, KeyError) as exc:  # pyarrow's ArrowInvalid is a ValueError
        raise _unreadable(path, exc) from None


# metadata.json keys the report reads, and the type each must have.
_META_TYPES = {"constraints": list, "objectives": list, "packages": dict, "skipped_unsupported": int}


def _read_meta(path: Path) -> dict:
    try:
        meta = json.loads(path.read_text()) if path.is_file() else {}
    except (OSError, ValueError) as exc:
        raise _unreadable(path, exc) from None
    if not isinstance(meta, dict):
        raise _unreadable(path, "not a JSON object")
    for key, kind in _META_TYPES.items():
        value = meta.get(key, kind())
        strings = all(isinstance(v, str) for v in (value if isinstance(value, list) else []))
        if not isinstance(value, kind) or isinstance(value, bool) or not strings:
            raise _unreadable(path, f"{key} is not {'a list of strings' if kind is list else kind.__name__}")
    return meta


def _check_columns(frame: pd.DataFrame, path: Path) -> pd.DataFrame:
    missing = [c for c in _REQUIRED if c not in frame.columns]
    if not missing and (frame["status"] == "ok").any():
        missing = [c for c in _METRICS if c not in frame.columns]
    if missing:
        raise _unreadable(path, f"no column {missing[0]!r}")
    return frame


def load_results(out_dir: Path) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """(results, ops, metadata) of a sweep folder; UserError when it holds no readable results."""
    out_dir = Path(out_dir)
    path = out_dir / "results.parquet"
    if not path.is_file():
        raise UserError(f"{path}: no results here (run bitplane sweep or search with --out {out_dir})")
    frame = _check_columns(_read_parquet(path, _wanted), path)
    ops_path = out_dir / "ops.parquet"
    ops = _read_parquet(ops_path) if ops_path.is_file() else pd.DataFrame()
    if len(ops) and not {"point_id", "op", "latency_s"} <= set(ops.columns):
        raise _unreadable(ops_path, "no point_id, op and latency_s columns")
    meta = _read_meta(out_dir / "metadata.json")
    if "feasible" not in frame.columns:
        frame["feasible"] = frame["status"] == "ok"
    if "pareto" not in frame.columns:
        frame["pareto"] = False
    return frame, ops, meta


def _columns(frame: pd.DataFrame) -> list[str]:
    return [c for c in _TABLE_COLUMNS if c in frame.columns]


def feasible_mask(frame: pd.DataFrame) -> pd.Series:
    """Which rows are ok and meet every constraint (the ``feasible`` column a sweep writes)."""
    return (frame["status"] == "ok") & frame["feasible"].astype(bool)


def feasible_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """The ok rows that meet every constraint (the ``feasible`` column a sweep writes)."""
    return frame[feasible_mask(frame)] if len(frame) else frame


def _tables(frame: pd.DataFrame, ok: pd.Series) -> dict[str, pd.DataFrame]:
    """The report's tables; ``ok`` marks the feasible rows (only the rows shown are copied)."""
    tables = {}
    if ok.any():
        tables["Pareto set (feasible, non-dominated per workload)"] = frame.loc[ok & frame["pareto"],
                                                                                 _columns(frame)]
        base = "base" if "base" in frame else "design"
        known = frame.loc[ok & frame["edp_j_s"].notna(), [base, "phase", "edp_j_s"]]
        best = known.groupby([base, "phase"], sort=False)["edp_j_s"].idxmin()
        tables["Lowest energy-delay product per base design and phase (feasible points)"] = frame.loc[
            best, _columns(frame)]
    failed = frame[frame["status"] == "failed"] if len(frame) else frame
    if len(failed):
        tables["Failed points"] = failed[["design", "weight_format", "phase", "error"]].head(50)
    return tables


def feasible_fact(frame: pd.DataFrame, meta: dict, count: int | None = None) -> str:
    """How many stored points are feasible (``count``, when known), in words; plain about none."""
    count = len(feasible_rows(frame)) if count is None else count
    ok = int((frame["status"] == "ok").sum()) if len(frame) else 0
    constraints = ", ".join(meta.get("constraints", [])) or "none"
    if count == 0:
        return (f"NONE of {len(frame)} stored points is feasible ({ok} evaluated ok; constraints: "
                f"{constraints}): no table or plot below has a point; relax the constraints or "
                "widen the axes")
    return f"{count} of {len(frame)} stored points ({ok} evaluated ok; constraints: {constraints})"


def _facts(frame: pd.DataFrame, meta: dict, feasible: int) -> dict[str, str]:
    status = frame["status"].value_counts().to_dict() if len(frame) else {}
    return {"spec": f"{meta.get('spec_name')} (hash {str(meta.get('spec_hash'))[:12]})",
            "kind": str(meta.get("kind")), "points": f"{len(frame)} stored: {status}",
            "feasible": feasible_fact(frame, meta, feasible),
            "skipped (unsupported format)": str(meta.get("skipped_unsupported", 0)),
            "objectives": ", ".join(meta.get("objectives", [])),
            "constraints": ", ".join(meta.get("constraints", [])) or "none",
            "seed": str(meta.get("seed")), "bitplane": f"{meta.get('bitplane_version')} "
            f"(git {str(meta.get('git_sha'))[:12]})", "python": str(meta.get("python")),
            "packages": ", ".join(f"{k} {v}" for k, v in meta.get("packages", {}).items())}


def _fmt(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.map(lambda v: f"{v:.4g}" if isinstance(v, float) else v)


def _html(facts: dict, tables: dict, meta: dict, plots: dict[str, list[Path]]) -> str:
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>bitplane report: "
             f"{html.escape(str(meta.get('spec_name')))}</title><style>{_CSS}</style></head><body>",
             f"<h1>bitplane {html.escape(str(meta.get('kind', 'sweep')))}: "
             f"{html.escape(str(meta.get('spec_name')))}</h1><table>"]
    parts += [f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>"
              for k, v in facts.items()]
    parts.append("</table>")
    for name, (png, _svg) in plots.items():
        data = base64.b64encode(png.read_bytes()).decode()
        parts.append(f"<h2>{html.escape(name.replace('_', ' '))}</h2><img alt='{name}' "
                     f"src='data:image/png;base64,{data}'>")
    for title, table in tables.items():
        parts.append(f"<h2>{html.escape(title)}</h2>" + _fmt(table).to_html(index=False, escape=True))
    parts.append("</body></html>\n")
    return "\n".join(parts)


def _markdown(facts: dict, tables: dict, meta: dict, plots: dict[str, list[Path]], out_dir: Path) -> str:
    lines = [f"# bitplane {meta.get('kind', 'sweep')}: {meta.get('spec_name')}", ""]
    lines += [f"- {k}: {v}" for k, v in facts.items()]
    lines.append("")
    for title, table in tables.items():
        lines += [f"## {title}", "", _fmt(table).to_markdown(index=False), ""]
    lines += [f"![{name}]({png.relative_to(out_dir)})" for name, (png, _) in plots.items()]
    return "\n".join(lines) + "\n"


def build_report(out_dir: Path) -> list[Path]:
    """Write ``report.html``, ``summary.md`` and ``plots/*.png|svg`` from a sweep folder's files."""
    out_dir = Path(out_dir)
    frame, ops, meta = load_results(out_dir)
    try:
        plots = plot_all(frame, ops, out_dir / "plots")
    except OSError as exc:
        raise UserError(f"cannot write plots in {out_dir / 'plots'}: {exc.strerror or exc}") from None
    ok = feasible_mask(frame) if len(frame) else pd.Series(False, index=frame.index)
    facts, tables = _facts(frame, meta, int(ok.sum())), _tables(frame, ok)
    report = write_atomic(out_dir / "report.html", lambda p: p.write_text(_html(facts, tables, meta, plots)))
    summary = write_atomic(out_dir / "summary.md",
                           lambda p: p.write_text(_markdown(facts, tables, meta, plots, out_dir)))
    return [report, summary, *(p for pair in plots.values() for p in pair)]
