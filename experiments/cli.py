"""The ``bitplane`` command line.

User mistakes (unknown scheme, bad size, unwritable path) end with one line on stderr
and exit code 2; never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

from arch.config import ConfigError

from . import tables
from .errors import UserError

# Each module adds its subcommands with ``register(subparsers)``; kept apart so that a
# family of commands (RTL, reproductions, sweeps) lives next to the code it drives.
COMMAND_MODULES: tuple[str, ...] = (
    "experiments.cmd_simulate", "experiments.cmd_reproduce", "experiments.cmd_sweep",
    "experiments.cmd_rtl", "experiments.cmd_phys",
)


def _positive_ints(text: str) -> tuple[int, ...]:
    try:
        values = tuple(int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"shape must look like 256x1024, not {text!r}") from None
    if not values or min(values) <= 0:
        raise argparse.ArgumentTypeError(f"shape must have positive sizes, not {text!r}")
    return values


def _write_csv(frame, path: Path | None) -> None:
    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        frame.to_csv(path, index=False)
    except OSError as exc:
        raise UserError(f"cannot write {path}: {exc.strerror}") from None
    print(f"wrote {path}")


def cmd_formats(args) -> None:
    frame = tables.formats_table()
    print(frame.to_string(index=False))
    _write_csv(frame, args.csv)


def cmd_qsnr(args) -> None:
    try:
        frame = tables.qsnr_table(args.schemes, args.distributions, args.shape, args.seed)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    print(f"QSNR in dB (shape {'x'.join(map(str, args.shape))}, seed {args.seed}; "
          "blocks along the last axis)")
    print(tables.qsnr_pivot(frame).to_string())
    _write_csv(frame, args.out)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bitplane", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("formats", help="table of every element format")
    p.add_argument("--csv", type=Path, help="also write the table to this CSV file")
    p.set_defaults(func=cmd_formats)
    p = sub.add_parser("qsnr", help="QSNR of block schemes on seeded test tensors")
    p.add_argument("--schemes", nargs="+", default=list(tables.DEFAULT_QSNR_SCHEMES))
    p.add_argument("--distributions", nargs="+", default=list(tables.DEFAULT_DISTRIBUTIONS))
    p.add_argument("--shape", type=_positive_ints, default=(256, 1024), help="e.g. 256x1024")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", type=Path, default=Path("bitplane-results/qsnr.csv"),
                   help="CSV path (default: bitplane-results/qsnr.csv)")
    p.set_defaults(func=cmd_qsnr)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code = args.func(args)
    except (UserError, ConfigError) as exc:
        print(f"bitplane {args.command}: error: {exc}", file=sys.stderr)
        return 2
    return code or 0


if __name__ == "__main__":
    sys.exit(main())
