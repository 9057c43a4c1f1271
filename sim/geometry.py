"""How each hardware family presents itself to the mapping model (:mod:`sim.mapping`)."""

from __future__ import annotations

from dataclasses import dataclass

from arch.units import BitSerialArray, MXTensorCore, SystolicArray
from arch.units.tensor_core import SmTensorCore


@dataclass(frozen=True)
class Geometry:
    """A unit seen as a PE array running one op: see :func:`sim.mapping.compute_cycles`."""

    rows: int
    cols: int
    dataflow: str
    dot_width: int = 1
    cycles_per_step: int = 1
    pipeline_depth: int = 1
    overhead_per_fold: int = 0

    @property
    def peak_macs_per_cycle(self) -> float:
        return self.rows * self.cols * self.dot_width / self.cycles_per_step


def geometry(unit, b_format: str, b_bits: float, k: int = 0, a_format: str | None = None) -> Geometry:
    """The array geometry of ``unit`` for an op whose B operand is ``b_format`` (``b_bits``)
    and whose reduction is ``k`` long (for per-group costs). ``a_format`` is the A operand's
    format where the rate depends on both (MX tensor cores); None means "as B"."""
    if isinstance(unit, SystolicArray):
        return Geometry(unit.rows, unit.cols, unit.dataflow)
    if isinstance(unit, SmTensorCore):  # peak only: its cycles come from sim.tensor_core
        kind = unit.kind(b_format if a_format is None else a_format, b_format)
        return Geometry(unit.sms, 1, "dot", kind.macs_per_sm_cycle)
    if isinstance(unit, MXTensorCore):
        pairs = unit.pair_rate(a_format, b_format)
        if pairs != int(pairs):
            raise ValueError(f"{a_format or b_format} x {b_format} runs at {pairs} pairs per cycle; "
                             "must be a whole number")
        return Geometry(unit.rows, unit.cols, "dot", int(pairs), 1, unit.pipeline_depth)
    if isinstance(unit, BitSerialArray):
        dequant = -(-k // unit.group_size) * unit.dequant_cycles_per_group
        return Geometry(unit.rows, unit.cols, unit.dataflow, unit.dot_width,
                        unit.cycles_per_weight(b_bits), overhead_per_fold=dequant)
    raise TypeError(f"no cycle model for {type(unit).__name__}")
