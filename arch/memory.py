"""Memory levels: on-chip SRAM buffers and off-chip DRAM/HBM with a bandwidth.

Energies are not stored here: a level is a component whose actions (``read_bit``,
``write_bit``) the energy table prices under the level's ``name``.
"""

from __future__ import annotations

from dataclasses import dataclass

from .config import (
    MAX_BANDWIDTH_BYTES_PER_S,
    MAX_BYTES,
    MAX_SRAM_BYTES,
    finite_positive,
    fraction,
    positive_int,
)


@dataclass(frozen=True)
class Sram:
    """An on-chip buffer of ``size_bytes``; ``name`` is its component in the energy table.

    >>> Sram("weight_sram", size_bytes=512 * 1024).size_bits
    4194304
    """

    name: str
    size_bytes: int
    width_bits: int = 64
    banks: int = 1
    price_as: str | None = None  # energy-table component that prices it (default: name)
    area_mm2: float | None = None  # from a memory compiler or CACTI; None when unknown

    def __post_init__(self):
        if self.area_mm2 is not None:
            finite_positive(self.area_mm2, "area_mm2")
        positive_int(self.size_bytes, "size_bytes", MAX_SRAM_BYTES)
        for field in ("width_bits", "banks"):
            positive_int(getattr(self, field), field)

    @property
    def size_bits(self) -> int:
        return 8 * self.size_bytes


@dataclass(frozen=True)
class Dram:
    """Off-chip memory: a sustained bandwidth and a name for its energy-table entries.

    >>> Dram(bandwidth_bytes_per_s=32e9).bytes_per_cycle(1e9)
    32.0
    """

    name: str = "dram"
    bandwidth_bytes_per_s: float = 32e9
    capacity_bytes: int | None = None
    price_as: str | None = None  # energy-table component that prices it (default: name)
    efficiency: float = 1.0  # sustained fraction of the peak bandwidth (sourced in the design file)

    def __post_init__(self):
        finite_positive(self.bandwidth_bytes_per_s, "bandwidth_bytes_per_s", MAX_BANDWIDTH_BYTES_PER_S)
        fraction(self.efficiency, "efficiency")
        if self.capacity_bytes is not None:
            finite_positive(self.capacity_bytes, "capacity_bytes", MAX_BYTES)

    def bytes_per_cycle(self, clock_hz: float) -> float:
        """Sustained bytes per cycle: peak bandwidth x ``efficiency`` / clock."""
        return self.bandwidth_bytes_per_s * self.efficiency / clock_hz
