"""The ``bitplane`` command line.

User mistakes (unknown scheme, bad size, unwritable path, a malformed option) end with one
line on stderr and exit code 2; never a traceback. Ctrl-C ends with one line and exit code
130 (a sweep says how many points are stored and how to resume).
"""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata
import sys
from pathlib import Path

from arch.config import ConfigError

from . import options, tables
from .errors import Interrupted, UserError
from .store import write_csv

# Each module adds its subcommands with ``register(subparsers)``; kept apart so that a
# family of commands (RTL, reproductions, sweeps) lives next to the code it drives.
COMMAND_MODULES: tuple[str, ...] = (
    "experiments.cmd_simulate", "experiments.cmd_reproduce", "experiments.cmd_sweep",
    "experiments.cmd_rtl", "experiments.cmd_phys",
)


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose mistakes are one line (no usage block) and exit code 2."""

    def error(self, message: str):
        raise _UsageError(f"{self.prog}: error: {message} (see {self.prog} --help)")


class _UsageError(UserError):
    """A command-line mistake found by the parser; its text is the whole line."""


def _version() -> str:
    try:
        return importlib.metadata.version("bitplane")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"




def cmd_formats(args) -> None:
    frame = tables.formats_table()
    print("element formats")
    print(frame.to_string(index=False))
    print("\nblock schemes (bits per element include the shared scales; see bitplane qsnr)")
    print(tables.schemes_table().to_string(index=False))
    write_csv(frame, args.csv)


def cmd_qsnr(args) -> None:
    try:
        frame = tables.qsnr_table(args.schemes, args.distributions, args.shape, args.seed)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    print(f"QSNR in dB (shape {'x'.join(map(str, args.shape))}, seed {args.seed}; "
          "blocks along the last axis)")
    print(tables.qsnr_pivot(frame).to_string())
    write_csv(frame, args.out)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="bitplane", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"bitplane {_version()}")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("formats", help="tables of every element format and every block scheme")
    p.add_argument("--csv", type=options.out_file, help="also write the element formats to this CSV file")
    p.set_defaults(func=cmd_formats)
    p = sub.add_parser("qsnr", help="QSNR of block schemes on seeded test tensors")
    p.add_argument("--schemes", nargs="+", default=list(tables.DEFAULT_QSNR_SCHEMES))
    p.add_argument("--distributions", nargs="+", default=list(tables.DEFAULT_DISTRIBUTIONS))
    p.add_argument("--shape", type=options.qsnr_shape, default=(256, 1024),
                   help=f"e.g. 256x1024 (at most {options.MAX_QSNR_ELEMENTS:,} elements)")
    p.add_argument("--seed", type=options.bounded_int(0, options.MAX_SEED), default=0,
                   help=f"({options.limits(0, options.MAX_SEED)})")
    p.add_argument("--out", type=options.out_file, default=Path("bitplane-results/qsnr.csv"),
                   help="CSV file (default: bitplane-results/qsnr.csv)")
    p.set_defaults(func=cmd_qsnr)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def _one_line(text: object) -> str:
    return " ".join(str(text).split())


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except _UsageError as exc:
        print(_one_line(exc), file=sys.stderr)
        return 2
    except SystemExit as exc:  # --help and --version print to stdout and exit 0
        return exc.code if isinstance(exc.code, int) else 0
    try:
        code = args.func(args)
    except Interrupted as exc:
        print(f"bitplane {args.command}: interrupted: {_one_line(exc)}", file=sys.stderr)
        return 130
    except KeyboardInterrupt:
        print(f"bitplane {args.command}: interrupted", file=sys.stderr)
        return 130
    except (UserError, ConfigError) as exc:
        print(f"bitplane {args.command}: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    return code or 0


if __name__ == "__main__":
    sys.exit(main())
