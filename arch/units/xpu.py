"""An xPU (a GPU-like processor for high-Op/B work) and the link that joins two devices.

    >>> gpu = Xpu(name="h100", peak_flops=989e12, compute_efficiency=0.8, memory_efficiency=0.85)
    >>> round(gpu.effective_flops / 1e12, 1)
    791.2
    >>> Link(name="nvlink4", bandwidth_bytes_per_s=450e9, energy_pj_per_bit=1.3).bytes_per_s_per_direction
    450000000000.0

The xPU's memory is not described here: its bandwidth and capacity come from the HBM
stacks of the device it sits in (:class:`arch.hbm.HbmDevice`), so a GPU and a Duplex device
built on the same stacks see the same external bandwidth. Energies are not stored here
either: the xPU emits ``xpu_alu.mac``, ``xpu_l2.byte``, ``xpu_l1.byte`` and ``xpu_reg.byte``
actions (tile traffic as AttAcc's simulator counts it) that an energy table prices.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..config import finite_non_negative
from ..config import finite_positive as _positive
from ..config import fraction as _fraction
from .systolic import check_positive_int

__all__ = ["Link", "Xpu"]



@dataclass(frozen=True)
class Xpu:
    """A processor with ``peak_flops`` dense FP16 FLOP/s (a MAC is two FLOPs).

    ``compute_efficiency`` and ``memory_efficiency`` are the fractions of peak compute and
    of the device's external HBM bandwidth that GEMMs sustain (AttAcc's simulator uses 0.8
    and 0.85 for H100). ``static_power_w`` is drawn whenever the device is powered, busy or
    not (charged per second of a run; 0 when no figure is given). ``l1_tile`` and
    ``l2_tile`` are the output-tile edges (elements) of the two on-chip tiling levels whose
    re-reads the energy model counts.
    """

    name: str
    peak_flops: float
    compute_efficiency: float = 1.0
    memory_efficiency: float = 1.0
    l2_tile: int = 128
    l1_tile: int = 16
    static_power_w: float = 0.0
    source: str = ""

    def __post_init__(self):
        _positive(self.peak_flops, "peak_flops")
        finite_non_negative(self.static_power_w, "static_power_w")
        _fraction(self.compute_efficiency, "compute_efficiency")
        _fraction(self.memory_efficiency, "memory_efficiency")
        check_positive_int(self.l2_tile, "l2_tile")
        check_positive_int(self.l1_tile, "l1_tile")

    @property
    def effective_flops(self) -> float:
        """FLOP/s a GEMM sustains: ``peak_flops x compute_efficiency``."""
        return self.peak_flops * self.compute_efficiency


@dataclass(frozen=True)
class Link:
    """A point-to-point link between two devices (NVLink-like), priced per bit moved.

    ``bandwidth_bytes_per_s`` is per direction; ``energy_pj_per_bit`` is what one bit costs
    end to end (both PHYs). The simulator emits ``link.bit`` actions; this figure is kept
    here so that a link described in a device file carries its own price and source.
    """

    name: str
    bandwidth_bytes_per_s: float
    energy_pj_per_bit: float
    source: str = ""

    def __post_init__(self):
        _positive(self.bandwidth_bytes_per_s, "bandwidth_bytes_per_s")
        finite_non_negative(self.energy_pj_per_bit, "energy_pj_per_bit")

    @property
    def bytes_per_s_per_direction(self) -> float:
        return float(self.bandwidth_bytes_per_s)

    def allreduce_s(self, payload_bytes: float, devices: int) -> float:
        """Ring all-reduce of ``payload_bytes`` over ``devices``: 2 (d - 1) / d of it per link."""
        if devices <= 1:
            return 0.0
        return 2.0 * (devices - 1) / devices * payload_bytes / self.bandwidth_bytes_per_s

    @staticmethod
    def allreduce_bytes(payload_bytes: float, devices: int) -> float:
        """Bytes that cross links in that ring all-reduce, summed over all devices."""
        return 2.0 * (devices - 1) * payload_bytes if devices > 1 else 0.0
