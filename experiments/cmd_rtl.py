"""``bitplane rtl-check`` and ``bitplane synth``: RTL equivalence checks and synthesis.

    bitplane rtl-check --list
    bitplane rtl-check --unit mx_dot --sim verilator --vectors 100000 --seed 7
    bitplane rtl-check --all
    bitplane synth --out rtl_models/synth/results.json

rtl-check exits 0 when every unit matches its model, 1 on any mismatch and 2 when a unit
fails to build or to run.
"""

from __future__ import annotations

from pathlib import Path

from .errors import UserError


def register(subparsers) -> None:
    from rtl_models import SIMULATORS

    p = subparsers.add_parser("rtl-check", help="simulate the RTL units and compare them with "
                              "the numerics models")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--unit", help="one unit (see --list)")
    which.add_argument("--all", action="store_true", help="every unit (the default)")
    which.add_argument("--list", action="store_true", help="print the unit names and exit")
    p.add_argument("--sim", choices=SIMULATORS, help="one simulator (default: both)")
    p.add_argument("--vectors", type=int, default=10_000,
                   help="random vectors per unit, on top of corners and exhaustive sets")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=cmd_rtl_check)
    p = subparsers.add_parser("synth", help="synthesize every RTL unit with Yosys and write "
                              "the cell/LUT/FF/DSP table")
    p.add_argument("--out", type=Path, default=None,
                   help="results file (default: rtl_models/synth/results.json)")
    p.set_defaults(func=cmd_synth)


def cmd_rtl_check(args) -> int:
    from rtl_models import SIMULATORS, UNITS, RtlError, check

    if args.list:
        print("\n".join(UNITS))
        return 0
    if args.unit is not None and args.unit not in UNITS:
        raise UserError(f"unknown unit {args.unit!r}; known units: {', '.join(UNITS)}")
    if args.vectors <= 0:
        raise UserError(f"--vectors must be a positive integer, not {args.vectors}")
    units = [args.unit] if args.unit else list(UNITS)
    sims = [args.sim] if args.sim else list(SIMULATORS)
    print(f"seed {args.seed}, {args.vectors} random vectors per unit")
    failed = mismatched = False
    for unit in units:
        for sim in sims:
            try:
                r = check(unit, sim, args.vectors, args.seed)
            except RtlError as exc:
                failed = True
                print(f"{unit:<12} {sim:<9} ERROR: {exc}")
                continue
            mismatched |= not r.ok
            print(f"{unit:<12} {sim:<9} {r.vectors:>8} vectors {r.mismatches:>6} mismatches "
                  f"({r.seconds:.1f} s)")
            if r.first_mismatch:
                print(f"    first mismatch: {r.first_mismatch}")
    return 2 if failed else (1 if mismatched else 0)


def cmd_synth(args) -> int:
    from rtl_models import synth

    out = args.out or synth.DEFAULT_RESULTS
    try:
        rows = synth.run(out)
    except OSError as exc:
        raise UserError(f"cannot write {out}: {exc.strerror}") from None
    print(synth.format_table(rows))
    print(f"wrote {out}")
    return 0
