"""``simulate(design, workload)``: the one entry point, for a design of any family.

    >>> from arch import load_design
    >>> from arch.workloads import expand
    >>> workload = expand("opt-1.3b", "decode", context=128)
    >>> [simulate(load_design(d), workload).design for d in ("systolic_32x32_ws", "duplex", "lutllm_v80")]
    ['systolic_32x32_ws', 'duplex', 'lutllm_v80']

Every family consumes the same expanded ops (:func:`arch.workloads.expand`) and returns a
:class:`sim.WorkloadResult`; one evaluator per family (:data:`EVALUATORS`):

- accelerators (systolic, MX tensor core, bit-serial): :func:`sim.simulate_workload`, or
  :func:`sim.events.simulate_workload_events` at ``fidelity="event"``;
- HBM + Logic-PIM/xPU systems: :func:`sim.pim.simulate_workload_pim` on one device (each op
  placed by the roofline rule, attention and experts co-processed as the serving loop's
  iterations are; cycles are nanoseconds);
- FPGA LUT accelerators: :func:`sim.lut.simulate_lut`, LM head included (the LUT-LLM
  reproduction leaves it out, as the paper's latency does).

The design's support for the workload's formats is checked first (:mod:`arch.support`): an
unsupported combination is a ``ValueError`` naming it.
"""

from __future__ import annotations

from dataclasses import dataclass

from arch import Accelerator, HbmDevice
from arch.design import Design, family_of
from arch.support import check_supported
from arch.units import LutAccelerator, SmTensorCore
from arch.workloads import Workload, format_bits

from .analytic import simulate_workload
from .events import simulate_workload_events
from .geometry import geometry
from .lut import simulate_lut
from .pim import System, simulate_workload_pim
from .result import WorkloadResult

__all__ = ["FIDELITIES", "DesignFacts", "design_facts", "simulate"]

FIDELITIES: tuple[str, ...] = ("analytic", "event")


def _accelerator(design: Accelerator, workload: Workload, fidelity: str) -> WorkloadResult:
    run = simulate_workload_events if fidelity == "event" else simulate_workload
    return run(workload, design)


def _pim(design: HbmDevice, workload: Workload, fidelity: str) -> WorkloadResult:
    return simulate_workload_pim(workload, System(design))


def _lut(design: LutAccelerator, workload: Workload, fidelity: str) -> WorkloadResult:
    return simulate_lut(workload, design, include_lm_head=True)


EVALUATORS = {Accelerator: _accelerator, HbmDevice: _pim, LutAccelerator: _lut}


def simulate(design: Design, workload: Workload, fidelity: str = "analytic") -> WorkloadResult:
    """Every op of ``workload`` on ``design`` at ``fidelity`` (``analytic`` or ``event``).

    Raises ``ValueError`` for formats or a scope the design cannot run (:mod:`arch.support`),
    or a fidelity its family lacks
    (the event-driven level covers accelerators; PIM serving runs :func:`sim.simulate_serving`).
    """
    if fidelity not in FIDELITIES:
        raise ValueError(f"fidelity must be one of {', '.join(FIDELITIES)}, not {fidelity!r}")
    check_supported(design, workload)  # formats, and the scope the family prices
    if fidelity == "event" and not isinstance(design, Accelerator):
        raise ValueError(f"event fidelity covers accelerator designs; {design.name} is {family_of(design)} "
                         "(use sim.simulate_serving for continuous batching on a PIM system)")
    return EVALUATORS[type(design)](design, workload, fidelity)


@dataclass(frozen=True)
class DesignFacts:
    """What a report shows of a design beside its results. ``unit_rows``/``unit_cols`` are
    the PE array of an accelerator (None otherwise); ``memory_bandwidth_bytes_per_s`` is the
    off-chip bandwidth its compute sees (DRAM; the HBM stacks' external bandwidth; the FPGA's
    off-chip memory); ``area_mm2`` is None unless every part has a sourced area (accelerators)."""

    unit_rows: int | None
    unit_cols: int | None
    clock_hz: float
    peak_macs_per_s: float
    memory_bandwidth_bytes_per_s: float
    area_mm2: float | None


def design_facts(design: Design, weight_format: str) -> DesignFacts:
    """:class:`DesignFacts` of ``design`` running weights in ``weight_format``.

    Peak MACs: an accelerator's array for that format; an HBM system's xPU plus PIM units at
    peak (a MAC is two FLOPs); a LUT design's lookups, each standing for one activation
    vector's ``act_vector_len`` MACs."""
    if isinstance(design, Accelerator) and isinstance(design.unit, SmTensorCore):
        peak = design.unit.macs_per_cycle(weight_format, weight_format)  # both operands in that format
        return DesignFacts(None, None, design.clock_hz, peak * design.clock_hz,
                           design.dram.bandwidth_bytes_per_s, design.area_mm2)
    if isinstance(design, Accelerator):
        peak = geometry(design.unit, weight_format, format_bits(weight_format)).peak_macs_per_cycle
        return DesignFacts(design.unit.rows, design.unit.cols, design.clock_hz, peak * design.clock_hz,
                           design.dram.bandwidth_bytes_per_s, design.area_mm2)
    if isinstance(design, HbmDevice):
        return DesignFacts(None, None, 1e9, (design.xpu.peak_flops + design.pim_flops) / 2,
                           design.external_bandwidth_bytes_per_s, None)
    u = design.unit
    peak = design.units * u.lookups_per_cycle * u.act_vector_len * design.clock_hz
    return DesignFacts(None, None, design.clock_hz, peak, design.fpga.offchip_bandwidth_bytes_per_s, None)
