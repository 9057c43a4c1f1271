"""GEMMs on a GPU's tensor cores: instruction kind, output tiles, SMs, waves and capacity.

    >>> from arch.units import SmTensorCore
    >>> b200 = SmTensorCore(sms=148, kinds="sm100_tcgen05", smem_bytes_per_sm=232448,
    ...                     accumulator_bytes_per_sm=262144, swap_ab=False)
    >>> plan = plan_gemm(16, 8192, 8192, b200, "mxfp8_e4m3", "mxfp4", 8.25, 4.25)
    >>> plan.kind, plan.tile_m, plan.cta_group, round(plan.utilization, 3)  # 16 of 128 rows, on CTA pairs
    ('mxf8f6f4', 128, 2, 0.124)

The operand pair picks the instruction kind (:meth:`arch.units.SmTensorCore.kind`). The
output ``M x N`` is cut into tiles of ``tile_m x tile_n``; ``tile_m`` is an MMA M of the
kind (per CTA, or per CTA pair where the kind has pair shapes: then the tile spans two SMs,
each holding half its rows and loading half of B) and ``tile_n`` a multiple of the kind's
N step. A tile is feasible when at least two stages of its operands (``tile_k`` elements of
K per stage: one 128-byte row of the wider operand, a whole number of MMA Ks) fit in the
SM's shared memory, and its FP32 accumulator fits the accumulator storage (tensor memory
on Blackwell, registers on Hopper). Tiles go to SMs (or pairs) in waves: ``waves =
ceil(tiles / slots)``, the slots being the SMs (or pairs) the GPU can hold at once in the
kernel's clusters (``cluster`` tiles sharing a TMA load; a cluster of several SMs must sit in
one GPC: :meth:`arch.units.SmTensorCore.clusters`). One tile takes ``max(tile_m, full_rate_m)
x tile_n x K_padded / (rate x CTAs)`` cycles: an MMA with fewer rows than the datapath's
full-rate M still takes the full time (``full_rate_m``), a CTA pair's M counting whole. Where
the core allows it (``swap_ab``), the GEMM may also run transposed, ``out^T = B^T A^T``, so
that a skinny M (a decode batch) sits on the MMA's N side and the weights' N on its M side, as
CUTLASS and TensorRT-LLM do for small M. Among feasible tiles the fewest compute cycles win
(ties: the larger tile, which moves fewer bytes; then the untransposed one).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from arch.units import SmTensorCore
from arch.units.mma_kinds import MmaKind
from numerics import FORMATS, get_format, get_scheme

from .mapping import ceil_div

__all__ = ["KernelTile", "TilePlan", "TileSpace", "Tiling", "element_bits", "feasible_plans", "plan_gemm"]

_STAGE_ROW_BITS = 1024  # one 128-byte swizzled row per operand per stage (TMA 128B swizzle)
_ACC_BYTES = 4  # FP32 accumulators


@dataclass(frozen=True)
class TilePlan:
    """How one GEMM runs on an :class:`SmTensorCore`; cycles are integers at the core clock."""

    kind: str
    cta_group: int
    swapped: bool
    tile_m: int  # MMA M side of the tile (rows of out, or of out^T when swapped)
    tile_n: int
    tile_k: int
    stages: int
    tiles: int
    slots: int
    waves: int
    tile_cycles: int
    compute_cycles: int
    issued_macs: float
    utilization: float
    grid: tuple[int, int]  # tiles of one GEMM along the MMA's M side and along its N side
    cluster: int = 1  # tiles (CTAs or pairs) of one TMA multicast cluster

    @property
    def label(self) -> str:
        pair = "2sm" if self.cta_group == 2 else "1sm"
        swap = " swap-AB" if self.swapped else ""
        shared = f", multicast {self.cluster}" if self.cluster > 1 else ""
        return (f"{self.kind} {pair}{swap} {self.tile_m}x{self.tile_n}x{self.tile_k} {self.stages} stages"
                f"{shared}, {self.tiles} tiles / {self.slots} slots = {self.waves} waves")

    @property
    def out_tile(self) -> tuple[int, int]:
        """(rows of M, columns of N) one tile covers in the untransposed output."""
        return (self.tile_n, self.tile_m) if self.swapped else (self.tile_m, self.tile_n)


@dataclass(frozen=True)
class KernelTile:
    """The tiling a kernel library launches instead of searching for one: the output tile
    (``tile_m`` on the MMA's M side, ``tile_n`` on its N side), the CTAs one MMA spans
    (``cta_group`` 2: a CTA pair), whether the GEMM runs transposed, the CTAs of its TMA
    multicast cluster (None: the design's ``timing.multicast``) and the elements of K one
    pipeline stage loads (``tile_k``, CUTLASS's TileShape K; None: one 128-byte row of the
    wider operand, as the search stages)."""

    tile_m: int
    tile_n: int
    cta_group: int = 1
    swapped: bool = False
    multicast: int | None = None
    tile_k: int | None = None

    def admits(self, plan: TilePlan) -> bool:
        return (plan.tile_m, plan.tile_n, plan.cta_group, plan.swapped) == (
            self.tile_m, self.tile_n, self.cta_group, self.swapped)

    @property
    def label(self) -> str:
        k = "" if self.tile_k is None else f"x{self.tile_k}"
        return f"{self.tile_m}x{self.tile_n}{k} ({self.cta_group} CTA{'s' if self.cta_group > 1 else ''})"


@dataclass(frozen=True)
class TileSpace:
    """The tiles a kernel library can launch, among which the model takes the fastest: output
    tiles whose MMA-side M is one of ``tile_m`` and N one of ``tile_n``, on one CTA or a pair as
    ``cta_group`` lists, transposed only where ``swapped`` allows. The cluster (``multicast``)
    and K stage (``tile_k``) are the design's and the search's, as for a free search."""

    tile_m: tuple[int, ...]
    tile_n: tuple[int, ...]
    cta_group: tuple[int, ...] = (1,)
    swapped: bool = False
    multicast: int | None = None
    tile_k: int | None = None

    def admits(self, plan: TilePlan) -> bool:
        return (plan.tile_m in self.tile_m and plan.tile_n in self.tile_n and plan.cta_group in self.cta_group
                and (self.swapped or not plan.swapped))

    @property
    def label(self) -> str:
        return f"M in {list(self.tile_m)}, N in {list(self.tile_n)}"


Tiling = KernelTile | TileSpace


def element_bits(name: str) -> int:
    """Bits of one stored element of a format or block scheme (scales excluded)."""
    return get_format(name).bits if name in FORMATS else get_scheme(name).element.bits


def _tile_k(kind: MmaKind, a_format: str, b_format: str) -> int:
    widest = max(element_bits(a_format), element_bits(b_format))
    per_row = _STAGE_ROW_BITS // widest
    return max(kind.mma_k, per_row - per_row % kind.mma_k)


def _candidates(kind: MmaKind):
    for group, shapes in ((1, kind.mma_m), (2, kind.pair_mma_m)):
        for tile_m in shapes:
            for tile_n in kind.n_shapes:
                yield group, tile_m, tile_n


def _stages(core: SmTensorCore, rows: int, cols: int, tile_k: int, a_bits: float, b_bits: float) -> int:
    stage_bytes = tile_k * (rows * a_bits + cols * b_bits) / 8
    return int(core.smem_bytes_per_sm // stage_bytes)


def _plan(m, n, k, core, kind, group, tile_m, tile_n, tile_k, a_bits, b_bits, swapped,
          batch, cluster) -> TilePlan | None:
    rows, cols = tile_m // group, tile_n // group
    stages = _stages(core, rows, cols, tile_k, a_bits, b_bits)
    if stages < 2 or rows * tile_n * _ACC_BYTES > core.accumulator_bytes_per_sm:
        return None
    k_padded = ceil_div(k, tile_k) * tile_k
    # An MMA narrower than the datapath's full-rate M takes the full-M time; a pair's M counts
    # whole (a 2-SM M = 128 MMA, 64 rows per SM, runs at the full rate of both SMs).
    macs_per_cycle = kind.macs_per_sm_cycle * group
    tile_cycles = math.ceil(max(tile_m, kind.full_rate_m) * tile_n * k_padded / macs_per_cycle)
    grid = (ceil_div(m, tile_m), ceil_div(n, tile_n))
    tiles, slots = grid[0] * grid[1] * batch, core.clusters(group * cluster) * cluster
    if slots == 0:  # a CTA pair needs two SMs, a cluster its SMs in one GPC
        return None
    waves = ceil_div(tiles, slots)
    compute = math.ceil(waves * tile_cycles / core.compute_efficiency)
    peak = core.sms * kind.macs_per_sm_cycle * compute
    return TilePlan(kind.name, group, swapped, tile_m, tile_n, tile_k, stages, tiles, slots, waves,
                    tile_cycles, compute, float(tiles) * tile_m * tile_n * k_padded,
                    float(m) * n * k * batch / peak, grid, cluster)


def feasible_plans(m: int, n: int, k: int, core: SmTensorCore, a_format: str, b_format: str,
                   a_bits: float, b_bits: float, batch: int = 1,
                   tile: Tiling | None = None, clusters: tuple[int, ...] = (1,)) -> list[TilePlan]:
    """Every tiling of the GEMM that fits the SM (see :func:`plan_gemm`), or only those the
    ``tile`` a kernel library fixes (or its tile space) admits, in each TMA multicast cluster of
    ``clusters`` (tiles sharing a load); ValueError if none."""
    kind = core.kind(a_format, b_format)
    tile_k = _tile_k(kind, a_format, b_format) if tile is None or tile.tile_k is None else tile.tile_k
    if tile_k % kind.mma_k:
        raise ValueError(f"the kernel's K stage of {tile_k} elements is not a whole number of "
                         f"{kind.name} MMAs (K = {kind.mma_k})")
    orientations = [(m, n, a_bits, b_bits, False)] + ([(n, m, b_bits, a_bits, True)] if core.swap_ab else [])
    shapes = [(o, g, tm, tn, c) for o in orientations for g, tm, tn in _candidates(kind) for c in clusters]
    plans = [p for (rows, cols, rb, cb, swap), g, tm, tn, c in shapes
             if (p := _plan(rows, cols, k, core, kind, g, tm, tn, tile_k, rb, cb, swap, batch, c))]
    if tile is not None:
        plans = [p for p in plans if tile.admits(p)]
        if not plans:
            raise ValueError(f"the kernel's {kind.name} tile {tile.label} is not a feasible tiling "
                             "of this core")  # a tile space names its shapes in the label
    if not plans:
        raise ValueError(f"no {kind.name} tile fits {core.smem_bytes_per_sm} B of shared memory "
                         f"and {core.accumulator_bytes_per_sm} B of accumulator storage per SM")
    return plans


def plan_gemm(m: int, n: int, k: int, core: SmTensorCore, a_format: str, b_format: str,
              a_bits: float, b_bits: float, batch: int = 1, tile: Tiling | None = None) -> TilePlan:
    """The fastest feasible tiling of ``batch`` independent ``out[m, n] = A[m, k] @ B[k, n]``.

    The GEMMs of a batch (attention heads, active experts) share the SMs: their tiles are
    pooled into waves; cycles, tiles and issued MACs cover the whole batch. ``a_bits`` and
    ``b_bits`` are storage bits per element including block scales (they size the
    shared-memory stages). ValueError when the pair has no kind or no tile fits. Fastest
    here means the fewest MMA cycles; :func:`sim.gpu_kernel.time_gemm` ranks the same
    candidates by whole-kernel time where the core declares its kernel timing. ``tile``: the
    tiling a kernel library launches (:class:`KernelTile`), or the shapes it can launch
    (:class:`TileSpace`; None: every shape of the kind).
    """
    plans = feasible_plans(m, n, k, core, a_format, b_format, a_bits, b_bits, batch, tile)
    return min(plans, key=lambda p: (p.compute_cycles, -p.tile_m * p.tile_n, p.swapped, p.cta_group))
