"""The hardware-cost model of "INT v.s. FP" (Chen et al., arXiv 2510.25602v1, appendix C).

The paper's model, as it states it: a k-lane MAC unit whose sub-blocks have the gate
counts of its Table 6 (x, y: exponent and mantissa bits, x = 0 for INT; n, the aligner
width, from eq. 44: n = min(2^(x+1) + 2y, 24); k = 32 for MX, 16 for NV):

| sub-block | INT | FP | main cells |
|---|---|---|---|
| multiplier | k (x+y+1)^2 | k (y+1)^2 | AND, FA, HA |
| adder (mantissa/int) | 2k (x+y+1) | k n | FA, HA |
| exponent adder | - | k x | FA, HA |
| exponent subtractor | - | k x | XOR, FA, HA |
| comparator | - | k x | XOR, AND, OR |
| aligner (barrel) | - | k n log2 n | MUX |
| normalizer (shared) | - | n log2 n | MUX, OR |

Area = sum over sub-blocks s and cells g of c_{s,g} A_g, energy = sum c_{s,g} E_g tau with one
toggle rate tau for every cell (eq. 45), plus a dequantizer and an FP32 accumulator shared
by the k lanes (eq. 46-48; per-lane figures divide shared blocks by k).

What the paper does not give, and what we chose (each is an interpretation, not the paper):
- c_{s,g}: Table 6 gives one count per sub-block and lists its main cells; we charge the
  count once for EACH listed cell (the literal reading of eq. 45).
- A_g, E_g: the paper uses an unpublished TSMC FinFET library; we use SKY130
  sky130_fd_sc_hd (tt, 25 C, 1.80 V) cells fa_1, ha_1, xor2_1, and2_1, or2_1, mux2_1:
  area from Liberty; energy = for each output pin, its internal energy per transition (mean
  of rise and fall over its arcs, at input slew 0.1225 ns and load 0.0034 pF, the table
  point nearest 0.1 ns / 3 fF) plus 0.5 C V^2 of that load, summed over the outputs.
  ``CELLS`` holds the numbers; ``cell_factors_from_liberty`` recomputes them. tau = 1
  (every counted cell toggles once per MAC), so only ratios of analytic energies mean anything.
- Dequantizer (counts not given): UE8M0, two 8-bit integer additions = 2 x 8 (FA, HA);
  E4M3, two E4M3 multiplications = 2 x the FP multiplier and exponent adder rows (x=4, y=3).
- FP32 accumulator (counts not given): the FP adder rows with x = 8, y = 23, k = 1, n = 24.
- Mixed units (Table 7, the schemes the paper adopts): INT scheme 2 = two k = 32 units of
  int8 x (u)int4 lanes (an 8x4 multiplier: 32 (AND, FA, HA); a 12-bit product: 12 (FA, HA));
  FP scheme = one E4M3 unit plus one E2M1 unit (k = 32 each; the E4M3 lane also runs FP4).
  Area: the whole configuration, with an E8M0 and an E4M3 dequantizer and an FP32
  accumulator per unit. Energy: one 8-bit MAC plus two 4-bit MACs (the 1:2 throughput mix)
  on that hardware (INT: 2 + 1 + 1 int8 x int4 lanes; FP: 2 E4M3 lanes + 1 E2M1 lane), with
  the dequantizers' and accumulators' per-MAC shares (1/32 E8M0 side, 2/16 E4M3 side).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

# (area um^2, energy pJ per output transition) of sky130_fd_sc_hd tt_025C_1v80; regenerate
# with cell_factors_from_liberty(<the Liberty file>).
CELLS = {
    "FA": (20.0192, 0.0248232),
    "HA": (12.512, 0.0226664),
    "XOR": (8.7584, 0.0132149),
    "AND": (6.256, 0.0150489),
    "OR": (6.256, 0.0144268),
    "MUX": (11.2608, 0.0154997),
}
LIBERTY_CELLS = {"FA": "fa_1", "HA": "ha_1", "XOR": "xor2_1", "AND": "and2_1", "OR": "or2_1",
                 "MUX": "mux2_1"}
SLEW_NS, LOAD_PF, VDD_V = 0.1224745, 0.0034019070, 1.8
PSUM_BITS = 24

# Table 5 of the paper (v1): energy and area normalised to MXFP8 (single formats) and to
# MXFP8+NVFP4 (mixed).
PAPER_TABLE5 = {
    "mxfp8_e4m3": (1.0, 1.0), "mxint8": (0.63, 0.79), "nvfp4": (0.55, 0.54), "nvint4": (0.34, 0.38),
    "mxfp8+nvfp4": (1.0, 1.0), "mxint8+nvint4": (0.75, 0.66),
}  # format -> (energy, area)


@dataclass(frozen=True)
class MacFormat:
    """A format as the model sees it: exponent bits x (0 for INT), mantissa bits y, lanes k,
    scale type ("e8m0" or "e4m3")."""

    name: str
    x: int
    y: int
    k: int
    scale: str

    @property
    def is_int(self) -> bool:
        return self.x == 0

    @property
    def n(self) -> int:
        """The aligner width of eq. 44."""
        return min(2 ** (self.x + 1) + 2 * self.y, PSUM_BITS)


FORMATS = {
    "mxint8": MacFormat("mxint8", 0, 7, 32, "e8m0"),
    "mxfp8_e4m3": MacFormat("mxfp8_e4m3", 4, 3, 32, "e8m0"),
    "nvint4": MacFormat("nvint4", 0, 3, 16, "e4m3"),
    "nvfp4": MacFormat("nvfp4", 2, 1, 16, "e4m3"),
}
_MUL, _ADD, _SUM = ("AND", "FA", "HA"), ("FA", "HA"), ("XOR", "FA", "HA")


def _fp_adder_rows(x: int, n: int, k: int) -> dict[str, tuple[float, tuple[str, ...]]]:
    nlog = n * math.log2(n)
    return {"adder": (k * n, _ADD), "exp_sub": (k * x, _SUM), "comparator": (k * x, ("XOR", "AND", "OR")),
            "aligner": (k * nlog, ("MUX",)), "normalizer": (nlog, ("MUX", "OR"))}


def mac_counts(f: MacFormat) -> dict[str, tuple[float, tuple[str, ...]]]:
    """Table 6 for the whole k-lane unit: sub-block -> (count, main cells)."""
    if f.is_int:
        return {"multiplier": (f.k * (f.y + 1) ** 2, _MUL), "adder": (2 * f.k * (f.y + 1), _ADD)}
    rows = {"multiplier": (f.k * (f.y + 1) ** 2, _MUL), "exp_adder": (f.k * f.x, _ADD)}
    return rows | _fp_adder_rows(f.x, f.n, f.k)


def shared_counts(scale: str) -> dict[str, tuple[float, tuple[str, ...]]]:
    """Dequantizer and FP32 accumulator (our completion, see the module docstring)."""
    deq = {"dequantizer": (2 * 8, _ADD)} if scale == "e8m0" else \
        {"dequantizer": (2 * 16, _MUL), "dequantizer_exp": (2 * 4, _ADD)}
    acc = {f"acc32_{s}": v for s, v in _fp_adder_rows(8, PSUM_BITS, 1).items()}
    return deq | acc


def _cost(rows, cells) -> tuple[dict[str, float], dict[str, float]]:
    area = {s: c * sum(cells[g][0] for g in gs) for s, (c, gs) in rows.items()}
    energy = {s: c * sum(cells[g][1] for g in gs) for s, (c, gs) in rows.items()}
    return area, energy


@dataclass(frozen=True)
class AnalyticCost:
    """Per-MAC area (um^2, combinational cells) and energy (pJ at tau = 1), by sub-block."""

    name: str
    area_by_block_um2: dict
    energy_by_block_pj: dict

    @property
    def area_um2(self) -> float:
        return sum(self.area_by_block_um2.values())

    @property
    def energy_pj(self) -> float:
        return sum(self.energy_by_block_pj.values())


def single_cost(fmt: str, cells=CELLS) -> AnalyticCost:
    """Per-lane cost of one format's MAC unit with its dequantizer and FP32 accumulator."""
    f = FORMATS[fmt]
    rows = mac_counts(f) | shared_counts(f.scale)
    area, energy = _cost(rows, cells)
    return AnalyticCost(fmt, {s: v / f.k for s, v in area.items()}, {s: v / f.k for s, v in energy.items()})


def _int8x4_lane() -> dict[str, tuple[float, tuple[str, ...]]]:
    return {"multiplier": (8 * 4, _MUL), "adder": (12, _ADD)}


def _scaled(rows, factor: float, prefix: str = ""):
    return {prefix + s: (c * factor, gs) for s, (c, gs) in rows.items()}


def mixed_cost(name: str, cells=CELLS) -> AnalyticCost:
    """Table 7's adopted schemes: area of the whole configuration, energy of 1 8-bit + 2 4-bit MACs."""
    shared = _scaled(shared_counts("e8m0"), 1) | _scaled(shared_counts("e4m3"), 1, "nv_")
    if name == "mxint8+nvint4":
        lane, units = _int8x4_lane(), 2
        area_rows = _scaled(lane, 2 * 32) | _scaled(shared, units, "")
        energy_rows = _scaled(lane, 4)
    elif name == "mxfp8+nvfp4":
        e4m3, e2m1 = mac_counts(FORMATS["mxfp8_e4m3"]), mac_counts(_fp4_k32())
        area_rows = _merge(e4m3, e2m1) | _scaled(shared, 2)
        energy_rows = _merge(_scaled(e4m3, 2 / 32), _scaled(e2m1, 1 / 32))
    else:
        raise ValueError(f"unknown mixed configuration {name!r}; known: mxint8+nvint4, mxfp8+nvfp4")
    # the shared blocks' share of the mix: one MX MAC of 32 and two NV MACs of 16 per block
    energy_rows |= _scaled(shared_counts("e8m0"), 1 / 32) | _scaled(shared_counts("e4m3"), 2 / 16, "nv_")
    area, _ = _cost(area_rows, cells)
    _, energy = _cost(energy_rows, cells)
    return AnalyticCost(name, area, energy)


def _fp4_k32() -> MacFormat:
    return MacFormat("fp4_k32", 2, 1, 32, "e4m3")


def _merge(a, b):
    out = dict(a)
    for s, (c, gs) in b.items():
        out[s] = (out[s][0] + c, gs) if s in out else (c, gs)
    return out


# ---------------------------------------------------------------- cell factors from Liberty


def _cell_text(lib: str, cell: str) -> str:
    start = lib.index(f'cell ("sky130_fd_sc_hd__{cell}")')
    nxt = lib.find("\n    cell (", start + 10)
    return lib[start:nxt if nxt > 0 else len(lib)]


def _table_value(group: str, index_1: list[float], index_2: list[float]) -> float:
    rows = re.search(r'values\((.*?)\);', group, re.S).group(1)
    table = [[float(v) for v in row.strip(' "\\\n').split(",")] for row in rows.split('", \\')]
    return table[_nearest(index_1, SLEW_NS)][_nearest(index_2, LOAD_PF)]


def _nearest(values: list[float], target: float) -> int:
    return min(range(len(values)), key=lambda i: abs(values[i] - target))


def _output_energy(text: str) -> float:
    """Energy when every output pin switches once: per output, the mean internal energy
    per transition over its arcs (rise and fall) plus 0.5 C V^2 of the load."""
    total = 0.0
    for pin in re.split(r'\n        pin \(', text)[1:]:
        if 'direction : "output"' not in pin:
            continue
        energies = []
        for kind in ("rise_power", "fall_power"):
            for group in re.findall(kind + r' \("[^"]*"\) \{(.*?)\n                \}', pin, re.S):
                idx = [[float(v) for v in m.split(",")] for m in re.findall(r'index_\d\("([^"]*)"\)', group)]
                energies.append(_table_value(group, idx[0], idx[1]))
        total += sum(energies) / len(energies) + 0.5 * LOAD_PF * VDD_V**2
    return total


def cell_factors_from_liberty(path: Path) -> dict[str, tuple[float, float]]:
    """(area um^2, energy pJ) of each cell kind, read from a sky130_fd_sc_hd Liberty file."""
    lib = Path(path).read_text()
    out = {}
    for kind, cell in LIBERTY_CELLS.items():
        text = _cell_text(lib, cell)
        area = float(re.search(r"\n        area : ([0-9.]+);", text).group(1))
        out[kind] = (area, round(_output_energy(text), 7))
    return out
