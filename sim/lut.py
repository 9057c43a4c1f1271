"""FPGA LUT engines (LUT-LLM): cycles of table-lookup linear layers, attention, whole runs.

    >>> from arch.units.fpga_lut import load_lut_design
    >>> acc = load_lut_design("lutllm_v80")
    >>> r = lut_linear(1, 2048, 2048, acc)
    >>> r.compute_cycles, r.memory_cycles, r.bound
    (320, 3584, 'memory')

One linear op ``y[m, n] = x[m, k] W[k, n]`` on ``units`` LUT units (see
:mod:`arch.units.fpga_lut`), per repeat:

- centroid search: ``m x ceil(k / v)`` vectors, each against ``act_centroids`` centroids,
  at ``units x search_lanes`` distances a cycle. The lookups need the indices first, so
  search cycles come before the rest (in decode this is the pipeline latency the paper's
  "bandwidth-aware parallel centroid search" trades against resources).
- lookups: ``m x ceil(k / v) x n`` table reads, ``units x lookups_per_cycle`` a cycle.
- loads: per input-vector position, ``ceil(n / codebook_outputs)`` 2D tables of
  ``act_centroids x weight_centroids`` entries, ``n`` weight indices and the position's
  activation codebook (``act_centroids x v`` centroids of ``centroid_bits``), streamed at
  ``min(off-chip bandwidth, units x load_bits_per_cycle)``. Tables are loaded once per op
  and reused by all ``m`` tokens (prefill amortizes them; decode does not).
- an op takes ``search + max(lookups, loads)`` with ``double_buffer`` and
  ``search + lookups + loads`` without (LUT-LLM's engine loads, then looks up).

Attention matmuls (QK^T, PV) run on a DSP engine of ``attention_macs_per_cycle`` MACs while
the KV cache streams from off-chip memory: ``max(MACs / rate, KV bytes / bandwidth)``.
Ops run one after another (LUT-LLM's temporal-spatial design executes engines in turn),
except that a design with ``overlap_qkv_attention`` pipelines the Q/K/V projections with the
attention over the KV heads, as the artifact's model loops over KV heads and its dataflow
streams each head group's projections into its attention: the two take ``max(A, B) +
min(A, B) / kv_heads`` (A, B: their summed cycles) and are reported as one op.

Energy is the device's power times time, as an action fold: each op emits one count per
cycle of ``fpga_static.cycle`` (the device's static power) and ``fpga_dynamic.cycle`` (the
rest of its power figure), priced per cycle at the design clock (the device file cites
both); a device without a static figure emits ``fpga.cycle`` at its whole power.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from arch.fpga import GpuDevice
from arch.support import check_supported
from arch.tech import EnergyEntry, EnergyTable
from arch.units.fpga_lut import LutAccelerator
from arch.workloads import Op, Workload, expand

from .energy import energy_by_component
from .result import OpResult, WorkloadResult

__all__ = ["EndToEnd", "end_to_end", "fpga_energy_table", "gpu_efficiency", "gpu_end_to_end", "gpu_step_s",
           "lut_attention", "lut_linear", "simulate_lut"]


def _load_bytes_per_cycle(acc: LutAccelerator) -> float:
    offchip = acc.fpga.offchip_bandwidth_bytes_per_s / acc.clock_hz
    return min(offchip, acc.units * acc.unit.load_bytes_per_cycle)


def linear_load_bytes(k: int, n: int, acc: LutAccelerator) -> float:
    """Bytes one linear op streams: tables, weight indices and activation codebooks."""
    u = acc.unit
    positions = math.ceil(k / u.act_vector_len)
    tables = positions * math.ceil(n / u.codebook_outputs) * u.table_bits
    indices = positions * n * u.weight_index_bits
    codebooks = positions * u.act_centroids * u.act_vector_len * u.centroid_bits
    return (tables + indices + codebooks) / 8


def _linear_parts(m: int, k: int, n: int, acc: LutAccelerator) -> tuple[int, int, int, float]:
    u = acc.unit
    vectors = m * math.ceil(k / u.act_vector_len)
    search = math.ceil(vectors * u.act_centroids / (acc.units * u.search_lanes))
    lookups = math.ceil(vectors * n / (acc.units * u.lookups_per_cycle))
    load_bytes = linear_load_bytes(k, n, acc)
    return search, lookups, math.ceil(load_bytes / _load_bytes_per_cycle(acc)), load_bytes


def _entry(power_w: float, what: str, acc: LutAccelerator) -> EnergyEntry:
    device = acc.fpga
    source = f"{device.power_source}; {what} {power_w:g} W / {acc.clock_hz / 1e6:g} MHz"
    return EnergyEntry(power_w / acc.clock_hz * 1e12, source, device.node_nm)


def fpga_energy_table(acc: LutAccelerator) -> EnergyTable:
    """Per-cycle prices of the device's static and dynamic power (pJ per cycle)."""
    device = acc.fpga
    if device.static_power_w is None:
        return EnergyTable(f"{device.name}_power", {"fpga.cycle": _entry(device.power_w, "total", acc)})
    dynamic_w = device.power_w - device.static_power_w
    return EnergyTable(f"{device.name}_power", {
        "fpga_static.cycle": _entry(device.static_power_w, "static", acc),
        "fpga_dynamic.cycle": _entry(dynamic_w, "dynamic", acc)})


def _time_actions(cycles: float, table: EnergyTable) -> dict[str, float]:
    """One count per cycle of every per-cycle power entry of ``table``."""
    return {action: float(cycles) for action in table.entries}


def _result(name: str, compute: int, memory: int, cycles: int, macs: float, dram_bytes: float,
            repeats: float, acc: LutAccelerator, table: EnergyTable) -> OpResult:
    actions = _time_actions(cycles * repeats, table)
    busy = min(1.0, compute / max(cycles, 1))  # share of the op's time the engine computes
    return OpResult(name, round(compute * repeats), round(memory * repeats), round(cycles * repeats),
                    macs * repeats, busy, dram_bytes * repeats, repeats, actions,
                    energy_by_component(actions, table))


_QKV = ("attn.q", "attn.k", "attn.v")
_ATTENTION = ("attn.score", "attn.context")


def _pipelined(results: list[OpResult], kv_heads: int, table: EnergyTable) -> list[OpResult]:
    """The Q/K/V projections and the attention as one op pipelined over ``kv_heads`` stages."""
    group = [r for r in results if r.name in _QKV + _ATTENTION]
    qkv = sum(r.cycles for r in group if r.name in _QKV)
    attention = sum(r.cycles for r in group if r.name in _ATTENTION)
    cycles = max(qkv, attention) + math.ceil(min(qkv, attention) / kv_heads)
    actions = _time_actions(cycles, table)
    merged = OpResult("attn.qkv+attention", sum(r.compute_cycles for r in group),
                      sum(r.memory_cycles for r in group), cycles, sum(r.macs for r in group),
                      min(1.0, sum(r.compute_cycles for r in group) / max(cycles, 1)),
                      sum(r.dram_bytes for r in group), group[0].repeats, actions,
                      energy_by_component(actions, table))
    first = results.index(group[0])
    rest = [r for r in results if r not in group]
    return rest[:first] + [merged] + rest[first:]


def lut_linear(m: int, k: int, n: int, acc: LutAccelerator, name: str = "linear", repeats: float = 1.0,
               table: EnergyTable | None = None) -> OpResult:
    """One table-lookup linear op, ``repeats`` times. ``compute_cycles`` = search + lookups,
    ``memory_cycles`` = loads; ``cycles`` as the module docstring says."""
    search, lookups, loads, load_bytes = _linear_parts(m, k, n, acc)
    body = max(lookups, loads) if acc.unit.double_buffer else lookups + loads
    return _result(name, search + lookups, loads, search + body, float(m) * k * n, load_bytes, repeats,
                   acc, table or fpga_energy_table(acc))


def lut_attention(op: Op, acc: LutAccelerator, table: EnergyTable | None = None) -> OpResult:
    """An attention matmul on the DSP engine with the KV cache streamed from off-chip memory."""
    macs = float(op.m) * op.k * op.n
    kv_bytes = op.k * op.n * op.b_bits / 8
    compute = math.ceil(macs / acc.attention_macs_per_cycle)
    memory = math.ceil(kv_bytes * acc.clock_hz / acc.fpga.offchip_bandwidth_bytes_per_s)
    return _result(op.name, compute, memory, max(compute, memory), macs, kv_bytes, op.repeats, acc,
                   table or fpga_energy_table(acc))


def simulate_lut(workload: Workload, acc: LutAccelerator, include_lm_head: bool = False) -> WorkloadResult:
    """Every op of ``workload`` on the LUT design, one after another (or with Q/K/V and
    attention pipelined, when the design says so; see the module docstring).

    The LM head is left out unless ``include_lm_head`` (LUT-LLM's end-to-end latency counts
    the 28 decoder layers only: qwen_block/e2e_latency.cpp).
    """
    table = fpga_energy_table(acc)
    results = []
    for op in workload.ops:
        if op.name == "lm_head" and not include_lm_head:
            continue
        if op.kind == "attention":
            results.append(lut_attention(op, acc, table))
        else:
            results.append(lut_linear(op.m, op.k, op.n, acc, op.name, op.repeats, table))
    attention = [op for op in workload.ops if op.kind == "attention"]
    if acc.overlap_qkv_attention and attention:
        results = _pipelined(results, round(attention[0].instances / workload.batch), table)
    ops = tuple(results)
    return WorkloadResult(acc.name, workload.model, workload.phase, workload.batch, workload.context,
                          acc.clock_hz, "analytic", ops, sum(r.cycles for r in ops))


# --- end to end: prefill + generated tokens ------------------------------------------------

@dataclass(frozen=True)
class EndToEnd:
    """One request: prefill of ``input_len`` tokens, then ``output_len`` decode steps."""

    design: str
    input_len: int
    output_len: int
    prefill_s: float
    decode_step_s: float  # at the mid-generation context
    energy_j: float
    static_energy_j: float = 0.0  # the part of energy_j the device's static power draws

    @property
    def latency_s(self) -> float:
        return self.prefill_s + self.output_len * self.decode_step_s

    @property
    def tokens_per_j(self) -> float:
        return self.output_len / self.energy_j


def _decode_context(input_len: int, output_len: int) -> int:
    # Decode cost is linear in the cached length, so the mean step is the step at the mean
    # context: step t (0-based) attends to input_len + t cached tokens.
    return input_len + round((output_len - 1) / 2)


def end_to_end(acc: LutAccelerator, model: str, input_len: int, output_len: int,
               kv_bits: float = 32) -> EndToEnd:
    """LUT-LLM latency and energy of one request (activations and KV cache in FP32, as its HLS)."""
    workloads = (expand(model, "prefill", 1, input_len, kv_bits=kv_bits),
                 expand(model, "decode", 1, _decode_context(input_len, output_len), kv_bits=kv_bits))
    for workload in workloads:
        check_supported(acc, workload)  # the one support check (arch.support), as simulate makes it
    prefill, decode = (simulate_lut(w, acc) for w in workloads)
    energy_pj = prefill.total_energy_pj + output_len * decode.total_energy_pj
    static = "fpga_static"
    static_pj = prefill.energy_pj.get(static, 0.0) + output_len * decode.energy_pj.get(static, 0.0)
    return EndToEnd(acc.name, input_len, output_len, prefill.latency_s, decode.latency_s, energy_pj * 1e-12,
                    static_pj * 1e-12)


def gpu_step_s(workload: Workload, gpu: GpuDevice) -> float:
    """A GPU roofline step: every op reads its B operand (weights or KV) from HBM once and
    the step takes ``max(bytes / bandwidth, FLOPs / dense FP16 peak)`` (batch 1, no overlap loss)."""
    b_bytes = sum(op.k * op.n * op.b_bits / 8 * op.repeats for op in workload.ops)
    flops = 2.0 * workload.macs
    return max(b_bytes / gpu.hbm_bandwidth_bytes_per_s, flops / gpu.peak_fp16_flops)


def _gpu_roofline(gpu: GpuDevice, model: str, input_len: int, output_len: int) -> tuple[float, float]:
    prefill = gpu_step_s(expand(model, "prefill", 1, input_len, "bf16", "bf16", "bf16"), gpu)
    step = gpu_step_s(expand(model, "decode", 1, _decode_context(input_len, output_len),
                             "bf16", "bf16", "bf16"), gpu)
    return prefill, step


def gpu_efficiency(gpu: GpuDevice) -> float:
    """Share of its roofline speed the GPU reached in its published measurement (``measured``):
    roofline latency of the measured request over the measured latency."""
    if gpu.measured is None:
        raise ValueError(f"{gpu.name} has no published measurement to calibrate against")
    m = gpu.measured
    prefill, step = _gpu_roofline(gpu, m.model, m.input_len, m.output_len)
    return (prefill + m.output_len * step) / m.e2e_latency_s


def gpu_end_to_end(gpu: GpuDevice, model: str, input_len: int, output_len: int,
                   calibrated: bool = False) -> EndToEnd:
    """A BF16 GPU at its roofline, LM head included; energy = board power x time. With
    ``calibrated`` every step is slowed by :func:`gpu_efficiency` (a measured-calibrated
    baseline: one kernel-efficiency factor fitted to the GPU's published measurement)."""
    prefill, step = _gpu_roofline(gpu, model, input_len, output_len)
    if calibrated:
        efficiency = gpu_efficiency(gpu)
        prefill, step = prefill / efficiency, step / efficiency
    latency = prefill + output_len * step
    name = f"{gpu.name}_calibrated" if calibrated else gpu.name
    return EndToEnd(name, input_len, output_len, prefill, step, gpu.power_w * latency)
