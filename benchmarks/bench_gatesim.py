"""Gate-level activity simulation: the levelized simulator against Icarus (issue 12).

    python -m benchmarks.bench_gatesim [--point NAME ...] [--cycles 200]   (repository root)

For each design point, mapped once onto SKY130: seconds of ``_levelsim.simulate`` (the
Liberty cell functions, levelized, vectorized over the operand vectors) and, as the
reference run in the same process on the same netlist and operands, seconds of
``_gatesim.simulate`` (Icarus with the library's cell models, VCD read back); it also checks
that the two give the same activity on every connected net.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from rtl_models.physical import _gatesim, _levelsim, _netlist
from rtl_models.physical._mapping import map_point
from rtl_models.power_operands import OPERANDS

from ._timing import design_points

DEFAULT_POINTS = ("mul_int8", "dot_nvfp4_exact", "ivf_nvint4")


def _timed(fn, *args):
    start = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - start


def _agree(a, b, netlist) -> bool:
    nets = {net for inst in netlist.instances for _, net in inst.pins}
    return all(abs(a.toggles[n] - b.toggles.get(n, 0.0)) < 1e-12
               and abs(a.duty[n] - b.duty.get(n, 0.0)) < 1e-12 for n in nets)


def main(argv: list[str] | None = None) -> None:
    chosen, lib, cycles = design_points(argv, __doc__, DEFAULT_POINTS)
    print(f"{'design point':<20} {'cells':>7} {'levelized s':>12} {'icarus s':>9} {'ratio':>7}  same")
    for point in chosen:
        name = point.name
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            mapped = map_point(point, lib, work)
            netlist = _netlist.parse_netlist(mapped.netlist.read_text())
            ops = OPERANDS[point.unit](point, "gaussian", cycles + 1, 0)
            fast, t_fast = _timed(_levelsim.simulate, netlist, lib, ops)
            ref, t_ref = _timed(_gatesim.simulate, netlist, mapped.netlist, ops, work)
        print(f"{name:<20} {len(netlist.instances):>7} {t_fast:>12.2f} {t_ref:>9.2f} "
              f"{t_ref / t_fast:>6.0f}x  {_agree(fast, ref, netlist)}")


if __name__ == "__main__":
    main()
