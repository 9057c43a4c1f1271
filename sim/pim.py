"""Duplex-style execution: each op on the xPU or on the PIM units, whichever roofline is faster.

    >>> from arch.hbm import load_hbm_device
    >>> from arch.workloads import expand
    >>> system = System(load_hbm_device("duplex"))
    >>> round(system.crossover_op_per_byte, 1)
    37.4
    >>> ops = {op.name: op for op in expand("mixtral-8x7b", "decode", batch=64, context=1024).ops}
    >>> place_op(ops["attn.score"], system), place_op(ops["attn.q"], system)
    ('pim', 'xpu')

The rule. An op of ``F`` FLOPs over ``B`` bytes (its operands and output, FP16) takes
``max(F / flops, B / bandwidth)`` on a device (a roofline). The xPU sees its peak FLOPs and
the stacks' external bandwidth, both derated by the xPU's efficiencies; PIM units see their
peak FLOPs and the bandwidth at their location in the stack. Each op runs where its time is
lower, ties on the xPU. With PIM bandwidth above the xPU's and PIM FLOPs below, the two
rooflines cross at ``Op/B = pim_flops / xpu_bandwidth`` (:attr:`System.crossover_op_per_byte`):
below it (decode attention at Op/B = the GQA group size, experts with few tokens) PIM wins.

Co-processing. Ops that do not depend on each other form a group (the experts of one MoE
layer; the attention of decoding requests and of prefilling ones) and run on both devices at
once: ordered by Op/B, the ones above a split go to the xPU and the rest to PIM, and the
split is the one with the least ``max(xPU time, PIM time, all bytes / PIM bandwidth)`` (the
last term: both draw on the same DRAM banks). A lone op is a group of one, so the group rule
reduces to the per-op rule.

Tensor parallelism over ``devices`` devices divides every op's FLOPs and bytes evenly (the
Op/B and so the placement are unchanged) and adds two ring all-reduces of the layer's
activations per layer over the link. Energy is counted as actions (:func:`actions_of`): the
xPU moves every byte across all six HBM segments and its L2/L1/registers (AttAcc's tile
traffic); PIM moves its B operand (weights, KV cache) from the cells to itself and its
activations between itself and the xPU; both count MACs.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from functools import cached_property
from typing import NamedTuple

import numpy as np

from arch.hbm import SEGMENTS, HbmDevice, HbmStack
from arch.workloads import Op, Workload
from arch.workloads.expand import expected_active_experts

from .energy import energy_by_component
from .result import OpResult, WorkloadResult

__all__ = ["ELEMENT_BYTES", "TOTALS", "Batch", "IterationCost", "Roofline", "System", "Works", "actions_of",
           "attention_works", "expert_works", "iteration_cost", "linear_works", "place_op", "route_tokens",
           "schedule", "simulate_workload_pim", "totals_of", "work_of_op"]

ELEMENT_BYTES = 2.0  # FP16 weights, activations and KV cache (the Duplex configuration)
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


# --- work: FLOPs and bytes of GEMM-shaped pieces ---------------------------------------------

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


def linear_works(tokens, k: int, n: int, device: HbmDevice) -> Works:
    """``tokens x k`` activations times a ``k x n`` weight matrix (no weights read for 0 tokens)."""
    t = np.asarray(tokens, dtype=float)
    a, out = t * k * ELEMENT_BYTES, t * n * ELEMENT_BYTES
    b = np.where(t > 0, float(k) * n * ELEMENT_BYTES, 0.0)
    xpu = device.xpu
    return Works(2.0 * t * k * n, a, b, out, _tile_traffic(a, b, out, t, n, xpu.l2_tile),
                 _tile_traffic(a, b, out, t, n, xpu.l1_tile))


def attention_works(q_tokens, kv_tokens, q_dim: int, kv_dim: int, group: int, device: HbmDevice) -> Works:
    """Score and context GEMMs of requests with ``q_tokens`` queries over ``kv_tokens`` keys
    (arrays, one entry per request): ``4 q kv q_dim`` FLOPs, K and V read once."""
    q, kv = np.asarray(q_tokens, dtype=float), np.asarray(kv_tokens, dtype=float)
    a = out = q * q_dim * ELEMENT_BYTES
    b = 2.0 * kv * kv_dim * ELEMENT_BYTES
    rows, xpu = q * group, device.xpu
    return Works(4.0 * q * kv * q_dim, a, b, out, _tile_traffic(a, b, out, rows, kv, xpu.l2_tile),
                 _tile_traffic(a, b, out, rows, kv, xpu.l1_tile))


def work_of_op(op: Op, device: HbmDevice) -> Works:
    """One ``arch.workloads.Op`` (all its repeats) as a group of one."""
    a = op.m * op.k * op.a_bits / 8
    b = op.k * op.n * op.b_bits / 8
    out = op.m * op.n * op.out_bits / 8
    xpu = device.xpu
    one = Works(np.array([2.0 * op.m * op.k * op.n]), np.array([a]), np.array([b]), np.array([out]),
                np.array([_tile_traffic(a, b, out, op.m, op.n, xpu.l2_tile)]),
                np.array([_tile_traffic(a, b, out, op.m, op.n, xpu.l1_tile)]))
    return one.scaled(op.repeats)


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


def simulate_workload_pim(workload: Workload, system: System) -> WorkloadResult:
    """Every op of ``workload`` placed by the roofline rule, one after another (ns as cycles)."""
    results = []
    for op in workload.ops:
        works = work_of_op(op, system.device)
        placed = schedule(works, system)
        actions = actions_of(totals_of(works, placed.on_xpu), system.device)
        ns = math.ceil(float(placed.time_s[0]) * 1e9)
        results.append(OpResult(f"{op.name}@{'xpu' if placed.on_xpu.all() else 'pim'}", ns, 0, ns,
                                op.macs, 0.0, float(works.nbytes.sum()), op.repeats, actions,
                                energy_by_component(actions, system.device.energy)))
    return WorkloadResult(system.device.name, workload.model, workload.phase, workload.batch,
                          workload.context, 1e9, "analytic", tuple(results), sum(r.cycles for r in results))


# --- one serving iteration of a model --------------------------------------------------------

class Batch(NamedTuple):
    """One iteration's work: prompts prefilled now, and the KV length each decoding request
    attends to (its prompt plus the tokens it has produced, its own new one included)."""

    prefill_tokens: tuple[int, ...]
    decode_context: tuple[int, ...]

    @property
    def tokens(self) -> int:
        return sum(self.prefill_tokens) + len(self.decode_context)

    @property
    def sequences(self) -> int:
        return len(self.prefill_tokens) + len(self.decode_context)


class IterationCost(NamedTuple):
    time_s: float
    totals: np.ndarray  # TOTALS, system-wide


def route_tokens(rng: np.random.Generator, tokens: int, experts: int, top_k: int, layers: int) -> np.ndarray:
    """Tokens per expert, ``(layers, experts)``: each token picks ``top_k`` distinct experts
    uniformly at random in every layer (the ``top_k`` smallest of ``experts`` uniform draws)."""
    draws = rng.random((layers, tokens, experts))
    picks = np.argpartition(draws, top_k - 1, axis=-1)[..., :top_k] if top_k < experts else \
        np.broadcast_to(np.arange(experts), (layers, tokens, experts))
    flat = (picks + experts * np.arange(layers)[:, None, None]).ravel()
    return np.bincount(flat, minlength=layers * experts).reshape(layers, experts)


def _expected_experts(tokens: int, model) -> tuple[np.ndarray, np.ndarray]:
    """Expected-value routing as ``arch.workloads.expand`` does it: (tokens per item, weight)."""
    active = expected_active_experts(tokens, model.experts, model.experts_per_token)
    per_expert = math.ceil(round(tokens * model.experts_per_token / active, 9))
    full, part = int(active), active - int(active)
    weights = [1.0] * full + ([part] if part > 1e-12 else [])
    return np.full(len(weights), float(per_expert)), np.array(weights)


def expert_works(tokens, model, device: HbmDevice) -> Works:
    """One expert FFN (gate/up then down) on ``tokens`` tokens, per entry of ``tokens``."""
    up_width = model.ffn * (2 if model.expert_ffn_kind == "gated" else 1)
    return linear_works(tokens, model.hidden, up_width, device).plus(
        linear_works(tokens, model.ffn, model.hidden, device))


def _stack(works: list[Works]) -> Works:
    return Works(*(np.concatenate([np.reshape(w[i], (-1, 1)) for w in works]) for i in range(6)))


def _sequential_works(model, t: int, sequences: int, device: HbmDevice) -> Works:
    """The ops that run one after another, each scaled by the layers it appears in."""
    h = model.hidden
    rows = [linear_works(t, h, model.q_dim + 2 * model.kv_dim, device).scaled(model.layers),
            linear_works(t, model.q_dim, h, device).scaled(model.layers),
            linear_works(sequences, h, model.vocab, device)]
    if model.dense_layers:
        up_width = model.ffn * (2 if model.ffn_kind == "gated" else 1)
        rows += [linear_works(t, h, up_width, device).scaled(model.dense_layers),
                 linear_works(t, model.ffn, h, device).scaled(model.dense_layers)]
    if model.moe_layers:
        rows.append(linear_works(t, h, model.experts, device).scaled(model.moe_layers))
    return _stack(rows)


def _attention_group(model, batch: Batch, device: HbmDevice) -> Works:
    q = [float(p) for p in batch.prefill_tokens] + [1.0] * len(batch.decode_context)
    kv = [float(p) for p in batch.prefill_tokens] + [float(c) for c in batch.decode_context]
    group = model.heads // model.kv_heads
    return attention_works(q, kv, model.q_dim, model.kv_dim, group, device).scaled(model.layers)


def _expert_group(model, tokens: int, device: HbmDevice, rng: np.random.Generator | None) -> Works:
    if rng is None:
        per_expert, weights = _expected_experts(tokens, model)
        return expert_works(per_expert, model, device).scaled(weights * model.moe_layers)
    counts = route_tokens(rng, tokens, model.experts, model.experts_per_token, model.moe_layers)
    return expert_works(counts, model, device)


def _run(works: Works, system: System) -> tuple[float, np.ndarray]:
    placed = schedule(works, system)
    return float(placed.time_s.sum()), totals_of(works, placed.on_xpu)


@functools.lru_cache(maxsize=4096)
def _token_bound_parts(model, system: System, tokens: int, sequences: int, moe: bool) -> tuple:
    """The parts that depend on the token and sequence counts alone (cached: in a steady
    state every iteration has the same counts): sequential ops, expected-value experts."""
    parts = [_run(_sequential_works(model, tokens, sequences, system.device), system)]
    if moe:
        parts.append(_run(_expert_group(model, tokens, system.device, None), system))
    return tuple(parts)


def iteration_cost(model, system: System, batch: Batch,
                   rng: np.random.Generator | None = None) -> IterationCost:
    """Time and totals of one forward pass of ``batch`` through ``model`` on ``system``.

    MoE layers route by expected value when ``rng`` is None, else by sampling with ``rng``.
    Per layer: QKV, attention (co-processed), output projection, all-reduce, FFN (dense, or
    router + co-processed experts), all-reduce; then the LM head on one token per sequence.
    """
    device = system.device
    sampled = rng is not None and model.moe_layers > 0
    expected = model.moe_layers > 0 and not sampled
    parts = [*_token_bound_parts(model, system, batch.tokens, batch.sequences, expected),
             _run(_attention_group(model, batch, device), system)]
    if sampled:
        parts.append(_run(_expert_group(model, batch.tokens, device, rng), system))
    payload = batch.tokens * model.hidden * ELEMENT_BYTES
    reduces = 2 * model.layers
    time_s = sum(p[0] for p in parts) + reduces * device.link.allreduce_s(payload, system.devices)
    totals = sum(p[1] for p in parts)
    totals[-1] += reduces * device.link.allreduce_bytes(payload, system.devices)
    return IterationCost(time_s, totals)
