"""A design point: one compute unit, its on-chip buffers, off-chip memory and energy table.

    >>> acc = load_accelerator("bitmod_fp16")
    >>> acc.unit.rows, acc.clock_hz
    (64, 1000000000.0)

YAML files carry ``schema_version: 1`` and are validated strictly (see :mod:`arch.config`);
the same object can be built in Python with the constructors.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .config import MAX_CLOCK_HZ, builtin_names, check, finite_positive, load_builtin
from .memory import Dram, Sram
from .tech import EnergyTable, merged_tables
from .units import BitSerialArray, MXTensorCore, SystolicArray
from .units.tensor_core import SmTensorCore
from .units.vector import VectorUnit

__all__ = ["ACCELERATORS", "Accelerator", "load_accelerator"]

_DATA = Path(__file__).parent / "data" / "accelerators"


@dataclass(frozen=True)
class Accelerator:
    """One design point. ``energy_tables`` are built-in table names or YAML paths, merged in
    order (a later table wins on a shared action)."""

    name: str
    clock_hz: float
    unit: SystolicArray | MXTensorCore | BitSerialArray | SmTensorCore
    weight_buffer: Sram
    input_buffer: Sram
    output_buffer: Sram
    dram: Dram
    energy_tables: tuple[str, ...] = ("horowitz_45nm",)
    source: str = ""
    schema_version: int = 1
    vector_unit: VectorUnit | None = None  # runs non-GEMM ops (norms, softmax, ...); None: none declared

    def __post_init__(self):
        check(self.schema_version == 1, "schema_version", f"must be 1, not {self.schema_version!r}")
        finite_positive(self.clock_hz, "clock_hz", MAX_CLOCK_HZ)
        check(len(self.energy_tables) > 0, "energy_tables", "must name at least one table")

    @property
    def energy(self) -> EnergyTable:
        return merged_tables(self.energy_tables)

    @property
    def price_aliases(self) -> dict[str, str]:
        """Component name -> the energy-table component that prices it (when they differ)."""
        levels = (self.weight_buffer, self.input_buffer, self.output_buffer, self.dram)
        return {m.name: m.price_as for m in levels if m.price_as and m.price_as != m.name}

    @property
    def area_parts_mm2(self) -> dict[str, float | None]:
        """Area of the compute unit and each on-chip buffer (not DRAM); None where no sourced or
        synthesized figure exists."""
        buffers = (self.weight_buffer, self.input_buffer, self.output_buffer)
        return {self.unit.component: self.unit.area_mm2, **{b.name: b.area_mm2 for b in buffers}}

    @property
    def area_mm2(self) -> float:
        """Sum of the parts that have an area; :attr:`area_missing` names those that do not."""
        return sum(a for a in self.area_parts_mm2.values() if a is not None)

    @property
    def area_missing(self) -> tuple[str, ...]:
        return tuple(name for name, a in self.area_parts_mm2.items() if a is None)

    @property
    def dram_bytes_per_cycle(self) -> float:
        return self.dram.bytes_per_cycle(self.clock_hz)


ACCELERATORS: tuple[str, ...] = builtin_names(_DATA)


def load_accelerator(name_or_path: str | Path) -> Accelerator:
    """A built-in design (see :data:`ACCELERATORS`) by name, or a user YAML file by path."""
    return load_builtin(Accelerator, name_or_path, _DATA, "accelerator")
