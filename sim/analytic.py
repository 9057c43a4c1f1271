"""Analytic fidelity: closed-form cycles, traffic, action counts and energy per op.

    >>> from arch import SystolicArray
    >>> simulate_gemm(256, 128, 256, SystolicArray(rows=32, cols=32, dataflow="ws")).compute_cycles
    11199

A bare unit gives compute cycles only; an :class:`arch.Accelerator` adds memory traffic,
bandwidth-bound cycles (an op takes ``max(compute, memory)``: perfect double buffering)
and energy from its table.
"""

from __future__ import annotations

import math

from arch import Accelerator
from arch.units import BitSerialArray, MXTensorCore
from arch.workloads import Op, Workload

from .energy import energy_by_component
from .geometry import Geometry, geometry
from .mapping import ceil_div, compute_cycles
from .result import OpResult, WorkloadResult
from .traffic import Traffic, gemm_traffic

__all__ = ["compute_actions", "memory_actions", "op_format", "simulate_gemm", "simulate_workload"]


def compute_actions(unit, geo: Geometry, m: int, n: int, k: int, cycles: int, b_format: str) -> dict:
    """Action counts of the compute unit for one GEMM that kept it busy ``cycles`` cycles."""
    if isinstance(unit, BitSerialArray):
        return {f"{unit.component}.cycle": float(unit.pes * cycles)}
    macs = float(m) * n * k
    if isinstance(unit, MXTensorCore):
        # per output and block: the two block scales applied; per A element: quantized on the fly
        blocks = float(m) * n * ceil_div(k, unit.block_size(b_format))
        return {f"{unit.component}.mac_{b_format}": macs,
                f"{unit.scale_component}.block_{b_format}": blocks,
                f"{unit.quant_component}.element_{b_format}": float(m) * k}
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


def simulate_gemm(m: int, n: int, k: int, target, *, a_bits: float = 16, b_bits: float = 16,
                  out_bits: float = 16, b_format: str = "fp16", name: str = "gemm",
                  repeats: float = 1.0) -> OpResult:
    """``out[m, n] = A[m, k] @ B[k, n]`` on a unit or an accelerator, run ``repeats`` times."""
    unit = target.unit if isinstance(target, Accelerator) else target
    geo = geometry(unit, b_format, b_bits, k)
    compute = compute_cycles(m, n, k, geo.rows, geo.cols, geo.dataflow, geo.dot_width,
                             geo.cycles_per_step, geo.pipeline_depth, geo.overhead_per_fold)
    macs = float(m) * n * k
    utilization = macs / (geo.peak_macs_per_cycle * max(compute, 1))
    actions = compute_actions(unit, geo, m, n, k, compute, b_format)
    if not isinstance(target, Accelerator):
        return OpResult(name, round(compute * repeats), 0, round(compute * repeats), macs * repeats,
                        utilization, 0.0, repeats, _scaled(actions, repeats), {})
    traffic = gemm_traffic(m, n, k, a_bits, b_bits, out_bits, geo.rows, geo.cols, geo.dataflow,
                           geo.dot_width, target.weight_buffer.size_bytes, target.input_buffer.size_bytes)
    memory = math.ceil(traffic.dram_bytes / target.dram_bytes_per_cycle)
    actions = _scaled(actions | memory_actions(target, traffic), repeats)
    energy = energy_by_component(actions, target.energy, target.price_aliases)
    return OpResult(name, round(compute * repeats), round(memory * repeats),
                    round(max(compute, memory) * repeats), macs * repeats, utilization,
                    traffic.dram_bytes * repeats, repeats, actions, energy)


def op_format(workload: Workload, op: Op) -> str:
    """The format of an op's B operand: the weight format, or the KV-cache format."""
    return workload.weight_format if op.b_is_weight else workload.kv_format


def simulate_op(op: Op, workload: Workload, acc: Accelerator) -> OpResult:
    return simulate_gemm(op.m, op.n, op.k, acc, a_bits=op.a_bits, b_bits=op.b_bits, out_bits=op.out_bits,
                         b_format=op_format(workload, op), name=op.name, repeats=op.repeats)


def simulate_workload(workload: Workload, acc: Accelerator) -> WorkloadResult:
    """Every op of ``workload`` on ``acc``, analytically; ops run one after another."""
    ops = tuple(simulate_op(op, workload, acc) for op in workload.ops)
    return WorkloadResult(acc.name, workload.model, workload.phase, workload.batch, workload.context,
                          acc.clock_hz, "analytic", ops, sum(op.cycles for op in ops))
