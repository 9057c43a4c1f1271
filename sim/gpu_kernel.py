"""Whole-kernel time of a GEMM on a GPU: MMA issue plus what real kernels pay around it.

:mod:`sim.tensor_core` counts the MMA cycles of a tiling. A kernel also pays, and this
module adds, each from a sourced constant of the design (:class:`arch.units.KernelTiming`):

- **launch and drain** (``launch_ns``) and the **pipeline fill** of the first K loop (the
  first TMA loads come from DRAM before the first MMA: ``dram_latency_ns``), once a kernel;
- per tile, the **epilogue** (the FP32 accumulators converted and staged through shared memory,
  ``smem_bytes_per_cycle``) and two **L2 round trips** between K loops (``l2_latency_ns``): the
  output's TMA store is waited for, then the next tile's weight scales are loaded, before its
  MMAs start (DeepGEMM's ``fp8_gemm.cuh`` at commit 989c9e3: ``tma_store_wait<0>`` and the
  ``__ldg`` of ``scales_b`` ahead of a named barrier of the math warps). The tiles of a wave
  reach that wait together, so without epilogue overlap the wait lasts at least as long as the
  wave's output stores take at the achievable DRAM bandwidth (``store_bytes_per_s``);
- **two-level accumulation** where block scales are applied outside the MMA (the design's
  ``promotion: cuda_cores``: Hopper's wgmma has no scaled kind; DeepGEMM promotes the FP32 partial
  sums on CUDA cores every ``promote_k`` elements of K): ``rows x tile_n`` FMAs per promotion on
  ``fma_lanes_per_sm`` lanes, hidden behind the other warpgroup's MMAs when the tile has two
  consumer warpgroups, exposed when one; promoting also holds a second FP32 copy of the tile, so
  the accumulator storage must fit two. ``promotion: in_mma`` (Blackwell's tcgen05 block-scaled
  kinds, FP32 accumulation in tensor memory) costs nothing here;
- **epilogue overlap** where the design declares it (``epilogue_overlap``) and two FP32
  accumulator tiles fit the accumulator storage: each tile's epilogue runs under the next tile's
  MMAs, so a wave pays only what the epilogue exceeds the MMAs by, plus the last tile's epilogue;
- **L2-to-SM traffic**: every tile reads its rows of A and columns of B through L2, one of the
  two shared by a TMA multicast cluster (``multicast``) where the tile grid has that many tiles
  reading it and the GEMM's M reaches ``multicast_min_m`` (a cluster's SMs must share a GPC, so
  where the GPU holds fewer such clusters than its SMs allow, ``max_active_clusters``, SMs idle
  and the waves grow: a free search weighs this against each SM loading its own operands), at
  ``l2_bytes_per_cycle`` for the GPU, and at most its ``1 / sms`` share into any one SM (a
  tile's K loop takes at least its operand bytes at that rate, so a few busy SMs cannot draw
  the whole DRAM bandwidth; a CTA pair's tile loads through both SMs of the pair);
- **MMA operand reads**: an MMA reads A and B from shared memory at ``smem_bytes_per_cycle``,
  so one with a narrow N waits on its operands (at 128 bytes a clock a 1-SM M = 128 MMA keeps
  full rate from N = 128 up);
- **TMA issue**: an SM's TMA engine issues the K loop's loads one box row (at most a 128-byte
  swizzle atom) per ``tma_row_ns``, however short the row, so a short K stage (a 64-byte FP8
  row) loads half the bytes in the same time as a full one; a tile's K loop takes at least its
  rows at that rate, split between the CTAs of a multicast cluster and the SMs of a pair;
- **DRAM traffic** at the achievable bandwidth (the design's DRAM efficiency).

``total = launch + fill + max(SM time, DRAM time, L2 time)``, SM time being ``waves x (max(MMA +
exposed promotion, operand load at the SM's L2 share or its TMA issue rate) + exposed
epilogue)``. The tiling is the feasible candidate of :func:`sim.tensor_core.feasible_plans` with
the least total time, as an autotuner would pick, unless the caller gives the tile a kernel
library launches (:class:`sim.tensor_core.KernelTile`) or the shapes it can launch
(:class:`sim.tensor_core.TileSpace`).
``bound`` names the largest term: ``compute`` (SM time), ``hbm``, ``l2``, or ``latency`` where
launch and fill alone exceed it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from arch.units import KernelTiming, SmTensorCore

from .mapping import ceil_div
from .tensor_core import TilePlan, Tiling, feasible_plans

__all__ = ["KernelTime", "time_gemm"]

_TMA_ATOM_BYTES = 128  # the widest TMA swizzle (128B): one box row of a stage is at most this long


@dataclass(frozen=True)
class KernelTime:
    """Seconds of one kernel (a batch of GEMMs sharing the SMs) by mechanism."""

    plan: TilePlan
    launch_s: float
    fill_s: float
    mma_s: float
    promotion_s: float
    epilogue_s: float
    dram_s: float
    l2_s: float

    @property
    def sm_s(self) -> float:
        return self.mma_s + self.promotion_s + self.epilogue_s

    @property
    def fixed_s(self) -> float:
        return self.launch_s + self.fill_s

    @property
    def total_s(self) -> float:
        return self.fixed_s + max(self.sm_s, self.dram_s, self.l2_s)

    @property
    def bound(self) -> str:
        parts = {"compute": self.sm_s, "hbm": self.dram_s, "l2": self.l2_s}
        top = max(parts, key=parts.get)
        return "latency" if self.fixed_s >= parts[top] else top

    @property
    def label(self) -> str:
        us = {name: 1e6 * getattr(self, f"{name}_s") for name in ("fixed", "mma", "promotion", "epilogue",
                                                                   "dram", "l2")}
        return self.plan.label + "; us: " + " ".join(f"{k} {v:.2f}" for k, v in us.items())


def _operand_bits(plan: TilePlan, a_bits: float, b_bits: float) -> tuple[float, float]:
    """Bits per element of the operand on the MMA's M side and on its N side."""
    return (b_bits, a_bits) if plan.swapped else (a_bits, b_bits)


def _k_padded(plan: TilePlan, k: int) -> int:
    """K as the tile's K loop covers it: whole stages of ``tile_k`` elements."""
    return ceil_div(k, plan.tile_k) * plan.tile_k


def _shared_per_k(plan: TilePlan, rows: float, cols: float) -> float:
    """Per element of K, what a tile loads of its M-side operand (``rows``) and its N-side
    operand (``cols``), its multicast cluster sharing one side.

    A tile's rows of the M-side operand are also read by the other tiles of its grid row, its
    columns of the N-side operand by the other tiles of its grid column; a cluster of
    ``plan.cluster`` tiles loads once what they share (each issuing its slice), so a side can be
    shared only where the grid has that many tiles needing it (a swap-AB decode GEMM has one
    tile column: its weights are never shared). The cluster shares the side that saves more."""
    per_k, shared = rows + cols, plan.cluster
    if plan.grid[1] >= shared:  # tiles along N read the same rows
        per_k = min(per_k, rows / shared + cols)
    if plan.grid[0] >= shared:  # tiles along M read the same columns
        per_k = min(per_k, rows + cols / shared)
    return per_k


def _tile_l2_bytes(plan: TilePlan, k: int, a_bits: float, b_bits: float) -> float:
    """L2 bytes read for one tile's K loop (:func:`_shared_per_k`)."""
    rows_bits, cols_bits = _operand_bits(plan, a_bits, b_bits)
    per_k = _shared_per_k(plan, plan.tile_m * rows_bits / 8, plan.tile_n * cols_bits / 8)
    return _k_padded(plan, k) * per_k


def _tma_row_cycles(plan: TilePlan, core: SmTensorCore, k: int, a_bits: float, b_bits: float,
                    clock_hz: float) -> float:
    """Cycles one SM's TMA engine takes to issue a tile's K loop, one box row at a time.

    Each stage loads ``tile_k`` elements of K for every row of the M-side operand and every
    column of the N-side one, as box rows of at most one 128-byte swizzle atom (a longer K
    stage takes several atoms per row); the engine issues one row per ``timing.tma_row_ns``
    whatever its length, the slices of a multicast cluster split between its CTAs and a CTA
    pair's between its two SMs. 0 where the design has no such figure."""
    rows_bits, cols_bits = _operand_bits(plan, a_bits, b_bits)
    atoms = [math.ceil(plan.tile_k * bits / 8 / _TMA_ATOM_BYTES) for bits in (rows_bits, cols_bits)]
    per_k = _shared_per_k(plan, plan.tile_m * atoms[0], plan.tile_n * atoms[1])
    issued = _k_padded(plan, k) // plan.tile_k * per_k / plan.cta_group
    return issued * core.timing.tma_row_ns * 1e-9 * clock_hz


def _promotes(core: SmTensorCore, promote_k: int | None, kind) -> bool:
    """Whether the kernel promotes partial sums on CUDA cores (block scales the MMA kind does not
    apply, on a design whose kernels apply them outside the MMA)."""
    return promote_k is not None and kind.scale is None and core.timing.promotion == "cuda_cores"


def _accumulator_copies(core: SmTensorCore, promote_k: int | None, kind) -> int:
    """FP32 copies of a tile's accumulators an SM holds: two while promoting, else one."""
    return 2 if _promotes(core, promote_k, kind) else 1


def _promotion_cycles(plan: TilePlan, core: SmTensorCore, k: int, promote_k: int | None, kind) -> float:
    """Exposed CUDA-core cycles per tile of promoting partial sums (0 where the MMA scales)."""
    if not _promotes(core, promote_k, kind):
        return 0.0
    rows = plan.tile_m // plan.cta_group
    if rows >= 2 * kind.full_rate_m:  # two consumer warpgroups: one promotes while the other multiplies
        return 0.0
    promotions = math.ceil(_k_padded(plan, k) / promote_k)
    return promotions * rows * plan.tile_n / core.timing.fma_lanes_per_sm


def _operand_cycles(plan: TilePlan, core: SmTensorCore, k: int, a_bits: float, b_bits: float) -> float:
    """Cycles a tile's MMAs take at least to read their operands from one SM's shared memory.

    The MMAs read every operand byte of the K loop once, the SM's rows of A and of B (a CTA pair
    holds half of each), at ``timing.smem_bytes_per_cycle``: an MMA with a narrow N reads more
    bytes per MAC than the datapath can multiply."""
    rows_bits, cols_bits = _operand_bits(plan, a_bits, b_bits)
    per_k = (plan.tile_m * rows_bits + plan.tile_n * cols_bits) / 8 / plan.cta_group
    return _k_padded(plan, k) * per_k / core.timing.smem_bytes_per_cycle


def _load_cycles(tile_l2_bytes: float, core: SmTensorCore, plan: TilePlan) -> float:
    """Cycles a tile's L2 reads take at the ``1 / sms`` share of the L2 bandwidth of each of its SMs."""
    return tile_l2_bytes / (plan.cta_group * core.timing.l2_bytes_per_cycle / core.sms)


def _acc_tile_bytes(plan: TilePlan) -> int:
    """FP32 accumulator bytes of one tile on one SM."""
    return (plan.tile_m // plan.cta_group) * plan.tile_n * 4


def _wave_store_cycles(plan: TilePlan, out_bits: float, clock_hz: float, store_bytes_per_s: float) -> float:
    """Cycles one wave's output stores take at the achievable DRAM bandwidth: the tiles of a
    wave reach their epilogue together, so their stores share the bandwidth."""
    tiles_per_wave = plan.tiles / plan.waves
    return tiles_per_wave * plan.tile_m * plan.tile_n * out_bits / 8 / store_bytes_per_s * clock_hz


def _exposed_epilogue(plan: TilePlan, core: SmTensorCore, staging: float, wait: float, store: float,
                      busy: float, copies: int) -> float:
    """Epilogue cycles per wave that the MMAs do not hide.

    Without double buffering the SM stages the tile, then waits for its store to complete (the
    round trips, or the wave's stores at the DRAM bandwidth where that is longer) before the next
    tile's MMAs; with it the epilogue runs under the next tile's MMAs and the stores go out with
    the other DRAM traffic."""
    if not core.timing.epilogue_overlap or 2 * copies * _acc_tile_bytes(plan) > core.accumulator_bytes_per_sm:
        return staging + max(wait, store)
    epilogue = staging + wait
    return max(0.0, epilogue - busy) + epilogue / plan.waves  # the last tile's epilogue drains alone


def _kernel_time(plan, core, k, a_bits, b_bits, out_bits, clock_hz, dram_s, promote_k, kind,
                 store_bytes_per_s) -> KernelTime:
    t: KernelTiming = core.timing
    rows = plan.tile_m // plan.cta_group
    round_trips = 2 * t.l2_latency_ns * 1e-9 * clock_hz  # store completion, then the next tile's scales
    staging = rows * plan.tile_n * out_bits / 8 / t.smem_bytes_per_cycle
    store = _wave_store_cycles(plan, out_bits, clock_hz, store_bytes_per_s)
    issue = max(plan.tile_cycles, _operand_cycles(plan, core, k, a_bits, b_bits))
    mma = issue / core.compute_efficiency
    promotion = _promotion_cycles(plan, core, k, promote_k, kind)
    tile_l2 = _tile_l2_bytes(plan, k, a_bits, b_bits)
    load = max(_load_cycles(tile_l2, core, plan), _tma_row_cycles(plan, core, k, a_bits, b_bits, clock_hz))
    stall = max(0.0, load - mma - promotion)  # the K loop waits on its loads
    copies = _accumulator_copies(core, promote_k, kind)
    epilogue = _exposed_epilogue(plan, core, staging, round_trips, store, mma + stall + promotion, copies)
    l2_s = plan.tiles * tile_l2 / (t.l2_bytes_per_cycle * clock_hz)
    waves_s = plan.waves / clock_hz
    return KernelTime(plan, t.launch_ns * 1e-9, t.dram_latency_ns * 1e-9, (mma + stall) * waves_s,
                      promotion * waves_s, epilogue * waves_s, dram_s, l2_s)


def _clusters(core: SmTensorCore, m: int, tile: Tiling | None) -> tuple[int, ...]:
    """The TMA multicast clusters a kernel may run in: the library's own where it fixes one, else
    the design's from ``multicast_min_m`` rows of the GEMM on, and a single CTA where that cluster
    leaves SMs idle (elsewhere sharing loads never costs, so a single CTA is never faster)."""
    if tile is not None and tile.multicast is not None:
        return (tile.multicast,)
    shared = core.timing.multicast
    if m < core.timing.multicast_min_m or shared == 1:
        return (1,)
    idles = any(core.clusters(group * shared) * shared < core.clusters(group) for group in (1, 2))
    return (1, shared) if idles else (shared,)


def _holds_promotion(plan: TilePlan, core: SmTensorCore, promote_k: int | None, kind) -> bool:
    """Whether the accumulator storage holds the MMA's FP32 tile and, when promoting, a second copy."""
    copies = _accumulator_copies(core, promote_k, kind)
    return copies * _acc_tile_bytes(plan) <= core.accumulator_bytes_per_sm


def time_gemm(m: int, n: int, k: int, core: SmTensorCore, a_format: str, b_format: str, a_bits: float,
              b_bits: float, out_bits: float, clock_hz: float, dram_seconds: Callable[[TilePlan], float],
              batch: int = 1, promote_k: int | None = None, store_bytes_per_s: float = math.inf,
              tile: Tiling | None = None) -> KernelTime:
    """The fastest tiling of ``batch`` GEMMs ``out[m, n] = A[m, k] @ B[k, n]`` by whole-kernel time.

    ``dram_seconds(plan)`` is the DRAM time of a tiling at the achievable bandwidth, a function
    of its output tile (``plan.out_tile``) only: it is called once per distinct tile;
    ``promote_k``: K elements between CUDA-core promotions where the operands carry block
    scales the MMA kind does not apply (None: none); ``store_bytes_per_s``: the achievable DRAM
    bandwidth the output stores of a wave share (infinite: stores cost only their round trip);
    ``tile``: the tiling and multicast cluster a kernel library launches, or the tile shapes it
    can launch (:class:`sim.tensor_core.TileSpace`: the fastest of them; None: the fastest
    tiling, with or without the design's cluster). ValueError if the core has no timing.
    """
    if core.timing is None:
        raise ValueError("this tensor core declares no kernel timing (unit.timing in its design)")
    kind = core.kind(a_format, b_format)
    clusters = _clusters(core, m, tile)
    plans = [p for p in feasible_plans(m, n, k, core, a_format, b_format, a_bits, b_bits, batch, tile,
                                       clusters) if _holds_promotion(p, core, promote_k, kind)]
    if not plans:
        raise ValueError(f"no {kind.name} tile holds two FP32 copies of its accumulators "
                         f"in {core.accumulator_bytes_per_sm} B per SM (promotion every {promote_k} of K)")
    dram: dict[tuple[int, int], float] = {}
    for p in plans:  # the traffic model is the slow part of the search; output tiles repeat across plans
        if p.out_tile not in dram:
            dram[p.out_tile] = dram_seconds(p)
    times = [_kernel_time(p, core, k, a_bits, b_bits, out_bits, clock_hz, dram[p.out_tile], promote_k,
                          kind, store_bytes_per_s) for p in plans]
    return min(times, key=lambda t: (t.total_s, -t.plan.tile_m * t.plan.tile_n, t.plan.swapped,
                                     -t.plan.cluster))
