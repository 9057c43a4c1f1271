"""Synthesis of one design point onto a Liberty library with the pinned Yosys.

The unit is synthesized with its module hierarchy kept (ABC maps each module on its own, so
no optimization crosses a module boundary), its area read per module (``stat -liberty``),
then flattened and written as a gate-level netlist: ties for constants and buffers for
wire-to-wire connections, so the netlist is cells only (the timing tool and Icarus read it).
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from ..synth import DesignPoint, _read, _yosys
from ._liberty import Liberty

# ABC's default script is minutes per dot unit in WebAssembly; this one is seconds.
ABC_SCRIPT = "+strash;dc2;map"
MAP_SCRIPT = "\n".join((
    "synth -top {top}",
    "dfflibmap -liberty {lib}",
    "abc -liberty {lib} -script {abc}",
    "opt_clean",
    "{ties}",
    "tee -q -o stat.json stat -json -liberty {lib}",
    "flatten",
    "opt_clean -purge",
    "{buffers}",
    "rename -hide w:* c:*",
    "write_verilog -noattr -noexpr -noparallelcase netlist.v",
))

# Module name (as Yosys names a parameterized copy: $paramod$...\name) -> sub-block.
BLOCKS = {
    "bp_elem_mul": "multipliers",
    "bp_elem_decode": "element decode",
    "bp_pim_decode16": "element decode",
    "bp_to_fp32": "normalisation",
    "bp_pim_normalize": "normalisation",
}
TOP_BLOCK = "top-level logic"
REGISTERS = "registers"


@dataclass(frozen=True)
class Mapped:
    netlist: Path
    area_um2: float
    area_by_block_um2: dict[str, float]
    cells: int
    cell_counts: dict[str, int]
    script: str


def _tie_and_buffer(lib: Liberty) -> tuple[str, str]:
    """Yosys commands that map constants to tie cells and wire-to-wire links to buffers."""
    ties = [c for c in lib.cells.values() if not any(p.direction == "input" for p in c.pins)
            and {"HI", "LO"} <= set(c.outputs)]
    bufs = sorted((c for c in lib.cells.values() if re.search(r"__buf_\d+$|^BUF", c.name)
                   and len(c.pins) == 2 and len(c.outputs) == 1), key=lambda c: c.area_um2)
    tie = (f"hilomap -hicell {ties[0].name} HI -locell {ties[0].name} LO" if ties else "")
    buf = ""
    if bufs:
        b = bufs[0]
        buf = f"insbuf -buf {b.name} {next(p.name for p in b.pins if p.direction == 'input')} {b.outputs[0]}"
    return tie, buf


def _block_of(module: str) -> str:
    base = module.rsplit("\\", 1)[-1]
    return BLOCKS.get(base, base)


def _areas(stat: dict, top: str) -> tuple[dict[str, float], dict[str, int]]:
    """Area by sub-block (each module's own cells times its instances; flip-flops apart)."""
    modules = stat["modules"]
    blocks: dict[str, float] = {}
    counts: dict[str, int] = {}

    def visit(name: str, times: int, block: str) -> None:
        m = modules[name]
        subs = {c: n for c, n in m.get("num_cells_by_type", {}).items() if c in modules}
        # stat's module areas include their submodules: subtract them to get its own cells
        own = m.get("area", 0.0) - sum(modules[c].get("area", 0.0) * n for c, n in subs.items())
        seq = m.get("sequential_area", 0.0) - sum(modules[c].get("sequential_area", 0.0) * n
                                                  for c, n in subs.items())
        for cell, n in m.get("num_cells_by_type", {}).items():
            if cell in subs:
                visit(cell, times * n, _block_of(cell))
            else:
                counts[cell] = counts.get(cell, 0) + n * times
        blocks[block] = blocks.get(block, 0.0) + (own - seq) * times
        blocks[REGISTERS] = blocks.get(REGISTERS, 0.0) + seq * times

    visit(_top_key(modules, top), 1, TOP_BLOCK)
    return {k: round(v, 4) for k, v in blocks.items() if v > 0}, counts


def _top_key(modules: dict, top: str) -> str:
    for key in (top, f"\\{top}"):
        if key in modules:
            return key
    return next(k for k in modules if k.endswith(top))


def map_point(point: DesignPoint, lib: Liberty, workdir: Path) -> Mapped:
    """Synthesize ``point`` onto ``lib`` in ``workdir``; the netlist stays there."""
    shutil.copyfile(lib.path, workdir / "cells.lib")
    ties, buffers = _tie_and_buffer(lib)
    script = MAP_SCRIPT.format(top=point.top, lib="cells.lib", abc=ABC_SCRIPT, ties=ties,
                               buffers=buffers)
    _yosys(_read(point, workdir) + script + "\n", workdir)
    (workdir / "cells.lib").unlink()
    stat = json.loads((workdir / "stat.json").read_text())
    blocks, counts = _areas(stat, point.top)
    netlist = workdir / "netlist.v"
    # The 2019 OpenSTA Verilog reader rejects "wire signed" (and signedness is moot here).
    netlist.write_text(re.sub(r"\b(wire|input|output) signed\b", r"\1", netlist.read_text()))
    return Mapped(netlist, round(sum(blocks.values()), 4), blocks, sum(counts.values()), counts,
                  script)
