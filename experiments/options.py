"""Argument types of the command line: every option declares its bounds, and says them.

    >>> bounded_int(1, MAX_JOBS)("4")
    4
    >>> dask_address("tcp://127.0.0.1:8786")
    'tcp://127.0.0.1:8786'

Each type returns the parsed value or raises :class:`argparse.ArgumentTypeError` with one
line that states the allowed range and the value given; the parser prefixes the option
(``bitplane sweep: error: argument --jobs: must be from 1 to 256, not 0``), exit code 2.
The limits are resource limits (a run must fit in memory and start in reasonable time),
stated in ``--help`` through :func:`limits`.
"""

from __future__ import annotations

import argparse
import math
import re
from pathlib import Path

from arch.config import MAX_EDGE

from .spec import MAX_QSNR_ELEMENTS, MAX_SEED

__all__ = ["MAX_JOBS", "MAX_QSNR_ELEMENTS", "MAX_SEED", "MAX_TRIALS", "bounded_int", "out_file",
           "dask_address", "limits", "out_dir", "qsnr_shape"]

MAX_JOBS = 256  # worker processes or Dask workers
MAX_BATCH = MAX_EDGE
MAX_CONTEXT = 1 << 24
MAX_TRIALS = 100_000
MAX_POPULATION = 10_000
MAX_VECTORS = 100_000_000
_DASK = re.compile(r"^(?:local:(\d+)|tcp://[A-Za-z0-9.\-\[\]:]+:(\d+))$")


def limits(low: int, high: int) -> str:
    """The range as ``--help`` states it."""
    return f"{low:,} to {high:,}"


def bounded_int(low: int, high: int):
    """An argparse type: an integer in ``[low, high]``."""
    def parse(text: str) -> int:
        try:
            value = int(text, 10)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be an integer, not {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be from {limits(low, high)}, not {value}")
        return value
    parse.__name__ = "integer"
    return parse


def qsnr_shape(text: str) -> tuple[int, ...]:
    """``256x1024``: positive sizes whose product is at most :data:`MAX_QSNR_ELEMENTS`."""
    try:
        values = tuple(int(v, 10) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"shape must look like 256x1024, not {text!r}") from None
    if len(values) > 4 or min(values) <= 0:
        raise argparse.ArgumentTypeError(f"shape must have one to four positive sizes, not {text!r}")
    if math.prod(values) > MAX_QSNR_ELEMENTS:
        raise argparse.ArgumentTypeError(f"shape {text} has {math.prod(values):,} elements; at most "
                                         f"{MAX_QSNR_ELEMENTS:,} (64 MiB of float32)")
    return values


def _path(text: str) -> Path:
    if not text.strip():
        raise argparse.ArgumentTypeError(f"must name a path, not {text!r}")
    if "\x00" in text:
        raise argparse.ArgumentTypeError("must not contain a NUL character")
    return Path(text)


def out_dir(text: str) -> Path:
    """An output folder: not empty, not an existing file."""
    path = _path(text)
    if path.exists() and not path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a file, not a folder")
    return path


def out_file(text: str) -> Path:
    """A file to write (CSV, JSON): not empty, not an existing folder."""
    path = _path(text)
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a folder; give the name of a file")
    return path


def dask_address(text: str) -> str:
    """``local:N`` (1 to MAX_JOBS workers) or ``tcp://host:port``."""
    match = _DASK.match(text)
    workers, port = (match.groups() if match else (None, None))
    if match is None or (workers is not None and not 1 <= int(workers) <= MAX_JOBS) or (
            port is not None and not 1 <= int(port) <= 65535):
        raise argparse.ArgumentTypeError(f"must be local:N (N from {limits(1, MAX_JOBS)}) or "
                                         f"tcp://host:port, not {text!r}")
    return text
