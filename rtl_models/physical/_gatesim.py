"""Gate-level simulation of a mapped netlist on Icarus, and per-net activity from its VCD.

The testbench applies one operand vector a clock period (from a hex file), clocks the unit
when it has a clock, holds ``rst`` high for the first (warm-up) cycle, and dumps the nets of
the netlist's top module from the second cycle on. Cell models are the library's functional
Verilog (``-DFUNCTIONAL``): zero delay, so activity counts logical transitions, not glitches.
"""

from __future__ import annotations

import gzip
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ._liberty import SKY130_DIR, cache_dir
from ._netlist import Netlist

SKY130_CELL_MODELS = (SKY130_DIR / "sky130_fd_sc_hd_primitives.v.gz",
                      SKY130_DIR / "sky130_fd_sc_hd.v.gz")
CLOCK, RESET = "clk", "rst"
HALF = 5  # time units of half a simulated period (zero-delay models: any value would do)


class GateSimError(RuntimeError):
    """Icarus failed to build or run the gate-level netlist."""


@dataclass(frozen=True)
class Activity:
    """Per net bit: transitions a cycle and fraction of time at 1, over ``cycles`` cycles."""

    cycles: int
    toggles: dict[str, float]
    duty: dict[str, float]


def _unpacked(path: Path) -> Path:
    if path.suffix != ".gz":
        return path
    out = cache_dir() / path.stem
    if not out.exists():
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_suffix(".tmp")
        tmp.write_bytes(gzip.decompress(path.read_bytes()))
        tmp.replace(out)
    return out


def _stimulus(netlist: Netlist, operands: dict[str, np.ndarray]) -> tuple[list, list[str]]:
    """(ports in hex-word order with widths, hex lines): one line per cycle."""
    ports = [(n, max(w, 1)) for n, w in netlist.inputs if n not in (CLOCK, RESET)]
    cycles = len(next(iter(operands.values())))
    lines = []
    for c in range(cycles):
        word = 0
        for name, width in ports:
            word = (word << width) | (int(operands[name][c]) & ((1 << width) - 1))
        lines.append(f"{word:x}")
    return ports, lines


def _testbench(netlist: Netlist, ports, cycles: int) -> str:
    names = {n for n, _ in netlist.inputs}
    total = sum(w for _, w in ports)
    decl = [f"  reg [{max(w, 1) - 1}:0] {n};" for n, w in netlist.inputs]
    decl += [f"  wire [{max(w, 1) - 1}:0] {n};" for n, w in netlist.outputs]
    conns = ", ".join(f".{n}({n})" for n, _ in netlist.inputs + netlist.outputs)
    concat = "{" + ", ".join(n for n, _ in ports) + "}"
    tick = (f"#{HALF} {CLOCK} = 1; #{HALF} {CLOCK} = 0;" if CLOCK in names else f"#{2 * HALF};")
    return "\n".join([
        "`timescale 1ns/1ps", "module bitplane_gate_tb;", *decl,
        f"  reg [{total - 1}:0] stim [0:{cycles - 1}];", "  integer i;",
        f"  {netlist.module} dut ({conns});", "  initial begin",
        '    $readmemh("stim.hex", stim);',
        f"    {CLOCK} = 0;" if CLOCK in names else "",
        f"    {RESET} = 1;" if RESET in names else "",
        f"    {concat} = stim[0]; {tick}",
        f"    {RESET} = 0;" if RESET in names else "",
        '    $dumpfile("activity.vcd"); $dumpvars(1, dut);',
        f"    for (i = 1; i < {cycles}; i = i + 1) begin {concat} = stim[i]; {tick} end",
        "    $finish;", "  end", "endmodule", ""])


def simulate(netlist: Netlist, netlist_path: Path, operands: dict[str, np.ndarray],
             workdir: Path, cell_models=SKY130_CELL_MODELS) -> Activity:
    """Run the netlist on ``operands`` (port -> value a cycle) and measure each net's activity."""
    ports, lines = _stimulus(netlist, operands)
    (workdir / "stim.hex").write_text("\n".join(lines) + "\n")
    bench = _testbench(netlist, ports, len(lines))
    tb = workdir / "gate_tb.v"
    if shutil.which("iverilog") is None:
        raise GateSimError("Icarus Verilog ('iverilog') is not installed")
    models = [str(_unpacked(Path(m))) for m in cell_models]
    build = ["iverilog", "-g2012", "-DFUNCTIONAL", "-o", "gate.vvp", *models,
             netlist_path.name, tb.name]
    # the stimulus is read at run time: one build serves every distribution
    fresh = not (workdir / "gate.vvp").exists() or not tb.exists() or tb.read_text() != bench
    tb.write_text(bench)
    for cmd in ([build] if fresh else []) + [["vvp", "-n", "gate.vvp"]]:
        done = subprocess.run(cmd, cwd=workdir, capture_output=True, text=True)
        if done.returncode != 0:
            raise GateSimError(f"{cmd[0]}: {(done.stderr or done.stdout).strip().splitlines()[-1]}")
    return read_vcd(workdir / "activity.vcd", len(lines) - 1)


def read_vcd(path: Path, cycles: int) -> Activity:
    """Transitions between 0 and 1 (X and Z ignored) and time at 1 of every bit in the file."""
    ids: dict[str, list[str]] = {}
    text = path.read_text()
    head, _, body = text.partition("$enddefinitions")
    for line in head.splitlines():
        parts = line.split()
        if parts[:1] == ["$var"]:
            width, code, name = int(parts[2]), parts[3], parts[4]
            lsb = int(parts[5].strip("[]").split(":")[-1]) if len(parts) > 6 else 0
            bits = [name] if width == 1 and len(parts) <= 6 else \
                [f"{name}[{lsb + i}]" for i in range(width)]
            ids.setdefault(code, []).extend(bits)  # lsb first; VCD values are msb first
    scale = re.search(r"\$timescale\s+(\d+)\s*(\w+)", head)
    ticks_per_ns = 1 / (int(scale.group(1)) * _UNITS_NS[scale.group(2)]) if scale else 1.0
    return _fold(body, ids, cycles, round(2 * HALF * ticks_per_ns))


_UNITS_NS = {"s": 1e9, "ms": 1e6, "us": 1e3, "ns": 1.0, "ps": 1e-3, "fs": 1e-6}


def _fold(body: str, ids: dict[str, list[str]], cycles: int, period: int) -> Activity:
    state: dict[str, str] = {}
    since: dict[str, int] = {}
    toggles: dict[str, int] = {b: 0 for bits in ids.values() for b in bits}
    high: dict[str, int] = dict.fromkeys(toggles, 0)
    now = start = 0
    for tok in body.split("\n"):
        tok = tok.strip()
        if not tok or tok[0] == "$":
            continue
        if tok[0] == "#":
            now = int(tok[1:])
            start = start or now
            continue
        if tok[0] in "bB":
            value, code = tok[1:].split()
        else:
            value, code = tok[0], tok[1:]
        bits = ids.get(code)
        if bits is None:
            continue
        value = value.rjust(len(bits), "0" if value[0] in "01" else value[0])
        for bit, v in zip(bits, value[::-1], strict=True):
            old = state.get(bit)
            if old == v:
                continue
            if old == "1":
                high[bit] += now - since[bit]
            if {old, v} == {"0", "1"}:
                toggles[bit] += 1
            state[bit], since[bit] = v, now
    end = start + cycles * period
    for bit, v in state.items():
        if v == "1":
            high[bit] += end - since[bit]
    span = max(end - start, 1)
    return Activity(cycles, {b: n / cycles for b, n in toggles.items()},
                    {b: h / span for b, h in high.items()})
