"""``bitplane report DIR``: a self-contained HTML report and a markdown summary of a sweep.

    >>> build_report(Path("bitplane-results"))       # doctest: +SKIP
    [PosixPath('bitplane-results/report.html'), PosixPath('bitplane-results/summary.md'), ...]

Reads only the files a sweep wrote (``results.parquet``, ``ops.parquet``,
``metadata.json``); plots go to ``DIR/plots`` (PNG and SVG) and are embedded in the HTML
as base64 PNG, so the page needs no network and no other file.
"""

from __future__ import annotations

import base64
import html
import json
from pathlib import Path

import pandas as pd

from .errors import UserError
from .plots import plot_all
from .store import write_atomic

__all__ = ["build_report", "load_results"]

_TABLE_COLUMNS = ["design", "family", "weight_format", "unit_rows", "unit_cols", "dram_bandwidth_bytes_per_s",
                  "phase", "latency_s", "energy_pj", "edp_j_s", "tokens_per_s", "qsnr_db"]
_CSS = ("body{font-family:sans-serif;max-width:1200px;margin:2em auto;color:#222}"
        "table{border-collapse:collapse;font-size:12px}td,th{border:1px solid #ccc;padding:2px 6px}"
        "th{background:#eee}img{max-width:100%}code{background:#f4f4f4}")


def load_results(out_dir: Path) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """(results, ops, metadata) of a sweep folder; UserError when it holds no results."""
    out_dir = Path(out_dir)
    path = out_dir / "results.parquet"
    if not path.is_file():
        raise UserError(f"{path}: no results here (run bitplane sweep or search with --out {out_dir})")
    frame = pd.read_parquet(path)
    ops_path = out_dir / "ops.parquet"
    ops = pd.read_parquet(ops_path) if ops_path.is_file() else pd.DataFrame()
    meta_path = out_dir / "metadata.json"
    meta = json.loads(meta_path.read_text()) if meta_path.is_file() else {}
    return frame, ops, meta


def _columns(frame: pd.DataFrame) -> list[str]:
    return [c for c in _TABLE_COLUMNS if c in frame.columns]


def _tables(frame: pd.DataFrame) -> dict[str, pd.DataFrame]:
    ok = frame[frame["status"] == "ok"] if len(frame) else frame
    tables = {}
    if len(ok):
        tables["Pareto set (feasible, non-dominated per workload)"] = ok[ok["pareto"]][_columns(ok)]
        base = "base" if "base" in ok else "design"
        best = ok.loc[ok.groupby([base, "phase"], sort=False)["edp_j_s"].idxmin()]
        tables["Lowest energy-delay product per base design and phase"] = best[_columns(ok)]
    failed = frame[frame["status"] == "failed"] if len(frame) else frame
    if len(failed):
        tables["Failed points"] = failed[["design", "weight_format", "phase", "error"]].head(50)
    return tables


def _facts(frame: pd.DataFrame, meta: dict) -> dict[str, str]:
    status = frame["status"].value_counts().to_dict() if len(frame) else {}
    return {"spec": f"{meta.get('spec_name')} (hash {str(meta.get('spec_hash'))[:12]})",
            "kind": str(meta.get("kind")), "points": f"{len(frame)} stored: {status}",
            "skipped (unsupported format)": str(meta.get("skipped_unsupported", 0)),
            "objectives": ", ".join(meta.get("objectives", [])),
            "constraints": ", ".join(meta.get("constraints", [])) or "none",
            "seed": str(meta.get("seed")), "bitplane": f"{meta.get('bitplane_version')} "
            f"(git {str(meta.get('git_sha'))[:12]})", "python": str(meta.get("python")),
            "packages": ", ".join(f"{k} {v}" for k, v in meta.get("packages", {}).items())}


def _fmt(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.map(lambda v: f"{v:.4g}" if isinstance(v, float) else v)


def _html(frame: pd.DataFrame, meta: dict, plots: dict[str, list[Path]]) -> str:
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>bitplane report: "
             f"{html.escape(str(meta.get('spec_name')))}</title><style>{_CSS}</style></head><body>",
             f"<h1>bitplane {html.escape(str(meta.get('kind', 'sweep')))}: "
             f"{html.escape(str(meta.get('spec_name')))}</h1><table>"]
    parts += [f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>"
              for k, v in _facts(frame, meta).items()]
    parts.append("</table>")
    for name, (png, _svg) in plots.items():
        data = base64.b64encode(png.read_bytes()).decode()
        parts.append(f"<h2>{html.escape(name.replace('_', ' '))}</h2><img alt='{name}' "
                     f"src='data:image/png;base64,{data}'>")
    for title, table in _tables(frame).items():
        parts.append(f"<h2>{html.escape(title)}</h2>" + _fmt(table).to_html(index=False, escape=True))
    parts.append("</body></html>\n")
    return "\n".join(parts)


def _markdown(frame: pd.DataFrame, meta: dict, plots: dict[str, list[Path]], out_dir: Path) -> str:
    lines = [f"# bitplane {meta.get('kind', 'sweep')}: {meta.get('spec_name')}", ""]
    lines += [f"- {k}: {v}" for k, v in _facts(frame, meta).items()]
    lines.append("")
    for title, table in _tables(frame).items():
        lines += [f"## {title}", "", _fmt(table).to_markdown(index=False), ""]
    lines += [f"![{name}]({png.relative_to(out_dir)})" for name, (png, _) in plots.items()]
    return "\n".join(lines) + "\n"


def build_report(out_dir: Path) -> list[Path]:
    """Write ``report.html``, ``summary.md`` and ``plots/*.png|svg`` from a sweep folder's files."""
    out_dir = Path(out_dir)
    frame, ops, meta = load_results(out_dir)
    plots = plot_all(frame, ops, out_dir / "plots")
    report = write_atomic(out_dir / "report.html", lambda p: p.write_text(_html(frame, meta, plots)))
    summary = write_atomic(out_dir / "summary.md",
                           lambda p: p.write_text(_markdown(frame, meta, plots, out_dir)))
    return [report, summary, *(p for pair in plots.values() for p in pair)]
