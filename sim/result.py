"""Result types shared by both fidelity levels: one op on a unit, and a whole workload."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

__all__ = ["OpResult", "WorkloadResult"]


@dataclass(frozen=True)
class OpResult:
    """One GEMM-shaped op, run ``repeats`` times; cycle and byte fields are totals over repeats.

    ``compute_cycles`` is the array's busy time (SCALE-Sim's convention for systolic
    arrays), ``memory_cycles`` the off-chip transfer time at the DRAM bandwidth, and
    ``cycles`` the op's latency: ``max(compute, memory)`` analytically (perfect double
    buffering) or what the event-driven engine measured.
    """

    name: str
    compute_cycles: int
    memory_cycles: int
    cycles: int
    macs: float
    utilization: float
    dram_bytes: float
    repeats: float = 1.0
    actions: dict[str, float] = field(default_factory=dict)
    energy_pj: dict[str, float] = field(default_factory=dict)
    mapping: str = ""  # how the op ran (tensor-core kind, tile, waves; vector unit), when known

    @property
    def bound(self) -> str:
        return "memory" if self.memory_cycles > self.compute_cycles else "compute"

    @property
    def total_energy_pj(self) -> float:
        return sum(self.energy_pj.values())


@dataclass(frozen=True)
class WorkloadResult:
    """All ops of one workload on one design point, at one fidelity level."""

    design: str
    model: str
    phase: str
    batch: int
    context: int
    clock_hz: float
    fidelity: str
    ops: tuple[OpResult, ...]
    cycles: int  # end-to-end (the event-driven level may overlap ops)

    @property
    def latency_s(self) -> float:
        return self.cycles / self.clock_hz

    @property
    def energy_pj(self) -> dict[str, float]:
        total: dict[str, float] = {}
        for op in self.ops:
            for component, value in op.energy_pj.items():
                total[component] = total.get(component, 0.0) + value
        return total

    @property
    def total_energy_pj(self) -> float:
        return sum(self.energy_pj.values())

    @property
    def macs(self) -> float:
        return sum(op.macs for op in self.ops)

    def to_frame(self) -> pd.DataFrame:
        """One tidy row per op, with the energy of each component in ``energy_<c>_pj`` columns."""
        rows = []
        for op in self.ops:
            row = {"design": self.design, "model": self.model, "phase": self.phase, "batch": self.batch,
                   "context": self.context, "fidelity": self.fidelity, "op": op.name,
                   "repeats": op.repeats, "compute_cycles": op.compute_cycles,
                   "memory_cycles": op.memory_cycles, "cycles": op.cycles, "bound": op.bound,
                   "macs": op.macs, "utilization": op.utilization, "dram_bytes": op.dram_bytes,
                   "energy_pj": op.total_energy_pj, "mapping": op.mapping}
            row.update({f"energy_{c}_pj": v for c, v in op.energy_pj.items()})
            rows.append(row)
        return pd.DataFrame(rows)
