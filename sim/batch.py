"""GEMM-level analytic model over many design points at once (numpy arrays, no Python loop).

    >>> from arch import load_accelerator
    >>> designs = designs_from_accelerators([load_accelerator("systolic_32x32_ws")] * 2, "fp16", 16)
    >>> evaluate_gemms(designs, Gemms.of([(256, 128, 256)])).compute_cycles[:, 0].tolist()
    [11199, 11199]

:class:`BatchDesigns` holds one array entry per design point: the array geometry that
:func:`sim.geometry.geometry` gives a unit for one weight format (rows, cols, dataflow code,
dot width, cycles per streamed step, pipeline depth, per-fold overhead), buffer sizes, DRAM
bytes per cycle, clock, and the energy per action that the design's table prices (per MAC,
per block scale, per PE-cycle, per bit of each memory level). :func:`evaluate_gemms`
evaluates every design on every GEMM shape of :class:`Gemms` with the same formulas as the
scalar :func:`sim.simulate_gemm` (it reuses :func:`sim.mapping.compute_cycles` and
:func:`sim.traffic.gemm_traffic`): results are ``(designs, gemms)`` arrays, equal to the
scalar model's cycles exactly and its energy to rounding (tests/equivalence).

Per-family compute energy is one formula: ``macs x mac_pj + blocks x block_scale_pj +
a_elements x quant_pj + pe_cycles x pe_cycle_pj`` with the coefficients a family does not
use set to 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields

import numpy as np

from arch import Accelerator
from arch.units import BitSerialArray, MXTensorCore, SmTensorCore
from numerics import SCHEMES

from .geometry import geometry
from .mapping import DATAFLOW_CODES, ceil_div, compute_cycles
from .traffic import gemm_traffic

__all__ = ["BatchDesigns", "BatchResult", "Gemms", "designs_from_accelerators", "evaluate_gemms"]


@dataclass(frozen=True)
class Gemms:
    """GEMM shapes ``out[m, n] = A[m, k] @ B[k, n]``, each run ``repeats`` times (1-D arrays)."""

    m: np.ndarray
    n: np.ndarray
    k: np.ndarray
    a_bits: np.ndarray
    b_bits: np.ndarray
    out_bits: np.ndarray
    repeats: np.ndarray
    a_dram_fraction: np.ndarray | float = 1.0  # of A's reads and the output's writes (sim.traffic)
    out_dram_fraction: np.ndarray | float = 1.0
    quantize_a: np.ndarray | float = 1.0  # 1 where an MX core charges its activation quantizer

    @classmethod
    def of(cls, shapes: Sequence[tuple], a_bits: float = 16, b_bits: float = 16,
           out_bits: float = 16) -> Gemms:
        """From ``(m, n, k)`` or ``(m, n, k, repeats)`` tuples with shared bit widths."""
        rows = [(*s, 1.0) if len(s) == 3 else s for s in shapes]
        m, n, k, rep = (np.array(c) for c in zip(*rows, strict=True))
        full = np.full(len(rows), 1.0)
        return cls(m.astype(np.int64), n.astype(np.int64), k.astype(np.int64), full * a_bits, full * b_bits,
                   full * out_bits, rep.astype(float))


@dataclass(frozen=True)
class BatchDesigns:
    """One entry per design point (1-D arrays of equal length); see the module docstring."""

    rows: np.ndarray
    cols: np.ndarray
    dataflow: np.ndarray
    dot_width: np.ndarray
    cycles_per_step: np.ndarray
    pipeline_depth: np.ndarray
    dequant_cycles_per_group: np.ndarray
    group_size: np.ndarray
    block_size: np.ndarray
    weight_buffer_bytes: np.ndarray
    input_buffer_bytes: np.ndarray
    dram_bytes_per_cycle: np.ndarray
    clock_hz: np.ndarray
    mac_pj: np.ndarray
    block_scale_pj: np.ndarray
    quant_pj: np.ndarray
    pe_cycle_pj: np.ndarray
    pes: np.ndarray
    dram_read_pj: np.ndarray
    dram_write_pj: np.ndarray
    weight_read_pj: np.ndarray
    weight_write_pj: np.ndarray
    input_read_pj: np.ndarray
    input_write_pj: np.ndarray
    output_read_pj: np.ndarray
    output_write_pj: np.ndarray

    def __len__(self) -> int:
        return len(self.rows)


@dataclass(frozen=True)
class BatchResult:
    """``(designs, gemms)`` arrays: cycles as int64 (totals over repeats), energy in pJ."""

    compute_cycles: np.ndarray
    memory_cycles: np.ndarray
    cycles: np.ndarray
    energy_pj: np.ndarray
    clock_hz: np.ndarray
    dram_bytes: np.ndarray | None = None
    # energy per part: "compute" (the unit), "scale" and "quant" (an MX core's block-scale path and
    # activation quantizer) and the memory levels "dram", "weight", "input", "output"
    energy_by_slot_pj: dict[str, np.ndarray] | None = None

    @property
    def latency_s(self) -> np.ndarray:
        """Seconds per design for all GEMMs run one after another."""
        return self.cycles.sum(axis=1) / self.clock_hz


def _compute_prices(acc: Accelerator, b_format: str) -> tuple[float, float, float, float, int]:
    """(per MAC, per block scale, per quantized element, per PE-cycle, block size)."""
    unit, table = acc.unit, acc.energy
    if isinstance(unit, BitSerialArray):
        return 0.0, 0.0, 0.0, table.energy_pj(f"{unit.component}.cycle"), 1
    if isinstance(unit, MXTensorCore) and b_format not in SCHEMES:  # FP16/BF16: no scales, no quantizer
        return table.energy_pj(f"{unit.component}.mac_{b_format}"), 0.0, 0.0, 0.0, 1
    if isinstance(unit, MXTensorCore):
        return (table.energy_pj(f"{unit.component}.mac_{b_format}"),
                table.energy_pj(f"{unit.scale_component}.block_{b_format}"),
                table.energy_pj(f"{unit.quant_component}.element_{b_format}"), 0.0,
                unit.block_size(b_format))
    return table.energy_pj(f"{unit.component}.mac"), 0.0, 0.0, 0.0, 1


def _design_row(acc: Accelerator, b_format: str, b_bits: float, a_format: str | None = None) -> dict:
    if isinstance(acc.unit, SmTensorCore):
        raise ValueError(f"{acc.name}: batch evaluation covers systolic, MX and bit-serial arrays; "
                         "GPU tensor cores (sm_tensor_core) run through sim.simulate_gemm")
    unit, geo = acc.unit, geometry(acc.unit, b_format, b_bits, 0, a_format)
    mac, block, quant, cycle, block_size = _compute_prices(acc, b_format)
    serial = isinstance(unit, BitSerialArray)
    levels = {"dram": acc.dram.name, "weight": acc.weight_buffer.name, "input": acc.input_buffer.name,
              "output": acc.output_buffer.name}
    aliases, table = acc.price_aliases, acc.energy
    prices = {f"{level}_{kind}_pj": table.energy_pj(f"{aliases.get(name, name)}.{kind}_bit")
              for level, name in levels.items() for kind in ("read", "write")}
    return {"rows": geo.rows, "cols": geo.cols, "dataflow": DATAFLOW_CODES[geo.dataflow],
            "dot_width": geo.dot_width, "cycles_per_step": geo.cycles_per_step,
            "pipeline_depth": geo.pipeline_depth,
            "dequant_cycles_per_group": unit.dequant_cycles_per_group if serial else 0,
            "group_size": unit.group_size if serial else 1, "block_size": block_size,
            "weight_buffer_bytes": acc.weight_buffer.size_bytes,
            "input_buffer_bytes": acc.input_buffer.size_bytes,
            "dram_bytes_per_cycle": acc.dram_bytes_per_cycle, "clock_hz": acc.clock_hz,
            "mac_pj": mac, "block_scale_pj": block, "quant_pj": quant, "pe_cycle_pj": cycle,
            "pes": unit.rows * unit.cols,
            **prices}


def designs_from_accelerators(accs: Sequence[Accelerator], b_format: str, b_bits: float,
                              a_format: str | None = None) -> BatchDesigns:
    """The arrays of ``accs`` running B operands in ``b_format`` of ``b_bits`` bits per element
    against A operands in ``a_format`` (None: as B; it sets an MX core's pair rate)."""
    rows = [_design_row(acc, b_format, b_bits, a_format) for acc in accs]
    return BatchDesigns(**{f.name: np.array([r[f.name] for r in rows]) for f in fields(BatchDesigns)})


def evaluate_gemms(d: BatchDesigns, g: Gemms) -> BatchResult:
    """Every design on every GEMM (the scalar :func:`sim.simulate_gemm` formulas, broadcast)."""
    col = lambda a: np.asarray(a)[:, None]  # noqa: E731 - designs along axis 0
    m, n, k = g.m[None, :], g.n[None, :], g.k[None, :]
    dequant = ceil_div(k, col(d.group_size)) * col(d.dequant_cycles_per_group)
    compute = compute_cycles(m, n, k, col(d.rows), col(d.cols), col(d.dataflow), col(d.dot_width),
                             col(d.cycles_per_step), col(d.pipeline_depth), dequant)
    t = gemm_traffic(m, n, k, g.a_bits[None, :], g.b_bits[None, :], g.out_bits[None, :], col(d.rows),
                     col(d.cols), col(d.dataflow), col(d.dot_width), col(d.weight_buffer_bytes),
                     col(d.input_buffer_bytes), np.asarray(g.a_dram_fraction, float)[None, ...],
                     np.asarray(g.out_dram_fraction, float)[None, ...])
    memory = np.ceil(t.dram_bytes / col(d.dram_bytes_per_cycle))
    macs = m.astype(float) * n * k
    blocks = np.where(col(d.block_scale_pj) > 0, m.astype(float) * n * ceil_div(k, col(d.block_size)), 0.0)
    memory_bits = {"dram": (t.dram_read_bits, t.dram_write_bits),
                   "weight": (t.weight_sram_read_bits, t.weight_sram_write_bits),
                   "input": (t.input_sram_read_bits, t.input_sram_write_bits),
                   "output": (t.output_sram_read_bits, t.output_sram_write_bits)}
    reps = g.repeats[None, :]
    slots = {"compute": (macs * col(d.mac_pj) + col(d.pes) * compute * col(d.pe_cycle_pj)) * reps,
             "scale": blocks * col(d.block_scale_pj) * reps,
             "quant": m.astype(float) * k * col(d.quant_pj) * np.asarray(g.quantize_a, float) * reps}
    for level, (read, write) in memory_bits.items():
        slots[level] = (read * col(getattr(d, f"{level}_read_pj"))
                        + write * col(getattr(d, f"{level}_write_pj"))) * reps
    energy = sum(slots.values())
    dram_bytes = np.broadcast_to(t.dram_bytes * reps, energy.shape)
    return BatchResult(np.round(compute * reps).astype(np.int64), np.round(memory * reps).astype(np.int64),
                       np.round(np.maximum(compute, memory) * reps).astype(np.int64), energy,
                       np.asarray(d.clock_hz, float), dram_bytes, slots)
