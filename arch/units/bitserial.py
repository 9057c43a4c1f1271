"""Bit-serial PE arrays in the style of BitMoD: weights enter a few bits per cycle."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

from ..config import check
from .systolic import DATAFLOWS, check_positive_int

WEIGHT_TYPES: tuple[str, ...] = ("int", "fp3", "fp3_er", "fp3_ea", "fp4", "fp4_er", "fp4_ea", "fp16")


@dataclass(frozen=True)
class BitSerialArray:
    """``rows x cols`` PEs; each takes ``dot_width`` weight-activation pairs per pass.

    With the ``dot`` dataflow (BitMoD's), rows run over output features and columns over
    tokens; each PE reduces ``dot_width`` input features per pass, with no fill or drain.

    A pass over one weight takes ``ceil(floor(weight_bits) / bits_per_cycle)`` cycles (the
    fractional bits of a storage width are amortized scale/type metadata, not serial
    digits); ``bits_per_cycle = 0`` means a bit-parallel PE that takes a whole weight every
    cycle (the FP16, ANT and OliVe baselines). Activations are ``activation_bits`` wide and
    enter in parallel; each group of ``group_size`` weights is dequantized once
    (``dequant_cycles_per_group`` extra cycles, overlapped when 0).

    >>> BitSerialArray(rows=64, cols=16, dot_width=4, bits_per_cycle=2).cycles_per_weight(3.0625)
    2
    """

    TYPE: ClassVar[str] = "bitserial"
    rows: int
    cols: int
    dot_width: int = 1
    bits_per_cycle: int = 2
    dataflow: str = "dot"
    weight_types: tuple[str, ...] = ("int",)
    activation_bits: int = 16
    group_size: int = 128
    dequant_cycles_per_group: int = 0
    component: str = "pe"
    pe_area_um2: float | None = None  # one PE; None when no sourced figure exists

    def __post_init__(self):
        for name in ("rows", "cols", "dot_width", "activation_bits", "group_size"):
            check_positive_int(getattr(self, name), name)
        for name in ("bits_per_cycle", "dequant_cycles_per_group"):
            value = getattr(self, name)
            check(isinstance(value, int) and value >= 0, name, f"must be an integer >= 0, not {value!r}")
        check(self.pe_area_um2 is None or self.pe_area_um2 > 0, "pe_area_um2",
              f"must be positive, not {self.pe_area_um2!r}")
        allowed = (*DATAFLOWS, "dot")
        check(self.dataflow in allowed, "dataflow",
              f"must be one of {', '.join(allowed)}, not {self.dataflow!r}")
        for kind in self.weight_types:
            check(kind in WEIGHT_TYPES, "weight_types",
                  f"must be drawn from {', '.join(WEIGHT_TYPES)}, not {kind!r}")

    @property
    def pes(self) -> int:
        return self.rows * self.cols

    @property
    def area_mm2(self) -> float | None:
        return None if self.pe_area_um2 is None else self.pes * self.pe_area_um2 / 1e6

    def cycles_per_weight(self, weight_bits: float) -> int:
        """Cycles one PE spends on one weight of ``weight_bits`` storage bits."""
        if self.bits_per_cycle == 0:
            return 1
        return max(1, math.ceil(math.floor(weight_bits) / self.bits_per_cycle))
