"""Analytic fidelity: closed-form cycles, traffic, action counts and energy per op.

    >>> from arch import SystolicArray
    >>> simulate_gemm(256, 128, 256, SystolicArray(rows=32, cols=32, dataflow="ws")).compute_cycles
    11199

A bare unit gives compute cycles only; an :class:`arch.Accelerator` adds memory traffic,
bandwidth-bound cycles (an op takes ``max(compute, memory)``: perfect double buffering)
and energy from its table. A GPU-like :class:`arch.units.SmTensorCore` maps the GEMM onto
SMs in tiles and waves (:mod:`sim.tensor_core`); whole-layer workloads' vector ops run on
the design's vector unit (:mod:`sim.vector`).
"""

from __future__ import annotations

import math

from arch import Accelerator
from arch.units import BitSerialArray, MXTensorCore, SmTensorCore
from arch.workloads import Op, VectorOp, Workload
from numerics import SCHEMES

from .energy import energy_by_component
from .geometry import Geometry, geometry
from .gpu_kernel import time_gemm
from .mapping import ceil_div, compute_cycles
from .result import OpResult, WorkloadResult
from .tensor_core import TilePlan, Tiling, plan_gemm
from .traffic import Traffic, gemm_traffic
from .vector import simulate_vector_op

__all__ = ["compute_actions", "memory_actions", "op_a_format", "op_format", "simulate_gemm",
           "simulate_workload"]


def compute_actions(unit, geo: Geometry, m: int, n: int, k: int, cycles: int, b_format: str,
                    quantize_a: bool = True) -> dict:
    """Action counts of the compute unit for one GEMM that kept it busy ``cycles`` cycles;
    ``quantize_a``: an MX core quantizes the A operand to ``b_format`` on the fly."""
    if isinstance(unit, BitSerialArray):
        return {f"{unit.component}.cycle": float(unit.pes * cycles)}
    macs = float(m) * n * k
    if isinstance(unit, MXTensorCore):
        if b_format not in SCHEMES:  # FP16/BF16: no block scales, nothing quantized
            return {f"{unit.component}.mac_{b_format}": macs}
        # per output and block: the two block scales applied; per A element: quantized on the fly
        # (unless the workload quantizes activations in ops of its own: whole-layer scope)
        blocks = float(m) * n * ceil_div(k, unit.block_size(b_format))
        actions = {f"{unit.component}.mac_{b_format}": macs,
                   f"{unit.scale_component}.block_{b_format}": blocks}
        if quantize_a:
            actions[f"{unit.quant_component}.element_{b_format}"] = float(m) * k
        return actions
    return {f"{unit.component}.mac": macs}


def memory_actions(acc: Accelerator, traffic: Traffic) -> dict:
    """Action counts of the buffers and DRAM (bits read and written)."""
    w, i, o, d = acc.weight_buffer.name, acc.input_buffer.name, acc.output_buffer.name, acc.dram.name
    counts = {
        f"{d}.read_bit": traffic.dram_read_bits, f"{d}.write_bit": traffic.dram_write_bits,
        f"{w}.read_bit": traffic.weight_sram_read_bits, f"{w}.write_bit": traffic.weight_sram_write_bits,
        f"{i}.read_bit": traffic.input_sram_read_bits, f"{i}.write_bit": traffic.input_sram_write_bits,
        f"{o}.read_bit": traffic.output_sram_read_bits, f"{o}.write_bit": traffic.output_sram_write_bits,
    }
    return {key: float(v) for key, v in counts.items()}


def _scaled(actions: dict, factor: float) -> dict:
    return {key: value * factor for key, value in actions.items()}


def sm_actions(unit: SmTensorCore, plan: TilePlan, m: int, n: int, k: int, a_format: str,
               b_format: str) -> dict:
    """MACs the tensor cores issue (padded tiles included) and block-scale steps by scale type."""
    kind = unit.kind(a_format, b_format)
    actions = {f"{unit.component}.mac_{kind.name}": plan.issued_macs}
    if kind.scale is not None:
        actions[f"{unit.component}.block_scale_{kind.scale}"] = float(m) * n * ceil_div(k, kind.block_size)
    return actions


def _sm_traffic(target: Accelerator, plan: TilePlan, m, n, k, a_bits, b_bits, out_bits, fractions) -> Traffic:
    return gemm_traffic(m, n, k, a_bits, b_bits, out_bits, *plan.out_tile, "os", 1,
                        target.weight_buffer.size_bytes, target.input_buffer.size_bytes, *fractions)


def _sm_kernel(m, n, k, target: Accelerator, unit: SmTensorCore, a_format, b_format, a_bits, b_bits, out_bits,
               fractions, batch, promote_k, tile):
    """(plan, compute cycles, memory cycles, cycles, utilization, mapping) of one GEMM of a batch
    timed as a whole kernel (:mod:`sim.gpu_kernel`)."""
    def dram_s(plan: TilePlan) -> float:
        traffic = _sm_traffic(target, plan, m, n, k, a_bits, b_bits, out_bits, fractions)
        return batch * traffic.dram_bytes / target.dram_bytes_per_cycle / target.clock_hz

    t = time_gemm(m, n, k, unit, a_format, b_format, a_bits, b_bits, out_bits, target.clock_hz, dram_s,
                  batch, promote_k, target.dram_bytes_per_cycle * target.clock_hz, tile)
    clock = target.clock_hz / batch  # cycles of one GEMM of the batch
    cycles = t.total_s * clock
    peak = unit.macs_per_cycle(a_format, b_format)
    # Launch and fill delay both the SMs' work and the memory traffic: each side carries them, so
    # cycles = max(compute, memory) here and in the event-driven engine alike.
    return (t.plan, (t.fixed_s + t.sm_s) * clock, (t.fixed_s + max(t.dram_s, t.l2_s)) * clock, cycles,
            float(m) * n * k / (peak * cycles), f"{t.label} ({t.bound}-bound)")


def _sm_gemm(m, n, k, target, unit: SmTensorCore, a_format, b_format, a_bits, b_bits, out_bits, name,
             repeats, fractions, concurrent, promote_k=None, tile=None) -> OpResult:
    batch = max(1, min(math.ceil(round(concurrent, 9)), math.ceil(repeats)))
    if isinstance(target, Accelerator) and unit.timing is not None:
        plan, compute, memory, cycles, utilization, mapping = _sm_kernel(
            m, n, k, target, unit, a_format, b_format, a_bits, b_bits, out_bits, fractions, batch, promote_k,
            tile)
    else:
        plan = plan_gemm(m, n, k, unit, a_format, b_format, a_bits, b_bits, batch, tile)
        compute, utilization, mapping = plan.compute_cycles / batch, plan.utilization, plan.label
    macs, actions = float(m) * n * k, _scaled(sm_actions(unit, plan, m, n, k, a_format, b_format), 1 / batch)
    if not isinstance(target, Accelerator):
        return OpResult(name, round(compute * repeats), 0, round(compute * repeats), macs * repeats,
                        utilization, 0.0, repeats, _scaled(actions, repeats), {}, mapping)
    traffic = _sm_traffic(target, plan, m, n, k, a_bits, b_bits, out_bits, fractions)
    if unit.timing is None:
        memory = math.ceil(traffic.dram_bytes / target.dram_bytes_per_cycle)
        cycles = max(compute, memory)
    actions = _scaled(actions | memory_actions(target, traffic), repeats)
    energy = energy_by_component(actions, target.energy, target.price_aliases)
    return OpResult(name, round(compute * repeats), round(memory * repeats), round(cycles * repeats),
                    macs * repeats, utilization, traffic.dram_bytes * repeats, repeats, actions, energy,
                    mapping)


def simulate_gemm(m: int, n: int, k: int, target, *, a_bits: float = 16, b_bits: float = 16,
                  out_bits: float = 16, b_format: str = "fp16", name: str = "gemm",
                  repeats: float = 1.0, a_format: str | None = None, a_dram_fraction: float = 1.0,
                  out_dram_fraction: float = 1.0, concurrent: float = 1.0,
                  quantize_a: bool = True, promote_k: int | None = None,
                  tile: Tiling | None = None) -> OpResult:
    """``out[m, n] = A[m, k] @ B[k, n]`` on a unit or an accelerator, run ``repeats`` times.

    ``a_format`` is the A operand's format where the unit's rate depends on the pair (MX and
    GPU tensor cores); None means the same as ``b_format``. The DRAM fractions say how much
    of A's reads and the output's writes leave the chip (see :mod:`sim.traffic`).
    ``concurrent`` of the repeats are independent GEMMs that may share a GPU's SMs (heads,
    experts); other units run repeats one after another. ``quantize_a``: an MX core charges its
    activation quantizer per A element (False where the workload has quantize ops of its own).
    ``promote_k``: on a GPU whose MMA kind applies no block scales, the K elements between the
    kernel's CUDA-core promotions of partial sums (DeepGEMM's FP8 GEMMs: 128); None for none.
    ``tile``: on a GPU, the tiling a kernel library launches (None: the fastest feasible one).
    """
    unit = target.unit if isinstance(target, Accelerator) else target
    if isinstance(unit, SmTensorCore):
        return _sm_gemm(m, n, k, target, unit, a_format or b_format, b_format, a_bits, b_bits, out_bits,
                        name, repeats, (a_dram_fraction, out_dram_fraction), concurrent, promote_k, tile)
    geo = geometry(unit, b_format, b_bits, k, a_format)
    compute = compute_cycles(m, n, k, geo.rows, geo.cols, geo.dataflow, geo.dot_width,
                             geo.cycles_per_step, geo.pipeline_depth, geo.overhead_per_fold)
    macs = float(m) * n * k
    utilization = macs / (geo.peak_macs_per_cycle * max(compute, 1))
    actions = compute_actions(unit, geo, m, n, k, compute, b_format, quantize_a)
    if not isinstance(target, Accelerator):
        return OpResult(name, round(compute * repeats), 0, round(compute * repeats), macs * repeats,
                        utilization, 0.0, repeats, _scaled(actions, repeats), {})
    traffic = gemm_traffic(m, n, k, a_bits, b_bits, out_bits, geo.rows, geo.cols, geo.dataflow,
                           geo.dot_width, target.weight_buffer.size_bytes, target.input_buffer.size_bytes,
                           a_dram_fraction, out_dram_fraction)
    memory = math.ceil(traffic.dram_bytes / target.dram_bytes_per_cycle)
    actions = _scaled(actions | memory_actions(target, traffic), repeats)
    energy = energy_by_component(actions, target.energy, target.price_aliases)
    return OpResult(name, round(compute * repeats), round(memory * repeats),
                    round(max(compute, memory) * repeats), macs * repeats, utilization,
                    traffic.dram_bytes * repeats, repeats, actions, energy)


def op_format(workload: Workload, op: Op) -> str:
    """The format of an op's B operand: the weight format, or the KV-cache format."""
    return workload.weight_format if op.b_is_weight else workload.kv_format


def op_a_format(workload: Workload, op: Op) -> str:
    """The format of an op's A operand: activations for linear ops; for attention the KV-cache
    format (the kernel casts queries and probabilities to it, as FP8 FlashAttention does)."""
    return workload.activation_format if op.b_is_weight else workload.kv_format


def simulate_op(op: Op | VectorOp, workload: Workload, acc: Accelerator) -> OpResult:
    if isinstance(op, VectorOp):
        return simulate_vector_op(op, acc)
    return simulate_gemm(op.m, op.n, op.k, acc, a_bits=op.a_bits, b_bits=op.b_bits, out_bits=op.out_bits,
                         b_format=op_format(workload, op), name=op.name, repeats=op.repeats,
                         a_format=op_a_format(workload, op), a_dram_fraction=op.a_dram_fraction,
                         out_dram_fraction=op.out_dram_fraction, concurrent=op.instances,
                         quantize_a=_quantizes_a(workload, op))


def _quantizes_a(workload: Workload, op: Op) -> bool:
    """Whether the GEMM charges the A operand's quantization: always at GEMM scope; at layer
    scope only where no quantize op of the workload produced A in a block format."""
    return workload.scope == "gemm" or op_a_format(workload, op) not in SCHEMES


def simulate_workload(workload: Workload, acc: Accelerator) -> WorkloadResult:
    """Every op of ``workload`` on ``acc``, analytically; ops run one after another."""
    ops = tuple(simulate_op(op, workload, acc) for op in workload.ops)
    return WorkloadResult(acc.name, workload.model, workload.phase, workload.batch, workload.context,
                          acc.clock_hz, "analytic", ops, sum(op.cycles for op in ops))
