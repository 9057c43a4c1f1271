"""A Liberty file as the physical flow needs it: unpacked, named, and its cells' areas and pins.

    >>> lib = read_liberty(SKY130_LIBERTY)                  # doctest: +SKIP
    >>> lib.cells["sky130_fd_sc_hd__inv_1"].area_um2        # doctest: +SKIP
    3.7536

Only what the flow reads itself is parsed (library name, nominal voltage, units, each cell's
area, leakage and pin directions and capacitances); timing and power tables are left to the
timing tool. A gzipped file is unpacked once into a cache directory keyed by its content.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

# The SkyWater SKY130 hd files (Liberty, cell and primitive models; Apache-2.0, from the
# SkyWater open PDK) are not shipped with bitplane: point BITPLANE_SKY130_DIR at a folder
# holding them (gzipped or not), or pass --liberty/--cell-models.
SKY130_DIR = Path(os.environ.get("BITPLANE_SKY130_DIR", "sky130_fd_sc_hd"))
SKY130_LIBERTY = SKY130_DIR / "sky130_fd_sc_hd__tt_025C_1v80.lib.gz"


class LibertyError(ValueError):
    """A Liberty file that is missing or cannot be read (one line naming the file)."""


@dataclass(frozen=True)
class Pin:
    name: str
    direction: str
    capacitance_pf: float
    function: str = ""  # an output's Boolean function of the cell's input pins, as written


@dataclass(frozen=True)
class Cell:
    name: str
    area_um2: float
    leakage_nw: float
    pins: tuple[Pin, ...]
    sequential: bool = False  # has an ff or latch group

    @property
    def outputs(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.pins if p.direction == "output")

    def pin(self, name: str) -> Pin:
        return next(p for p in self.pins if p.name == name)


@dataclass(frozen=True)
class Liberty:
    """One parsed Liberty library; ``path`` is the unpacked file the tools read."""

    name: str
    source: Path
    path: Path
    sha256: str
    nom_voltage_v: float
    time_unit: str
    leakage_unit: str
    cells: dict[str, Cell]

    @property
    def corner(self) -> str:
        """The operating corner as the library names it (e.g. tt_025C_1v80)."""
        m = re.search(r"(ff|ss|tt|fs|sf)_\w+$", self.name)
        return m.group(0) if m else self.name


_CACHE: dict[Path, Liberty] = {}


def cache_dir() -> Path:
    return Path(os.environ.get("BITPLANE_PHYS_CACHE", Path(tempfile.gettempdir()) / "bitplane-phys"))


def _unpack(source: Path) -> tuple[Path, str]:
    try:
        raw = source.read_bytes()
    except OSError as exc:
        raise LibertyError(f"{source}: cannot read Liberty file ({exc.strerror}); pass --liberty PATH "
                           "or set BITPLANE_SKY130_DIR to the folder of the SKY130 hd files") from None
    digest = hashlib.sha256(raw).hexdigest()
    if source.suffix != ".gz":
        return source, digest
    out = cache_dir() / f"{digest[:16]}-{source.stem}"
    if not out.exists():
        try:
            text = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise LibertyError(f"{source}: not a gzip file ({exc})") from None
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_suffix(".tmp")
        tmp.write_bytes(text)
        os.replace(tmp, out)
    return out, digest


_GROUP = re.compile(r'^\s*(\w+)\s*\(\s*"?([^",)]*)"?[^)]*\)\s*\{')
_ATTR = re.compile(r'^\s*(\w+)\s*:\s*"?([^";]*)"?\s*;')


def _parse(text: str, source: Path) -> dict:
    """Library header attributes and cells, by one pass over the lines with a group stack."""
    lib: dict = {"cells": {}}
    stack: list[tuple[str, str]] = []
    cell = pin = None
    for line in text.splitlines():
        g = _GROUP.match(line)
        if g:
            stack.append((g.group(1), g.group(2)))
            if g.group(1) == "library" and len(stack) == 1:
                lib["name"] = g.group(2)
            elif g.group(1) == "cell" and len(stack) == 2:
                cell = lib["cells"][g.group(2)] = {"pins": {}, "area": None, "leak": 0.0, "seq": False}
            elif g.group(1) in ("ff", "latch") and cell is not None and len(stack) == 3:
                cell["seq"] = True
            elif g.group(1) == "pin" and cell is not None and len(stack) == 3:
                pin = cell["pins"][g.group(2)] = {"direction": None, "cap": 0.0, "function": ""}
        else:
            a = _ATTR.match(line)
            if a:
                _attribute(lib, cell, pin, len(stack), a.group(1), a.group(2))
        stack.extend([("", "")] * (line.count("{") - (1 if g else 0)))
        for _ in range(line.count("}")):
            if not stack:
                raise LibertyError(f"{source}: not a Liberty file (unbalanced braces)")
            kind, _name = stack.pop()
            if kind == "cell":
                cell = None
            elif kind == "pin":
                pin = None
    if stack or "name" not in lib or not lib["cells"]:
        raise LibertyError(f"{source}: not a Liberty file (no library group with cells)")
    return lib


def _attribute(lib, cell, pin, depth, key, value):
    if depth == 1 and key in ("nom_voltage", "time_unit", "leakage_power_unit"):
        lib[key] = value
    elif cell is not None and depth == 2 and key == "area":
        cell["area"] = float(value)
    elif cell is not None and depth == 2 and key == "cell_leakage_power":
        cell["leak"] = float(value)
    elif pin is not None and depth == 3 and key == "direction":
        pin["direction"] = value
    elif pin is not None and depth == 3 and key == "capacitance":
        pin["cap"] = float(value)
    elif pin is not None and depth == 3 and key == "function":
        pin["function"] = value.strip()


def read_liberty(source: str | Path) -> Liberty:
    """The Liberty library at ``source`` (plain or .gz), parsed once per process."""
    source = Path(source)
    if source in _CACHE:
        return _CACHE[source]
    path, digest = _unpack(source)
    try:
        lib = _parse(path.read_text(errors="replace"), source)
        cells = {name: Cell(name, c["area"] or 0.0, c["leak"],
                            tuple(Pin(n, p["direction"], p["cap"], p["function"])
                                  for n, p in c["pins"].items()),
                            c["seq"])
                 for name, c in lib["cells"].items()}
        result = Liberty(lib["name"], source, path, digest, float(lib.get("nom_voltage", "nan")),
                         lib.get("time_unit", "?"), lib.get("leakage_power_unit", "?"), cells)
    except ValueError as exc:
        if isinstance(exc, LibertyError):
            raise
        raise LibertyError(f"{source}: not a Liberty file ({exc})") from None
    _CACHE[source] = result
    return result
