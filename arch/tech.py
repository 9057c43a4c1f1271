"""Technology tables: energy per action, each number with its source and technology node.

Example::

    >>> table = load_energy_table("horowitz_45nm")
    >>> table.energy_pj("fp16_mult.op")
    1.1
    >>> round(table.scaled_to(7).energy_pj("fp16_mult.op"), 4)
    0.1035

Actions are named ``component.action`` (``dram.read_bit``, ``pe.cycle``); the simulator
emits counts of them and :mod:`sim.energy` prices the counts with a table, so the cycle
model never multiplies picojoules (Accelergy keeps them apart the same way).

Node scaling (:meth:`EnergyTable.scaled_to`) is the first-order CMOS rule for dynamic
energy, E = C V^2 with switched capacitance proportional to the feature size:
``E(node) = E(ref) * (node / ref) * (vdd(node) / vdd(ref))^2``. The target supply is the
nominal one of :data:`NOMINAL_VDD_V`; the reference supply is the one the entry was measured
at (``vdd_v``, e.g. 1.8 V for SKY130's tt_025C_1v80 corner) and the node's nominal supply
when the entry does not say. It is an estimate (it ignores wire-dominated scaling
below 16 nm), and a scaled table says so in every entry's source.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field, replace
from pathlib import Path

from .config import builtin_names, check, load_builtin

__all__ = ["NOMINAL_VDD_V", "TABLES", "EnergyEntry", "EnergyTable", "load_energy_table", "merged_tables",
           "scale_energy"]

_DATA = Path(__file__).parent / "data" / "tech"

# Nominal core supply per node (volts), used only by the scaling rule. 45 nm 0.9 V is
# Horowitz's operating point; the others are typical foundry nominal voltages as listed
# in Stillmaker & Baas, "Scaling equations for the accurate prediction of CMOS device
# performance from 180 nm to 7 nm", Integration 58 (2017), Table 2.
NOMINAL_VDD_V: dict[int, float] = {
    180: 1.8, 130: 1.3, 90: 1.2, 65: 1.1, 45: 0.9, 32: 0.9, 28: 0.9, 22: 0.8, 20: 0.8,
    16: 0.75, 14: 0.75, 10: 0.7, 7: 0.7, 5: 0.7,
}


def scale_energy(energy_pj: float, from_node_nm: int, to_node_nm: int,
                 from_vdd_v: float | None = None) -> float:
    """Dynamic energy moved between nodes by E ~ L V^2 (see the module docstring);
    ``from_vdd_v``: the supply it was measured at (default: the node's nominal one)."""
    for node in (from_node_nm, to_node_nm):
        check(node in NOMINAL_VDD_V, "node_nm",
              f"must be one of {', '.join(map(str, sorted(NOMINAL_VDD_V)))}, not {node!r}")
    ratio_v = NOMINAL_VDD_V[to_node_nm] / (from_vdd_v or NOMINAL_VDD_V[from_node_nm])
    return energy_pj * (to_node_nm / from_node_nm) * ratio_v**2


@dataclass(frozen=True)
class EnergyEntry:
    """Energy of one action in picojoules, where that number comes from, and its node.

    ``fmax_mhz``: for an entry measured on a timed unit, the unit's highest clock; a design
    clocked faster cannot run that unit in one cycle (see :func:`sim.energy.timing_flags`).
    ``vdd_v``: the supply it was measured at, where that is not the node's nominal one."""

    energy_pj: float
    source: str
    node_nm: int
    fmax_mhz: float | None = None  # highest clock of the unit it was measured on, if timed
    vdd_v: float | None = None  # supply of the measurement (None: NOMINAL_VDD_V[node_nm])

    def __post_init__(self):
        check(self.energy_pj >= 0, "energy_pj", f"must be >= 0, not {self.energy_pj!r}")
        check(self.fmax_mhz is None or self.fmax_mhz > 0, "fmax_mhz",
              f"must be positive, not {self.fmax_mhz!r}")
        check(self.vdd_v is None or 0 < self.vdd_v <= 5, "vdd_v",
              f"must be a supply in volts in (0, 5], not {self.vdd_v!r}")
        check(bool(self.source.strip()), "source", "must cite where the number comes from")
        check(self.node_nm in NOMINAL_VDD_V, "node_nm",
              f"must be one of {', '.join(map(str, sorted(NOMINAL_VDD_V)))}, not {self.node_nm!r}")


@dataclass(frozen=True)
class EnergyTable:
    """A named set of :class:`EnergyEntry` keyed by ``component.action``."""

    name: str
    entries: dict[str, EnergyEntry] = field(default_factory=dict)
    schema_version: int = 1
    node_nm: int | None = None  # the node most entries are at (informative)
    vdd_v: float | None = None

    def __post_init__(self):
        check(self.schema_version == 1, "schema_version", f"must be 1, not {self.schema_version!r}")
        for key in self.entries:
            check(key.count(".") == 1, f"entries.{key}", "keys must look like component.action")

    def energy_pj(self, action: str) -> float:
        """Energy of one ``component.action``; KeyError names the actions this table has."""
        try:
            return self.entries[action].energy_pj
        except KeyError:
            raise KeyError(f"energy table {self.name!r} has no entry {action!r}; "
                           f"it has: {', '.join(sorted(self.entries))}") from None

    def merged(self, other: EnergyTable) -> EnergyTable:
        """This table with ``other``'s entries added (``other`` wins on a shared key)."""
        return EnergyTable(f"{self.name}+{other.name}", {**self.entries, **other.entries})

    def scaled_to(self, node_nm: int) -> EnergyTable:
        """Every entry moved to ``node_nm`` by :func:`scale_energy`; sources say so."""
        def move(e: EnergyEntry) -> EnergyEntry:
            value = scale_energy(e.energy_pj, e.node_nm, node_nm, e.vdd_v)
            was = f"{e.node_nm}" + (f" nm at {e.vdd_v:g} V" if e.vdd_v else "")
            return replace(e, energy_pj=value, node_nm=node_nm, vdd_v=None,
                           source=f"{e.source}; scaled {was} -> {node_nm} nm by E ~ L V^2")
        return EnergyTable(f"{self.name}@{node_nm}nm", {k: move(e) for k, e in self.entries.items()})


TABLES: tuple[str, ...] = builtin_names(_DATA)


@functools.lru_cache(maxsize=256)
def load_energy_table(name_or_path: str | Path) -> EnergyTable:
    """A built-in table by name (see :data:`TABLES`) or a user YAML file by path.

    Cached per name or path for the life of the process: a table is immutable data, and a
    sweep builds thousands of designs that share a few tables."""
    return load_builtin(EnergyTable, name_or_path, _DATA, "energy table")


@functools.lru_cache(maxsize=256)
def merged_tables(names: tuple[str, ...]) -> EnergyTable:
    """The tables ``names`` merged in order (a later one wins on a shared action), cached."""
    tables = [load_energy_table(name) for name in names]
    return functools.reduce(EnergyTable.merged, tables)
