"""Physical costs of the RTL units on real standard cells: area, timing and energy per op.

    >>> rows = run(DEFAULT_RESULTS)          # doctest: +SKIP  (minutes: Yosys in WebAssembly)

For each design point (``rtl_models.synth.DESIGN_POINTS`` with an operand stream in
``rtl_models.power_operands.OPERANDS``): Yosys maps the unit onto the Liberty library
(``_mapping``: area per sub-block), OpenSTA times it (``_sta``: critical path, fmax), a
zero-delay gate-level simulation runs the netlist on quantized test tensors of each data
distribution (``_levelsim`` from the Liberty cell functions for a combinational netlist,
``_gatesim`` on Icarus for one with flip-flops: per-net activity) and OpenSTA's power
report on those activities gives
internal, switching and leakage power, divided by the unit's throughput into pJ per
operation. The built-in results (``rtl_models/synth/sky130.json``) come from SkyWater
SKY130 ``sky130_fd_sc_hd``, typical corner; a user passes another Liberty file.
``multipliers`` picks how every multiplier is mapped (``_mapping.MULTIPLIERS``: Yosys's
array, or Booth/Wallace); a row records a non-default mapping and one results file holds
a point's rows of both (``row_key``).
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import tempfile
import time
from pathlib import Path

from ..power_operands import OPERANDS, bitserial_interval
from ..synth import DESIGN_POINTS, DesignPoint, SynthError, source_hash, yosys_version
from . import _levelsim
from ._gatesim import CLOCK, RESET, SKY130_CELL_MODELS, GateSimError, simulate
from ._liberty import SKY130_LIBERTY, Liberty, LibertyError, read_liberty
from ._mapping import ABC_SCRIPT, MAP_SCRIPT, MULTIPLIERS, PLUMBING, REGISTERS, TOP_BLOCK, block_of, map_point
from ._netlist import Netlist, cut, parse_netlist
from ._sta import StaError, sta_version, timing
from ._sta import power as sta_power

__all__ = ["DEFAULT_DISTRIBUTIONS", "DEFAULT_MULTIPLIERS", "DEFAULT_RESULTS", "MULTIPLIERS",
           "SKY130_LIBERTY", "THROUGHPUT", "LibertyError", "PhysicalError", "calibrate_point",
           "load", "multipliers_of", "read_liberty", "row_key", "run", "throughput"]

DEFAULT_RESULTS = Path(__file__).resolve().parent.parent / "synth" / "sky130.json"
DEFAULT_DISTRIBUTIONS = ("gaussian", "student_t3", "outliers")
FORMAT_VERSION = 1
NOMINAL_PERIOD_NS = 10.0
# How a row's activity was simulated (both zero-delay; they agree net for net on a
# combinational netlist, tests/rtl/test_physical.py); a row without the field used Icarus.
SIMULATORS = {"icarus": "icarus (library cell models)",
              "levelized": "levelized (Liberty cell functions)"}
# The multiplier mapping of a row that names none (every row made before the option existed).
DEFAULT_MULTIPLIERS = "array"


def multipliers_of(row: dict) -> str:
    """The multiplier mapping a results row was made with (``_mapping.MULTIPLIERS``)."""
    return row.get("multipliers", DEFAULT_MULTIPLIERS)


def row_key(name: str, multipliers: str = DEFAULT_MULTIPLIERS) -> str:
    """A row's identity in a results file: the design point, and the mapping when it is not
    the default (one file holds a point's array and Booth rows side by side)."""
    return name if multipliers == DEFAULT_MULTIPLIERS else f"{name}+{multipliers}"


class PhysicalError(RuntimeError):
    """A design point could not be mapped, timed or simulated (one line naming it)."""


def _dot(point):
    return ("mac", float(dict(point.parameters).get("K", 32)))


# unit -> (what one operation is, operations a cycle); units not listed count cycles.
THROUGHPUT = {
    "elem_mul": lambda p: ("mac", 1.0),
    "mx_dot": _dot, "mxint8_dot": _dot, "nvfp4_dot": _dot, "ivf_dot": _dot, "ivf_mix": _dot,
    "mx_quantize": lambda p: ("element", float(dict(p.parameters).get("K", 32))),
    "bitserial_pe": lambda p: ("mac", dict(p.parameters).get("G", 8) / bitserial_interval(p)),
    "lmul": lambda p: ("mul", 1.0),
    "pim_mac": lambda p: ("mac", 1.0),
    "lut_unit": lambda p: ("cycle", 1.0),
}


def throughput(point: DesignPoint) -> tuple[str, float]:
    return THROUGHPUT.get(point.unit, lambda p: ("cycle", 1.0))(point)


def _tools() -> dict[str, str]:
    icarus = subprocess.run(["iverilog", "-V"], capture_output=True, text=True).stdout
    return {"yosys": yosys_version(), "opensta": sta_version(),
            "icarus": icarus.splitlines()[0] if icarus else "?"}


def _clock(t, clock_mhz: float | None, name: str) -> float:
    """The simulated clock: the requested one (which must close timing) or fmax rounded
    down to 10 MHz."""
    fmax = 1e3 / t.critical_path_ns
    if clock_mhz is None:
        return max(1.0, math.floor(fmax / 10) * 10.0)
    if clock_mhz > fmax:
        raise PhysicalError(f"{name}: cannot close timing at {clock_mhz:g} MHz (critical path "
                            f"{t.critical_path_ns:.3f} ns, fmax {fmax:.1f} MHz)")
    return clock_mhz


def _blocks(netlist: Netlist, lib: Liberty) -> dict[str, str]:
    return {i.name: block_of(i.name, lib.cells[i.cell].sequential) for i in netlist.instances}


def _area(netlist: Netlist, lib: Liberty) -> dict:
    """Area in um^2 by sub-block: each cell's Liberty area, summed."""
    blocks = _blocks(netlist, lib)
    area: dict[str, float] = {}
    for inst in netlist.instances:
        area[blocks[inst.name]] = area.get(blocks[inst.name], 0.0) + lib.cells[inst.cell].area_um2
    flat = set(area) <= {TOP_BLOCK, REGISTERS, PLUMBING}
    note = ("one flat module: its datapath stages are not separated (all in top-level logic)"
            if flat else "sub-blocks are the RTL's submodule instances (_mapping.INSTANCE_BLOCKS); "
            "logic written inline in the top module is top-level logic")
    return {"area_um2": round(sum(area.values()), 4),
            "area_by_block_um2": {k: round(v, 4) for k, v in sorted(area.items())},
            "area_note": note, "cells": len(netlist.instances)}


def _energy(point, lib, netlist: Netlist, netlist_path: Path, workdir: Path, clock_mhz: float,
            distributions, cycles: int, seed: int, cell_models) -> dict:
    split = cut(netlist, lib)
    blocks = _blocks(netlist, lib)
    (workdir / "cut.v").write_text(split.text)
    clock_port = split.port_of_net.get(CLOCK)
    period_ns = 1e3 / clock_mhz
    op, per_cycle = throughput(point)
    levelized = _levelsim.is_combinational(netlist, lib)
    energy, dynamic, breakdown, by_block = {}, {}, {}, {}
    for dist in distributions:
        operands = OPERANDS[point.unit](point, dist, cycles + 1, seed)
        act = (_levelsim.simulate(netlist, lib, operands) if levelized
               else simulate(netlist, netlist_path, operands, workdir, cell_models))
        activity = {port: (act.toggles.get(net, 0.0), act.duty.get(net, 0.0))
                    for net, port in split.port_of_net.items() if net != RESET}
        p = sta_power(lib.path, workdir / "cut.v", f"{netlist.module}_cut", clock_port,
                      period_ns, split.loads_pf, activity, workdir)
        per_op = period_ns * 1e-9 / per_cycle * 1e12
        energy[dist] = round(p.total_w * per_op, 6)
        dynamic[dist] = round((p.internal_w + p.switching_w) * per_op, 6)
        breakdown[dist] = {"internal_uw": p.internal_w * 1e6, "switching_uw": p.switching_w * 1e6,
                           "leakage_uw": p.leakage_w * 1e6}
        by_block[dist] = _energy_by_block(p, split.instance_names, blocks, per_op)
    leak = next(iter(breakdown.values()))["leakage_uw"] if breakdown else None
    return {"op": op, "ops_per_cycle": per_cycle, "energy_pj_per_op": energy,
            "dynamic_pj_per_op": dynamic, "energy_by_block_pj_per_op": by_block,
            "power_uw": breakdown, "leakage_uw": leak,
            "simulator": SIMULATORS["levelized" if levelized else "icarus"]}


def _energy_by_block(p, names: dict[str, str], blocks: dict[str, str], per_op: float) -> dict:
    out: dict[str, float] = {}
    for cut_name, watts in p.by_instance_w.items():
        block = blocks[names[cut_name]]
        out[block] = out.get(block, 0.0) + sum(watts) * per_op
    return {k: round(v, 6) for k, v in sorted(out.items())}


def calibrate_point(point: DesignPoint, lib: Liberty, distributions=DEFAULT_DISTRIBUTIONS,
                    cycles: int = 200, seed: int = 0, clock_mhz: float | None = None,
                    cell_models=SKY130_CELL_MODELS, multipliers: str = DEFAULT_MULTIPLIERS) -> dict:
    """One results row: area by sub-block, critical path and fmax, pJ per op per distribution;
    ``multipliers`` picks the multiplier mapping (a key of ``MULTIPLIERS``)."""
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bitplane-phys-") as tmp:
        work = Path(tmp)
        try:
            mapped = map_point(point, lib, work, multipliers)
            netlist = parse_netlist(mapped.netlist.read_text())
            area = _area(netlist, lib) | ({"synth_note": mapped.note} if mapped.note else {})
            inputs = [n for n, _ in netlist.inputs]
            clock = CLOCK if CLOCK in inputs else None
            t = timing(lib.path, mapped.netlist, netlist.module, inputs, clock,
                       1e3 / clock_mhz if clock_mhz else NOMINAL_PERIOD_NS, work)
            if clock_mhz is None and t.slack_ns < 0:  # re-time at a period that fits
                t = timing(lib.path, mapped.netlist, netlist.module, inputs, clock,
                           math.ceil(t.critical_path_ns * 1.1), work)
            clk = _clock(t, clock_mhz, point.name)
            # a combinational netlist needs only the Liberty functions; flip-flops need Icarus
            simulable = cell_models or _levelsim.is_combinational(netlist, lib)
            energy = (_energy(point, lib, netlist, mapped.netlist, work, clk, distributions,
                              cycles, seed, cell_models)
                      if point.unit in OPERANDS and simulable else {})
        except (SynthError, StaError, GateSimError, ValueError) as exc:
            raise PhysicalError(f"{point.name}: {exc}") from None
    row = _row(point, lib, area, t, clk, energy, cycles, seed, distributions,
               time.perf_counter() - started)
    return row | ({"multipliers": multipliers} if multipliers != DEFAULT_MULTIPLIERS else {})


def _row(point, lib, area, t, clk, energy, cycles, seed, distributions, seconds) -> dict:
    return {
        "name": point.name, "unit": point.unit, "top": point.top,
        "parameters": dict(point.parameters), "source_hash": source_hash(point),
        "liberty": lib.source.name, "liberty_sha256": lib.sha256[:16], "library": lib.name,
        "corner": lib.corner, **area,
        "critical_path_ns": t.critical_path_ns, "critical_path": f"{t.startpoint} -> {t.endpoint}",
        "fmax_mhz": round(t.fmax_mhz, 2), "clock_mhz": clk,
        "method": "gate-level" if energy else "synthesis+sta",
        **energy, "distributions": list(distributions) if energy else [],
        "cycles": cycles, "seed": seed, "seconds": round(seconds, 1),
    }


def _header(lib: Liberty) -> dict:
    return {"format_version": FORMAT_VERSION, "liberty": lib.source.name,
            "liberty_sha256": lib.sha256[:16], "library": lib.name, "corner": lib.corner,
            "vdd_v": lib.nom_voltage_v, "tools": _tools(),
            "map_script": MAP_SCRIPT.replace("{abc}", ABC_SCRIPT).replace("{synth_options}", ""),
            "multipliers": {"default": DEFAULT_MULTIPLIERS, "options": {
                k: f"synth{v}" if v else "synth" for k, v in MULTIPLIERS.items()},
                "note": "a row without a 'multipliers' field was mapped with the default; "
                        "'booth' adds -booth to the synth command (Yosys's radix-4 Booth "
                        "multiplier pass before techmap), for every multiplier of the unit"},
            "method": ("hierarchical Yosys synthesis onto the Liberty cells, flattened with "
                       "instance paths kept (area and energy per sub-block); "
                       "OpenSTA worst setup path (ideal inputs, unloaded outputs, no wire "
                       "load); zero-delay gate-level simulation on numerics-quantized test "
                       "tensors (a row's 'simulator': a combinational netlist levelized from "
                       "the Liberty cell functions, one with flip-flops on Icarus with the "
                       "library's cell models; a row without the field used Icarus), "
                       "per-net activity, OpenSTA report_power on a per-net cut "
                       "of the netlist (each cell's inputs carry simulated activity)")}


def load(path: Path = DEFAULT_RESULTS) -> dict:
    return json.loads(Path(path).read_text())


def _current(out: Path, header: dict) -> dict[str, dict]:
    try:
        data = load(out)
    except (OSError, ValueError):
        return {}
    same = all(data.get(k) == header[k] for k in ("format_version", "liberty_sha256", "tools"))
    return ({row_key(r["name"], multipliers_of(r)): r for r in data.get("rows", [])}
            if same else {})


def _write(out: Path, header: dict, rows: dict[str, dict]) -> None:
    known = [row_key(p.name, m) for p in DESIGN_POINTS for m in MULTIPLIERS]
    order = known + sorted(set(rows) - set(known))
    tmp = out.with_suffix(".tmp")
    tmp.write_text(json.dumps(header | {"rows": [rows[n] for n in order if n in rows]},
                              indent=1) + "\n")
    os.replace(tmp, out)


def run(out: Path = DEFAULT_RESULTS, points=DESIGN_POINTS, liberty=SKY130_LIBERTY,
        force: bool = False, progress=None, multipliers: str = DEFAULT_MULTIPLIERS,
        **options) -> list[dict]:
    """Calibrate ``points`` with the ``multipliers`` mapping and (re)write the results file
    after each one; rows whose sources, Liberty file and tools are unchanged are kept unless
    ``force`` (rows of the other mapping are kept too)."""
    lib = read_liberty(liberty)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    header = _header(lib)
    rows = _current(out, header)
    for point in points:
        key = row_key(point.name, multipliers)
        old = rows.get(key)
        reused = not force and old is not None and old.get("source_hash") == source_hash(point)
        if not reused:
            rows[key] = calibrate_point(point, lib, multipliers=multipliers, **options)
            _write(out, header, rows)
        if progress:
            progress(rows[key], reused)
    _write(out, header, rows)
    return [rows[row_key(p.name, multipliers)] for p in points]
