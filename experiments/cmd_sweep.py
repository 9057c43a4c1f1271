"""``bitplane sweep``, ``bitplane search`` and ``bitplane report``: design-space exploration.

    bitplane sweep                              (the built-in default sweep -> ./bitplane-results/)
    bitplane sweep SPEC.yaml --out DIR [--jobs N | --dask local:2 | --dask tcp://host:8786]
    bitplane sweep SPEC.yaml --check            (validate the spec, count its points, run nothing)
    bitplane search SPEC.yaml --trials 200 --out DIR
    bitplane report DIR

A sweep or search writes ``DIR/results.sqlite`` (the crash-safe store; a rerun resumes it),
``DIR/results.parquet`` and ``.csv`` (one row per design point x workload, ``point_id``
first; the CSV for sweeps of up to 100,000 points: convert a bigger one with
``pandas.read_parquet(...).to_csv(...)`` if you must), ``DIR/ops.parquet``,
``DIR/pareto.csv``, ``DIR/metadata.json`` and, unless ``--no-report``, ``DIR/report.html``,
``DIR/summary.md`` and ``DIR/plots/*.png|svg``.
"""

from __future__ import annotations

import time
from importlib import resources
from pathlib import Path

from . import options
from .report import build_report
from .spec import load_spec

DEFAULT_SPEC = "default.yaml"
DEFAULT_OUT = Path("bitplane-results")


def default_spec_path() -> Path:
    """The packaged default sweep (experiments/specs/default.yaml)."""
    return Path(str(resources.files("experiments") / "specs" / DEFAULT_SPEC))


def _spec(args):
    path = args.spec or default_spec_path()
    return path, load_spec(path)


def _finish(args, outcome, started: float) -> int:
    verb = "search" if args.command == "search" else "sweep"
    print(f"{verb}: {outcome.points} points ({outcome.evaluated} evaluated now, {outcome.failed} failed, "
          f"{outcome.skipped} skipped as unsupported) in {time.perf_counter() - started:.1f} s")
    paths = list(outcome.paths)
    if not args.no_report:
        paths += build_report(outcome.out_dir)
    for path in paths:
        if path.suffix != ".svg":
            print(f"wrote {path}")
    return 0


def cmd_sweep(args) -> int:
    from .points import iter_points
    from .sweep import run_sweep
    started = time.perf_counter()
    path, spec = _spec(args)
    if args.check:  # streams: counts points without holding them
        skipped = [0]
        count = sum(1 for _ in iter_points(spec, skipped))
        print(f"{path}: valid; {count} design points x workloads ({skipped[0]} skipped as unsupported)")
        return 0
    outcome = run_sweep(spec, args.out, jobs=args.jobs, dask=args.dask, quiet=args.quiet)
    return _finish(args, outcome, started)


def cmd_search(args) -> int:
    from .search import run_search
    started = time.perf_counter()
    _, spec = _spec(args)
    outcome = run_search(spec, args.out, args.trials, population=args.population, jobs=args.jobs,
                         dask=args.dask, quiet=args.quiet)
    return _finish(args, outcome, started)


def cmd_report(args) -> int:
    for path in build_report(args.dir):
        if path.suffix != ".svg":
            print(f"wrote {path}")
    return 0


def _common(p) -> None:
    p.add_argument("--out", type=options.out_dir, default=DEFAULT_OUT,
                   help="output folder (default: bitplane-results)")
    p.add_argument("--jobs", type=options.bounded_int(1, options.MAX_JOBS),
                   help=f"local worker processes ({options.limits(1, options.MAX_JOBS)}; "
                   "default: one per core; 1 = in-process)")
    p.add_argument("--dask", metavar="ADDRESS", type=options.dask_address,
                   help="run on Dask: local:N (a LocalCluster of N workers) or tcp://host:8786")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--no-report", action="store_true", help="skip the HTML report and plots")


def register(sub) -> None:
    p = sub.add_parser("sweep", help="evaluate every design point of a sweep spec (default: built-in)")
    p.add_argument("spec", nargs="?", type=Path, help="sweep spec YAML (default: the built-in default sweep)")
    p.add_argument("--check", action="store_true", help="validate the spec and count its points only")
    _common(p)
    p.set_defaults(func=cmd_sweep)
    p = sub.add_parser("search", help="NSGA-II multi-objective search over a sweep spec")
    p.add_argument("spec", type=Path, help="sweep spec YAML")
    p.add_argument("--trials", type=options.bounded_int(1, options.MAX_TRIALS), default=100,
                   help=f"number of trials ({options.limits(1, options.MAX_TRIALS)}; default 100)")
    p.add_argument("--population", type=options.bounded_int(2, options.MAX_POPULATION),
                   help=f"NSGA-II population per generation ({options.limits(2, options.MAX_POPULATION)})")
    _common(p)
    p.set_defaults(func=cmd_search)
    p = sub.add_parser("report", help="HTML report and markdown summary of a sweep folder")
    p.add_argument("dir", type=options.out_dir, nargs="?", default=DEFAULT_OUT, help="sweep output folder")
    p.set_defaults(func=cmd_report)
