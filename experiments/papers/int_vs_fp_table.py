"""The hardware table of the "INT v.s. FP" reproduction: our SKY130 gate-level runs, the
paper's own gate-count model (``int_vs_fp_hw``) and the paper's Table 5, side by side.

``hardware_frame()`` has one row per unit x method (``block`` = "total") plus one row per
sub-block (``block`` = the sub-block or submodule); every figure is per MAC at matched
throughput (a block-dot row's area is divided by the MACs it does per cycle and its energy
by the MACs in one block), and ``area_ratio`` / ``energy_ratio`` are to the paper's
baseline (MXFP8 for single formats, MXFP8+NVFP4 for mixed ones).

Gate-level rows come in two multiplier mappings (column ``multipliers``; the flow applies
one to every multiplier of every unit): ``booth`` (radix-4 Booth, Wallace-style reduction:
what commercial flows such as the paper's map ``*`` to) gives the ``gate-level`` ratios,
``array`` (Yosys's default AND-array) the ``gate-level array`` ones, so the table shows how
much the mapping alone moves each ratio. ``ivf_mix_as_*`` are one mixed MXINT8/MXFP8 unit
measured on each format's blocks.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd

from . import int_vs_fp_hw as hw

SKY130_RESULTS = Path(__file__).resolve().parents[2] / "rtl_models" / "synth" / "sky130.json"
DISTRIBUTION = "gaussian"  # the data the gate-level energy of the table comes from
COLUMNS = ("unit", "format", "block", "method", "multipliers", "area_um2", "fmax_mhz",
           "energy_pj_per_op", "op", "area_ratio", "energy_ratio", "note")
# Parameter point (rtl_models.synth.DESIGN_POINTS) -> (format, MACs in one block).
POINTS = {"ivf_mxint8": ("mxint8", 32), "ivf_mxfp8_e4m3": ("mxfp8_e4m3", 32),
          "ivf_nvint4": ("nvint4", 16), "ivf_nvfp4": ("nvfp4", 16),
          "dot_mxint8_exact": ("mxint8", 32), "dot_mxfp8_e4m3_exact": ("mxfp8_e4m3", 32),
          "dot_nvfp4_exact": ("nvfp4", 16),
          "ivf_mix_as_mxint8": ("mxint8", 32), "ivf_mix_as_mxfp8_e4m3": ("mxfp8_e4m3", 32)}
MAPPINGS = {"gate-level": "booth", "gate-level array": "array"}  # ratio column -> mapping
# the mixed unit against the single-format units: (numerator unit, denominator unit)
MIX_PAIRS = (("ivf_mix_as_mxint8", "ivf_mxint8"), ("ivf_mix_as_mxfp8_e4m3", "ivf_mxfp8_e4m3"),
             ("ivf_mix_as_mxint8", "ivf_mxfp8_e4m3"))
PAIRS = (("mxint8", "mxfp8_e4m3"), ("nvint4", "nvfp4"), ("nvfp4", "mxfp8_e4m3"),
         ("nvint4", "mxfp8_e4m3"), ("mxint8+nvint4", "mxfp8+nvfp4"))
_UNIT = {fmt: name for name, (fmt, _) in list(POINTS.items())[:4]} | {
    "mxint8+nvint4": "mixed_int_scheme2", "mxfp8+nvfp4": "mixed_fp_reuse"}
_BASE = {"mxint8+nvint4": "mxfp8+nvfp4", "mxfp8+nvfp4": "mxfp8+nvfp4"}


def _row(**fields) -> dict:
    text = ("note", "block", "op", "multipliers")
    return {c: fields.get(c, math.nan if c not in text else "") for c in COLUMNS}


def paper_rows() -> list[dict]:
    note = "arXiv 2510.25602v1 Table 5 (normalised; TSMC FinFET cell factors, not published)"
    return [_row(unit=_UNIT[f], format=f, block="total", method="paper", op="mac", area_ratio=area,
                 energy_ratio=energy, note=note) for f, (energy, area) in hw.PAPER_TABLE5.items()]


def analytic_rows() -> list[dict]:
    costs = {f: hw.single_cost(f) for f in hw.FORMATS} | {m: hw.mixed_cost(m) for m in _BASE}
    note = "the paper's Table 6 model with SKY130 cell factors; energy at toggle rate 1"
    rows = []
    for f, cost in costs.items():
        base = costs[_BASE.get(f, "mxfp8_e4m3")]
        op = "mac" if f in hw.FORMATS else "configuration (area); 1 8-bit + 2 4-bit MACs (energy)"
        rows.append(_row(unit=_UNIT[f], format=f, block="total", method="analytic", op=op,
                         area_um2=cost.area_um2, energy_pj_per_op=cost.energy_pj,
                         area_ratio=cost.area_um2 / base.area_um2,
                         energy_ratio=cost.energy_pj / base.energy_pj, note=note))
        rows += [_row(unit=_UNIT[f], format=f, block=s, method="analytic", op=op, area_um2=a,
                      energy_pj_per_op=cost.energy_by_block_pj.get(s, math.nan),
                      area_ratio=a / base.area_um2)
                 for s, a in cost.area_by_block_um2.items()]
    return rows


def load_gate_level(path: Path = SKY130_RESULTS) -> list[dict]:
    """The physical-cost flow's rows (``rtl_models/synth/sky130.json``), [] when absent."""
    if not Path(path).is_file():
        return []
    data = json.loads(Path(path).read_text())
    return list(data.get("rows", []) if isinstance(data, dict) else data)


def _per_mac(row: dict, k: int) -> tuple[float, float, int]:
    """(area per MAC/cycle, energy per MAC, MACs per op) of a gate-level row."""
    macs = k if row.get("op") == "block" else 1
    # an area-only row (no energy run: no op) is a dot unit taking one block a cycle
    per_cycle = macs * float(row.get("ops_per_cycle") or 1) if row.get("op") else float(k)
    energy = (row.get("energy_pj_per_op") or {}).get(DISTRIBUTION, math.nan)
    return row["area_um2"] / per_cycle, energy / macs, per_cycle


def gate_level_rows(path: Path = SKY130_RESULTS) -> list[dict]:
    rows = []
    for r in load_gate_level(path):
        if r.get("name") not in POINTS:
            continue
        name, mapping = r["name"], r.get("multipliers", "array")
        fmt, k = POINTS[name]
        area, energy, per_cycle = _per_mac(r, k)
        note = f"{r.get('liberty', 'SKY130')}; " + (f"energy on {DISTRIBUTION} data, {r.get('cycles')} blocks"
                                                    if math.isfinite(energy) else "area and timing only")
        common = dict(unit=name, format=fmt, method="gate-level", multipliers=mapping, op="mac")
        rows.append(_row(**common, block="total", area_um2=area, fmax_mhz=r.get("fmax_mhz", math.nan),
                         energy_pj_per_op=energy, note=note))
        by_block = (r.get("energy_by_block_pj_per_op") or {}).get(DISTRIBUTION, {})
        rows += [_row(**common, block=b, area_um2=a / per_cycle,
                      energy_pj_per_op=by_block.get(b, math.nan) / (k if r.get("op") == "block" else 1))
                 for b, a in (r.get("area_by_block_um2") or {}).items()]
    return _gate_ratios(rows)


def _gate_ratios(rows: list[dict]) -> list[dict]:
    """Ratios to the MXFP8 unit of the same multiplier mapping."""
    base = {r["multipliers"]: r for r in rows if r["unit"] == "ivf_mxfp8_e4m3" and r["block"] == "total"}
    for r in rows:
        b = base.get(r["multipliers"])
        if b is not None and r["unit"].startswith("ivf_"):
            r["area_ratio"] = r["area_um2"] / b["area_um2"]
            r["energy_ratio"] = r["energy_pj_per_op"] / b["energy_pj_per_op"]
    return rows


def hardware_frame(path: Path = SKY130_RESULTS) -> pd.DataFrame:
    return pd.DataFrame(gate_level_rows(path) + analytic_rows() + paper_rows(), columns=list(COLUMNS))


# ---------------------------------------------------------------- the ratio summary


def _method_rows(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    """The rows behind a ratio column: a method, gate-level ones of one multiplier mapping."""
    if column in MAPPINGS:
        return frame[(frame.method == "gate-level") & (frame.multipliers == MAPPINGS[column])]
    return frame[frame.method == column]


def _total(frame: pd.DataFrame, method: str, fmt: str, column: str, unit: str | None = None) -> float:
    rows = _method_rows(frame, method)
    hit = rows[(rows.block == "total") & (rows.unit == (unit or _UNIT[fmt]))]
    return float(hit[column].iloc[0]) if len(hit) else math.nan


QUANTITIES = (("energy", "energy_ratio", "energy_pj_per_op"), ("area", "area_ratio", "area_um2"))


def ratio_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """INT/FP (and 4-bit/8-bit) energy and area ratios per method (gate-level: Booth-mapped
    multipliers; gate-level array: the array mapping), gate-level vs paper, and the mixed
    unit against the single-format ones."""
    rows = []
    methods = ("paper", *MAPPINGS, "analytic")
    for num, den in PAIRS:
        for quantity, ratio, absolute in QUANTITIES:
            # the paper gives ratios to MXFP8 only; ours divide absolute per-MAC figures, so a
            # pair needs only its own two units
            got = {m: _total(frame, m, num, ratio if m == "paper" else absolute)
                   / _total(frame, m, den, ratio if m == "paper" else absolute) for m in methods}
            rows.append({"ratio": f"{num} / {den}", "quantity": quantity, **got,
                         "gate_level_vs_paper": got["gate-level"] / got["paper"] - 1,
                         "explained_by": explain(frame, _UNIT[num], _UNIT[den], quantity)})
    for num, den in MIX_PAIRS:
        for quantity, _, absolute in QUANTITIES:
            got = {m: _total(frame, m, "", absolute, num) / _total(frame, m, "", absolute, den)
                   for m in MAPPINGS}
            rows.append({"ratio": f"{num} / {den}", "quantity": quantity, "paper": math.nan, **got,
                         "analytic": math.nan, "gate_level_vs_paper": math.nan,
                         "explained_by": explain(frame, num, den, quantity)})
    return pd.DataFrame(rows)


def explain(frame: pd.DataFrame, num: str, den: str, quantity: str) -> str:
    """The sub-blocks of units ``num`` and ``den`` whose per-MAC difference moves the ratio
    most (gate-level Booth rows when present, then array rows, then the analytic model)."""
    column = "area_um2" if quantity == "area" else "energy_pj_per_op"
    for method in (*MAPPINGS, "analytic"):
        parts = _method_rows(frame, method)
        parts = parts[parts.block != "total"]
        a = parts[parts.unit == num].set_index("block")[column].dropna()
        b = parts[parts.unit == den].set_index("block")[column].dropna()
        if len(a) and len(b):
            diff = a.reindex(a.index.union(b.index), fill_value=0) - b.reindex(a.index.union(b.index),
                                                                                 fill_value=0)
            top = diff.abs().sort_values(ascending=False).index[:2]
            unit = "um^2" if quantity == "area" else "pJ"
            return f"{method}: " + "; ".join(
                f"{s} {a.get(s, 0):.4g} vs {b.get(s, 0):.4g} {unit}" for s in top)
    return "no sub-block figures"
