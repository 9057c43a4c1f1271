"""``bitplane calibrate``: area, timing and energy of the RTL units on standard cells.

    bitplane calibrate                                   # built-in SKY130 results and table
    bitplane calibrate --units elem_mul lmul --force     # redo some units
    bitplane calibrate --liberty my.lib --cell-models cells.v --out calib/
    bitplane calibrate --units ivf_dot --multipliers booth   # Booth-mapped rows beside the array ones

Without --liberty it (re)writes rtl_models/synth/sky130.json and
arch/data/tech/sky130_calibrated.yaml; rows whose sources are unchanged are kept. With
--liberty the results and table go to --out DIR. Exit 2 (one line) on a missing or
malformed Liberty file, an unknown unit or design point, or a clock a unit cannot meet.
"""

from __future__ import annotations

from pathlib import Path

from .errors import UserError

BUILTIN_TABLE = Path(__file__).resolve().parent.parent / "arch" / "data" / "tech" / "sky130_calibrated.yaml"


def register(subparsers) -> None:
    p = subparsers.add_parser("calibrate", help="map the RTL units onto a Liberty library: area, "
                              "fmax, gate-level pJ/op, and the energy table the simulator reads")
    p.add_argument("--liberty", type=Path, help="Liberty file, plain or .gz (default: SKY130 hd, tt)")
    p.add_argument("--cell-models", type=Path, action="append",
                   help="Verilog models of the library's cells, for the gate-level simulation "
                        "of units with flip-flops (repeatable; default with SKY130: its models; "
                        "without: no energy for those units; combinational units are simulated "
                        "from the Liberty cell functions)")
    p.add_argument("--units", nargs="+", help="only these units (default: every unit)")
    p.add_argument("--point", action="append", help="only this design point (repeatable)")
    p.add_argument("--clock-mhz", type=float, help="simulate at this clock (every unit must meet "
                   "it; default: each unit's fmax rounded down to 10 MHz)")
    p.add_argument("--cycles", type=int, default=200, help="operand vectors per distribution")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--distributions", nargs="+", default=None,
                   help="numerics.test_tensor distributions (default: gaussian student_t3 outliers)")
    p.add_argument("--node-nm", type=int, help="process node of the table entries (default: "
                   "from the library name, e.g. sky130 -> 130)")
    p.add_argument("--out", type=Path, help="directory for the results and the table "
                   "(required with --liberty)")
    p.add_argument("--multipliers", choices=("array", "booth"), default="array",
                   help="how synthesis maps every multiplier of the units: array (Yosys's "
                        "default) or booth (radix-4 Booth encoding, Wallace-style reduction, "
                        "as commercial flows do); the rows record it and a results file holds "
                        "both (default: array)")
    p.add_argument("--force", action="store_true", help="recalibrate unchanged rows too")
    p.add_argument("--table-only", action="store_true",
                   help="only rewrite the energy table from the existing results file")
    p.set_defaults(func=cmd_calibrate)


def _points(args):
    from rtl_models.power_operands import OPERANDS
    from rtl_models.synth import DESIGN_POINTS

    units = sorted({p.unit for p in DESIGN_POINTS})
    names = [p.name for p in DESIGN_POINTS]
    for u in args.units or ():
        if u not in units:
            raise UserError(f"unknown unit {u!r}; known units: {', '.join(units)}")
    for n in args.point or ():
        if n not in names:
            raise UserError(f"unknown design point {n!r}; known: {', '.join(names)}")
    return [p for p in DESIGN_POINTS if p.unit in OPERANDS
            and (not args.units or p.unit in args.units) and (not args.point or p.name in args.point)]


def _check(args) -> None:
    if args.cycles <= 0:
        raise UserError(f"--cycles must be a positive integer, not {args.cycles}")
    if args.clock_mhz is not None and not args.clock_mhz > 0:
        raise UserError(f"--clock-mhz must be positive, not {args.clock_mhz:g}")
    if args.liberty is not None and args.out is None:
        raise UserError("--out DIR is required with --liberty (the built-in files are SKY130's)")


def _targets(args, lib) -> tuple[Path, Path]:
    from rtl_models import physical

    if args.out is None:
        return physical.DEFAULT_RESULTS, BUILTIN_TABLE
    stem = "sky130" if args.liberty is None else lib.name
    return args.out / f"{stem}.json", args.out / f"{stem}_calibrated.yaml"


def cmd_calibrate(args) -> int:
    from rtl_models import physical

    from .calibration import node_nm, write_table

    _check(args)
    points = _points(args)
    try:
        lib = physical.read_liberty(args.liberty or physical.SKY130_LIBERTY)
    except physical.LibertyError as exc:
        raise UserError(str(exc)) from None
    for m in args.cell_models or ():
        if not m.is_file():
            raise UserError(f"{m}: no such cell-model file")
    results_path, table_path = _targets(args, lib)
    if not args.table_only:
        _calibrate(args, lib, points, results_path)
    try:
        results = physical.load(results_path) | {"results_file": results_path.name}
    except (OSError, ValueError) as exc:
        raise UserError(f"cannot read {results_path}: {exc}") from None
    node = args.node_nm or node_nm(lib.name)
    if not node:
        raise UserError(f"cannot tell the process node from {lib.name!r}: pass --node-nm")
    write_table(results, table_path, table_path.stem, node_override=node)
    print(f"wrote {table_path} from {results_path}")
    return 0


def _calibrate(args, lib, points, results_path) -> None:
    from rtl_models import physical
    from rtl_models.physical._gatesim import SKY130_CELL_MODELS

    models = tuple(args.cell_models or (SKY130_CELL_MODELS if args.liberty is None else ()))
    options = {"cycles": args.cycles, "seed": args.seed, "clock_mhz": args.clock_mhz,
               "cell_models": models,
               "distributions": tuple(args.distributions or physical.DEFAULT_DISTRIBUTIONS)}
    _validate_distributions(options["distributions"])
    try:
        results_path.parent.mkdir(parents=True, exist_ok=True)
        physical.run(results_path, points, lib.source, args.force, _progress,
                     multipliers=args.multipliers, **options)
    except physical.PhysicalError as exc:
        raise UserError(str(exc)) from None


def _validate_distributions(names) -> None:
    from numerics import DISTRIBUTIONS

    for d in names:
        if d.partition("+")[0] not in DISTRIBUTIONS:
            raise UserError(f"unknown distribution {d!r}; known: {', '.join(sorted(DISTRIBUTIONS))}")


def _progress(row: dict, reused: bool) -> None:
    from rtl_models import physical

    energy = row.get("energy_pj_per_op") or {}
    shown = " ".join(f"{d} {e:.4g}" for d, e in energy.items()) or "no energy (no cell models)"
    if len(energy) > 1:  # how much the data distribution moves the figure
        shown += f" (spread {100 * (max(energy.values()) / min(energy.values()) - 1):.0f}%)"
    name = physical.row_key(row["name"], physical.multipliers_of(row))
    print(f"{name:<26} {row['area_um2']:>11.1f} um^2 {row['fmax_mhz']:>8.1f} MHz  "
          f"pJ/{row.get('op', 'op')}: {shown}" + ("  (unchanged, kept)" if reused else
                                                   f"  ({row['seconds']:.0f} s)"), flush=True)
