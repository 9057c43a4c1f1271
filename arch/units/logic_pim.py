"""Processing-in-memory units of an HBM stack: on the logic die (Duplex's Logic-PIM), or on
the DRAM dies next to each bank group (BG-PIM) or each bank (Bank-PIM).

    >>> logic = PimUnit(name="logic_pim", location="logic_die", units=32, macs_per_unit=512,
    ...                 clock_hz=650e6)
    >>> round(logic.peak_flops / 1e12, 2)
    21.3

One parameterized description serves all three: where the units sit (``location``) fixes
which HBM path segments a byte crosses on its way from the cells to them and which it
crosses between them and the xPU (:meth:`arch.hbm.HbmStack.path`), and so how much
bandwidth they see (:meth:`arch.hbm.HbmStack.bandwidth_at`). Counts are per stack.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ..config import MAX_CLOCK_HZ, check, finite_positive
from ..config import finite_non_negative as _non_negative
from .systolic import check_positive_int

__all__ = ["PIM_LOCATIONS", "PimLocation", "PimUnit"]

PimLocation = Literal["logic_die", "bank_group", "bank"]
PIM_LOCATIONS: tuple[str, ...] = ("logic_die", "bank_group", "bank")



@dataclass(frozen=True)
class PimUnit:
    """``units`` processing units per stack, each ``macs_per_unit`` FP16 MACs at ``clock_hz``.

    ``buffer_bytes_per_unit`` is each unit's operand buffer; ``area_mm2`` the units' area and
    ``die_area_mm2`` the die they sit on (0 when not known), for the area share a report shows.
    ``static_power_w`` is the units' leakage per stack, charged per second of a run.
    """

    name: str
    location: PimLocation
    units: int
    macs_per_unit: int
    clock_hz: float
    buffer_bytes_per_unit: int = 0
    area_mm2: float = 0.0
    die_area_mm2: float = 0.0
    static_power_w: float = 0.0
    source: str = ""

    def __post_init__(self):
        check(self.location in PIM_LOCATIONS, "location",
              f"must be one of {', '.join(PIM_LOCATIONS)}, not {self.location!r}")
        check_positive_int(self.units, "units")
        check_positive_int(self.macs_per_unit, "macs_per_unit")
        finite_positive(self.clock_hz, "clock_hz", MAX_CLOCK_HZ)
        _non_negative(self.buffer_bytes_per_unit, "buffer_bytes_per_unit")
        _non_negative(self.area_mm2, "area_mm2")
        _non_negative(self.die_area_mm2, "die_area_mm2")
        _non_negative(self.static_power_w, "static_power_w")
        check(self.die_area_mm2 == 0 or self.area_mm2 <= self.die_area_mm2, "area_mm2",
              f"must fit on the die ({self.die_area_mm2} mm^2), not {self.area_mm2!r}")

    @property
    def macs_per_cycle(self) -> int:
        return self.units * self.macs_per_unit

    @property
    def peak_flops(self) -> float:
        """FLOP/s of one stack's units (a MAC is two FLOPs)."""
        return 2.0 * self.macs_per_cycle * self.clock_hz

    @property
    def area_share(self) -> float:
        """Fraction of the die the units take (0 when the die area is not given)."""
        return self.area_mm2 / self.die_area_mm2 if self.die_area_mm2 else 0.0
