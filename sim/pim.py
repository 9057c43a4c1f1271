"""Duplex-style execution: each op on the xPU or on the PIM units, whichever roofline is faster.

    >>> from arch.hbm import load_hbm_device
    >>> from arch.workloads import expand
    >>> system = System(load_hbm_device("duplex"))
    >>> round(system.crossover_op_per_byte, 1)
    37.4
    >>> ops = {op.name: op for op in expand("mixtral-8x7b", "decode", batch=64, context=1024).ops}
    >>> place_op(ops["attn.score"], system), place_op(ops["attn.q"], system)
    ('pim', 'xpu')

Work. Every op comes from :func:`arch.workloads.expand` (GEMM scope), with its storage bits
(FP16 here) and shapes; :func:`op_works` turns one instance into FLOPs (``2 m k n``) and
bytes (A, B and output; no weights for 0 rows), the one byte rule of this family, for
:func:`sim.simulate` and the serving loop (:mod:`sim.iteration`) alike. Attention is fused
(:func:`fused`): the score matrix a request's ``attn.score`` writes and ``attn.context``
reads stays on chip, so a request's attention moves its queries, its K and V and its output.

The rule. An op of ``F`` FLOPs over ``B`` bytes (its operands and output) takes
``max(F / flops, B / bandwidth)`` on a device (a roofline). The xPU sees its peak FLOPs and
the stacks' external bandwidth, both derated by the xPU's efficiencies; PIM units see their
peak FLOPs and the bandwidth at their location in the stack. Each op runs where its time is
lower, ties on the xPU. With PIM bandwidth above the xPU's and PIM FLOPs below, the two
rooflines cross at ``Op/B = pim_flops / xpu_bandwidth`` (:attr:`System.crossover_op_per_byte`):
below it (decode attention at Op/B = the GQA group size, experts with few tokens) PIM wins.

Co-processing. Ops that do not depend on each other form a group (:func:`groups_of`: the
experts of one MoE layer, one item per expected active expert; the attention of the
sequences of a batch, decoding and prefilling, one item per sequence) and run on both
devices at once: ordered by Op/B, the ones above a split go to the xPU and the rest to PIM, and the
split is the one with the least ``max(xPU time, PIM time, all bytes / PIM bandwidth)`` (the
last term: both draw on the same DRAM banks). A lone op is a group of one, so the group rule
reduces to the per-op rule.

Tensor parallelism over ``devices`` devices divides every op's FLOPs and bytes evenly (the
Op/B and so the placement are unchanged); a serving iteration adds two ring all-reduces of
the layer's activations per layer over the link (:mod:`sim.iteration`). Energy is counted
as actions (:func:`actions_of`): the xPU moves every byte across all six HBM segments and
its L2/L1/registers (AttAcc's tile traffic); PIM moves its B operand (weights, KV cache)
from the cells to itself and its activations between itself and the xPU; both count MACs.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, replace
from functools import cached_property
from typing import NamedTuple

import numpy as np

from arch.hbm import SEGMENTS, HbmDevice, HbmStack
from arch.workloads import Op, Workload

from .energy import energy_by_component
from .result import OpResult, WorkloadResult

__all__ = ["EXPERT_OPS", "TOTALS", "Group", "Roofline", "System", "Works", "actions_of", "expert_weights",
           "fused", "groups_of", "op_works", "place_op", "run_group", "schedule", "simulate_workload_pim",
           "total", "totals_of", "work_of_op"]

# What an iteration accumulates (system-wide): xPU bytes, L2 bytes, L1 bytes, MACs; PIM
# bytes read from the cells, bytes exchanged with the xPU, MACs; bytes over the links.
TOTALS: tuple[str, ...] = ("xpu_bytes", "xpu_l2_bytes", "xpu_l1_bytes", "xpu_macs", "pim_cell_bytes",
                           "pim_io_bytes", "pim_macs", "link_bytes")
REGISTER_BYTES_PER_MAC = 3.0  # AttAcc's simulator counts three register accesses per MAC


@dataclass(frozen=True)
class Roofline:
    """A device as ``flops`` FLOP/s and ``bandwidth_bytes_per_s``."""

    flops: float
    bandwidth_bytes_per_s: float

    def time_s(self, flops, nbytes):
        return np.maximum(np.divide(flops, self.flops), np.divide(nbytes, self.bandwidth_bytes_per_s))

    @property
    def ridge_op_per_byte(self) -> float:
        return self.flops / self.bandwidth_bytes_per_s


@dataclass(frozen=True)
class System:
    """``devices`` copies of ``device`` in tensor parallel, joined by the device's link."""

    device: HbmDevice
    devices: int = 1

    def __post_init__(self):
        if not (isinstance(self.devices, int) and self.devices > 0):
            raise ValueError(f"devices must be a positive integer, not {self.devices!r}")

    @cached_property
    def xpu(self) -> Roofline:
        d = self.device
        return Roofline(self.devices * d.xpu.effective_flops, self.devices * d.xpu_bandwidth_bytes_per_s)

    @cached_property
    def pim(self) -> Roofline | None:
        d = self.device
        if d.pim is None:
            return None
        return Roofline(self.devices * d.pim_flops, self.devices * d.pim_bandwidth_bytes_per_s)

    @property
    def crossover_op_per_byte(self) -> float:
        """Op/B at which the two rooflines cross: PIM is faster below it, the xPU above."""
        x, p = self.xpu, self.pim
        if p is None or p.bandwidth_bytes_per_s <= x.bandwidth_bytes_per_s:
            return 0.0
        if p.flops >= x.flops:
            return math.inf
        return p.flops / x.bandwidth_bytes_per_s

    @property
    def capacity_bytes(self) -> int:
        return self.devices * self.device.capacity_bytes


# --- work: FLOPs and bytes of the expanded ops -----------------------------------------------

class Works(NamedTuple):
    """FLOPs and bytes of pieces of work; every field an array of one shape (..., items)."""

    flops: np.ndarray
    a_bytes: np.ndarray
    b_bytes: np.ndarray
    out_bytes: np.ndarray
    l2_bytes: np.ndarray
    l1_bytes: np.ndarray

    @property
    def nbytes(self) -> np.ndarray:
        return self.a_bytes + self.b_bytes + self.out_bytes

    def scaled(self, factor) -> Works:
        return Works(*(np.multiply(f, factor) for f in self))

    def plus(self, other: Works) -> Works:
        return Works(*(a + b for a, b in zip(self, other, strict=True)))


def _tile_traffic(a, b, out, rows, cols, tile: int):
    """Bytes read from the next level out when outputs are tiled ``tile x tile`` (AttAcc)."""
    return a * np.ceil(np.divide(cols, tile)) + b * np.ceil(np.divide(rows, tile)) + out


def fused(op: Op) -> Op:
    """``op`` as this family runs it: a request's attention is fused (FlashAttention on the
    xPU, AttAcc's softmax in the PIM buffer), so the scores ``attn.score`` writes and the
    probabilities ``attn.context`` reads never reach DRAM; every other op is unchanged."""
    if op.name == "attn.score" and op.out_dram_fraction:
        return replace(op, out_dram_fraction=0.0)
    if op.name == "attn.context" and op.a_dram_fraction:
        return replace(op, a_dram_fraction=0.0)
    return op


def op_works(op: Op, device: HbmDevice, m=None) -> Works:
    """One instance of ``op`` (``m`` rows, or an array of row counts: experts' tokens) with the
    op's storage bits and DRAM fractions; no weights are read for 0 rows."""
    rows = np.asarray(op.m if m is None else m, dtype=float)
    a = rows * op.k * op.a_bits / 8 * op.a_dram_fraction
    b = np.where(rows > 0, op.k * op.n * op.b_bits / 8, 0.0)
    out = rows * op.n * op.out_bits / 8 * op.out_dram_fraction
    xpu = device.xpu
    return Works(2.0 * rows * op.k * op.n, a, b, out, _tile_traffic(a, b, out, rows, op.n, xpu.l2_tile),
                 _tile_traffic(a, b, out, rows, op.n, xpu.l1_tile))


def work_of_op(op: Op, device: HbmDevice) -> Works:
    """One ``arch.workloads.Op`` (all its repeats, as this family runs it) as a group of one."""
    return op_works(fused(op), device).scaled(np.array([op.repeats]))


# --- groups: ops that run at once, as items to split between the devices ----------------------

EXPERT_OPS: tuple[str, ...] = ("moe.gate", "moe.up", "moe.down")


def expert_weights(active: float) -> np.ndarray:
    """Items of an expected-value MoE layer with ``active`` experts: whole experts, then the
    fractional one (``arch.workloads.expand``'s ``instances``)."""
    full = int(active)
    part = active - full
    return np.array([1.0] * full + ([part] if part > 1e-12 else []))


class Group(NamedTuple):
    """Ops whose items run at once; ``weights[i]`` scales one instance of ``ops[i]`` per item."""

    ops: tuple[Op, ...]
    weights: tuple[np.ndarray, ...]  # each (1, items)

    def works(self, device: HbmDevice) -> tuple[Works, ...]:
        pairs = zip(self.ops, self.weights, strict=True)
        return tuple(op_works(fused(op), device).scaled(w) for op, w in pairs)


def total(works) -> Works:
    """The sum of several works of one shape."""
    return functools.reduce(Works.plus, works)


def groups_of(workload: Workload) -> list[Group]:
    """The co-processing groups of a GEMM-level ``workload`` (module docstring), in op order:
    its attention ops one item per sequence, its expert ops one item per expected active
    expert (the last fractional), every other op a group of one."""
    ops = workload.gemm_ops
    grouped = {"attention": tuple(op for op in ops if op.kind == "attention"),
               "experts": tuple(op for op in ops if op.name in EXPERT_OPS)}
    groups, seen = [], set()
    for op in ops:
        key = next((k for k, members in grouped.items() if op in members), None)
        if key is None:
            groups.append(Group((op,), (np.array([[op.repeats]]),)))
        elif key not in seen:
            seen.add(key)
            members = grouped[key]
            groups.append(_attention_group(members, workload.batch) if key == "attention"
                          else _expert_group(members))
    return groups


def _attention_group(ops: tuple[Op, ...], sequences: int) -> Group:
    return Group(ops, tuple(np.full((1, sequences), op.repeats / sequences) for op in ops))


def _expert_group(ops: tuple[Op, ...]) -> Group:
    return Group(ops, tuple(op.layers * expert_weights(op.instances)[None, :] for op in ops))


# --- placement and co-processing -------------------------------------------------------------

class Placement(NamedTuple):
    time_s: np.ndarray  # per group (shape of the works without the items axis)
    on_xpu: np.ndarray  # per item, bool


def schedule(works: Works, system: System) -> Placement:
    """Split each group of ``works`` (last axis = items) between xPU and PIM (module docstring)."""
    flops, nbytes = np.atleast_2d(works.flops), np.atleast_2d(works.nbytes)
    tx = system.xpu.time_s(flops, nbytes)
    if system.pim is None:
        return Placement(tx.sum(axis=-1), np.ones(flops.shape, dtype=bool))
    order = np.argsort(-(flops / np.maximum(nbytes, 1e-30)), axis=-1, kind="stable")
    tp = np.take_along_axis(system.pim.time_s(flops, nbytes), order, -1)
    tx = np.take_along_axis(tx, order, -1)
    zero = np.zeros(flops.shape[:-1] + (1,))
    xpu_time = np.concatenate([zero, np.cumsum(tx, axis=-1)], axis=-1)  # first s items on the xPU
    pim_before = np.concatenate([zero, np.cumsum(tp, axis=-1)], axis=-1)
    pim_time = pim_before[..., -1:] - pim_before  # the other items on PIM
    shared = nbytes.sum(axis=-1, keepdims=True) / system.pim.bandwidth_bytes_per_s
    total = np.maximum(np.maximum(xpu_time, pim_time), shared)
    # the largest split among equal times: ties go to the xPU
    split = total.shape[-1] - 1 - np.argmin(total[..., ::-1], axis=-1)
    sorted_on_xpu = np.arange(flops.shape[-1]) < split[..., None]
    on_xpu = np.empty_like(sorted_on_xpu)
    np.put_along_axis(on_xpu, order, sorted_on_xpu, -1)
    return Placement(np.take_along_axis(total, split[..., None], -1)[..., 0], on_xpu)


def totals_of(works: Works, on_xpu: np.ndarray) -> np.ndarray:
    """The :data:`TOTALS` of ``works`` placed by ``on_xpu`` (summed over every axis)."""
    x, p = on_xpu, ~on_xpu
    macs = np.atleast_2d(works.flops) / 2.0
    a, b, out = (np.atleast_2d(f) for f in (works.a_bytes, works.b_bytes, works.out_bytes))
    return np.array([
        ((a + b + out) * x).sum(), (np.atleast_2d(works.l2_bytes) * x).sum(),
        (np.atleast_2d(works.l1_bytes) * x).sum(), (macs * x).sum(),
        (b * p).sum(), ((a + out) * p).sum(), (macs * p).sum(), 0.0])


def place_op(op: Op, system: System) -> str:
    """``"xpu"`` or ``"pim"``: where the roofline rule runs ``op``."""
    return "xpu" if schedule(work_of_op(op, system.device), system).on_xpu.all() else "pim"


# --- actions and energy ----------------------------------------------------------------------

def actions_of(totals: np.ndarray, device: HbmDevice) -> dict[str, float]:
    """Action counts (``component.action``) of accumulated :data:`TOTALS` on ``device``."""
    t = dict(zip(TOTALS, (float(v) for v in totals), strict=True))
    cell_side, io_side = HbmStack.path(device.pim.location) if device.pim else ((), ())
    actions = {f"{s}.bit": 8.0 * (t["xpu_bytes"] + t["pim_cell_bytes"] * (s in cell_side)
                                  + t["pim_io_bytes"] * (s in io_side)) for s in SEGMENTS}
    actions.update({"xpu_l2.byte": t["xpu_l2_bytes"], "xpu_l1.byte": t["xpu_l1_bytes"],
                    "xpu_reg.byte": REGISTER_BYTES_PER_MAC * t["xpu_macs"], "xpu_alu.mac": t["xpu_macs"],
                    "pim_alu.mac": t["pim_macs"], "pim_buffer.byte": t["pim_cell_bytes"] + t["pim_io_bytes"],
                    "link.bit": 8.0 * t["link_bytes"]})
    return actions


def run_group(works: Works, system: System) -> tuple[float, np.ndarray]:
    """Time (s) and :data:`TOTALS` of one group's (or a stack of groups') ``works``."""
    placed = schedule(works, system)
    return float(placed.time_s.sum()), totals_of(works, placed.on_xpu)


def _side(on_xpu: np.ndarray) -> str:
    return "xpu" if on_xpu.all() else "pim" if not on_xpu.any() else "xpu+pim"


def _group_results(group: Group, system: System) -> list[OpResult]:
    """One result per op of ``group``; the group's time is shared by the ops' bytes."""
    works = group.works(system.device)
    placed = schedule(total(works), system)
    nbytes = np.array([float(w.nbytes.sum()) for w in works])
    shares = nbytes / nbytes.sum() if nbytes.sum() > 0 else np.full(len(works), 1.0 / len(works))
    side, results = _side(placed.on_xpu), []
    for op, w, share in zip(group.ops, works, shares, strict=True):
        actions = actions_of(totals_of(w, placed.on_xpu), system.device)
        ns = math.ceil(float(placed.time_s[0]) * share * 1e9)
        results.append(OpResult(f"{op.name}@{side}", ns, 0, ns, op.macs, 0.0, float(nbytes[len(results)]),
                                op.repeats, actions, energy_by_component(actions, system.device.energy)))
    return results


def simulate_workload_pim(workload: Workload, system: System) -> WorkloadResult:
    """Every group of ``workload`` (:func:`groups_of`) placed and co-processed, one after
    another (ns as cycles); an op's name says where it ran (``@xpu``, ``@pim``, ``@xpu+pim``)."""
    results = [r for group in groups_of(workload) for r in _group_results(group, system)]
    return WorkloadResult(system.device.name, workload.model, workload.phase, workload.batch,
                          workload.context, 1e9, "analytic", tuple(results), sum(r.cycles for r in results))
