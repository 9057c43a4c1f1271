"""Systolic arrays: ``rows x cols`` multiply-accumulate PEs with a stationary operand."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

from ..config import MAX_EDGE, check, finite_positive
from ..config import positive_int as check_positive_int

Dataflow = Literal["ws", "os", "is"]
DATAFLOWS: tuple[str, ...] = ("ws", "os", "is")


@dataclass(frozen=True)
class SystolicArray:
    """A ``rows x cols`` PE array; ``dataflow`` says which operand stays in the PEs.

    ``ws`` keeps weights (B[K, N]) stationary, ``is`` keeps inputs (A[M, K]) stationary and
    ``os`` keeps outputs (C[M, N]) stationary, as SCALE-Sim names them.

    >>> SystolicArray(rows=32, cols=32, dataflow="ws").pes
    1024
    """

    TYPE: ClassVar[str] = "systolic"
    rows: int
    cols: int
    dataflow: Dataflow = "ws"
    component: str = "pe"
    pe_area_um2: float | None = None  # one PE; None when no sourced figure exists

    def __post_init__(self):
        check_positive_int(self.rows, "rows", MAX_EDGE)
        check_positive_int(self.cols, "cols", MAX_EDGE)
        if self.pe_area_um2 is not None:
            finite_positive(self.pe_area_um2, "pe_area_um2")
        check(self.dataflow in DATAFLOWS, "dataflow",
              f"must be one of {', '.join(DATAFLOWS)}, not {self.dataflow!r}")

    @property
    def pes(self) -> int:
        return self.rows * self.cols

    @property
    def area_mm2(self) -> float | None:
        return None if self.pe_area_um2 is None else self.pes * self.pe_area_um2 / 1e6
