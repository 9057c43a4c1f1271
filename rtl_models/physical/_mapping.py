"""Synthesis of one design point onto a Liberty library with the pinned Yosys.

The unit is synthesized with its module hierarchy kept (ABC maps each module on its own, so
no optimization crosses a module boundary), every cell named, then flattened and written as
a gate-level netlist: ties for constants and buffers for wire-to-wire connections, so the
netlist is cells only (the timing tool and Icarus read it). A flattened cell keeps its
instance path (``g_el[3].u_mul.u_a.c_12``), which says which sub-block it belongs to.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from ..synth import DesignPoint, _read, _yosys
from ._liberty import Liberty

# ABC's default script is minutes per dot unit in WebAssembly; this one is seconds.
ABC_SCRIPT = "+strash;dc2;map"
MAP_SCRIPT = "\n".join((
    "synth -top {top}{synth_options}",
    "dfflibmap -liberty {lib}",
    "abc -liberty {lib} -script {abc}",
    "opt_clean",
    "{ties}",
    "rename -enumerate -pattern c_% c:*",
    "flatten",
    "opt_clean -purge",
    "{buffers}",
    "rename -hide w:*",
    "write_verilog -noattr -noexpr -noparallelcase netlist.v",
))

# Instance name of a submodule in our RTL -> the sub-block its cells are charged to.
INSTANCE_BLOCKS = {
    "u_mul": "multipliers",
    "u_a": "element decode", "u_b": "element decode",
    "u_da": "element decode", "u_db": "element decode",
    "u_sa": "scale decode", "u_sb": "scale decode",
    "u_round": "normalisation", "u_np": "normalisation", "u_nc": "normalisation",
    "u_norm": "normalisation",
    # the INT v.s. FP datapath's stages (ivf_*.sv): per-lane exponent compare, align shifter,
    # adder tree, and the block-scale step before the shared normaliser
    "u_maxexp": "exponent compare", "u_align": "alignment", "u_tree": "adder tree",
    "u_scale": "scale handling",
}
# Units whose synthesis needs an option, and why (the row records it).
SYNTH_OPTIONS = {
    "mx_quantize": (" -noshare", "Yosys's SAT-based resource sharing ran past 20 minutes on "
                    "the 32-lane quantizer in WebAssembly; without it shifters are not shared"),
}
# How the flow maps multipliers (``*`` in the RTL), applied to every unit alike: "array",
# Yosys's default (a plain AND-array of partial products summed by an adder array), or
# "booth", Yosys's ``booth`` pass (radix-4 Booth encoding, partial products reduced by a
# Wallace-style tree of full adders), run by ``synth -booth`` before techmap. Booth/Wallace
# is what commercial flows pick for multipliers (Synopsys DesignWare ``DW02_mult``'s
# ``pparch`` implementation); the pass leaves alone products narrower than 4 x 4 bits.
MULTIPLIERS = {"array": "", "booth": " -booth"}
TOP_BLOCK = "top-level logic"
REGISTERS = "registers"
PLUMBING = "netlist buffers"  # insbuf's buffers where a port bit feeds a wire directly


@dataclass(frozen=True)
class Mapped:
    netlist: Path
    script: str
    note: str = ""


def block_of(instance: str, cell_is_sequential: bool) -> str:
    """The sub-block of a flattened cell: flip-flops are registers wherever they sit; other
    cells go to their innermost named submodule, or to the top level."""
    if cell_is_sequential:
        return REGISTERS
    if re.fullmatch(r"_\d+_", instance):
        return PLUMBING
    path = instance.lstrip("\\").split(".")[:-1]
    for name in reversed(path):
        if name in INSTANCE_BLOCKS:
            return INSTANCE_BLOCKS[name]
    return TOP_BLOCK


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


def map_point(point: DesignPoint, lib: Liberty, workdir: Path,
              multipliers: str = "array") -> Mapped:
    """Synthesize ``point`` onto ``lib`` in ``workdir`` with the ``multipliers`` mapping
    (a key of ``MULTIPLIERS``); the netlist stays there."""
    shutil.copyfile(lib.path, workdir / "cells.lib")
    ties, buffers = _tie_and_buffer(lib)
    options, why = SYNTH_OPTIONS.get(point.unit, ("", ""))
    script = MAP_SCRIPT.format(top=point.top, lib="cells.lib", abc=ABC_SCRIPT, ties=ties,
                               buffers=buffers, synth_options=options + MULTIPLIERS[multipliers])
    _yosys(_read(point, workdir) + script + "\n", workdir)
    (workdir / "cells.lib").unlink()
    netlist = workdir / "netlist.v"
    # The 2019 OpenSTA Verilog reader rejects "wire signed" (and signedness is moot here).
    netlist.write_text(re.sub(r"\b(wire|input|output) signed\b", r"\1", netlist.read_text()))
    return Mapped(netlist, script, f"synth{options}: {why}" if options else "")
